"""The command line: click commands; the one place where exceptions become exit codes.

`main`, the console script, makes SIGTERM stop the command as Ctrl-C does before it imports
the commands (click and the rest): a signal while it starts, or while it loads a config and
its steps' code, exits 130 "interrupted" like one while it runs, with nothing written."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeflow.cli.main import cli

__all__ = ["cli", "main"]


def main() -> None:
    """The console script."""
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


def __getattr__(name: str) -> Any:
    if name == "cli":
        from pipeflow.cli.main import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
