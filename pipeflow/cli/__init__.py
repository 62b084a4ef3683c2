"""The command line: click commands; the one place where exceptions become exit codes.

`main`, the console script, makes SIGTERM stop the command as Ctrl-C does before it imports
the commands (click and the rest): a signal while it starts, or while it loads a config and
its steps' code, exits 130 "interrupted" like one while it runs, with nothing written.
A standard stream that was closed when it started (`pipeflow run cfg >&-`) is /dev/null, and
on a stdout that is not UTF-8 what its encoding lacks is written as its escape."""

from __future__ import annotations

import codecs
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeflow.cli.main import cli

__all__ = ["cli", "main"]


def main() -> None:
    """The console script."""
    _open_closed_streams()
    _escape_what_stdout_lacks()
    from pipeflow.execute import ctrl_c

    ctrl_c.terminate_as_interrupt()
    try:
        from pipeflow.cli.main import main as command
    except KeyboardInterrupt:
        ctrl_c.ignore_from_now()
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    try:
        command()
    except KeyboardInterrupt:  # a signal again as the command ended, after it said so
        ctrl_c.ignore_from_now()
        sys.exit(130)
    except SystemExit as leaving:
        if leaving.code == 130:
            ctrl_c.ignore_from_now()
        raise


def _open_closed_streams() -> None:
    """Point each of descriptors 0, 1 and 2 that is closed at /dev/null, with its Python
    stream, as if the shell had redirected it there.

    Left closed, `sys.stdout` is None (the run's display failed on it), a step's own writes
    to it fail with "Bad file descriptor", and the next file this process opens (a result,
    the history database) takes the free number, so that what a step or a child process
    writes to its stdout would land in that file.
    """
    for descriptor, name in enumerate(("stdin", "stdout", "stderr")):
        try:
            os.fstat(descriptor)
            continue
        except OSError:
            pass
        null = os.open(os.devnull, os.O_RDONLY if descriptor == 0 else os.O_WRONLY)
        if null != descriptor:  # the lower ones are open, so it is the free one but for a race
            os.dup2(null, descriptor)
            os.close(null)
        stream = open(  # noqa: SIM115 (the process's stream, for as long as it lives)
            descriptor, "r" if descriptor == 0 else "w", encoding="utf-8", closefd=False
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _escape_what_stdout_lacks() -> None:
    """On a stdout that is not UTF-8 (a Latin-1 or cp1252 pipe or file, an ASCII terminal),
    write what its encoding lacks as its escape (`\\u2713`), as Python's stderr does: a
    description, a param or a step's output may hold any character, and a strict stdout
    ended `status` or `graph` in a traceback at the first one."""
    stdout = sys.stdout
    encoding = getattr(stdout, "encoding", None)
    if encoding is None or getattr(stdout, "errors", None) != "strict":
        return
    try:
        if codecs.lookup(encoding).name == "utf-8":
            return
    except LookupError:
        pass
    reconfigure = getattr(stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def __getattr__(name: str) -> Any:
    if name == "cli":
        from pipeflow.cli.main import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
