"""How a step's failure is shown: `Type: message` as Python says it, and the traceback from
the step's own code on (pipeflow's frames, the import machinery's and an event loop's left
out)."""

from __future__ import annotations

import importlib
import os
import sys
import sysconfig
import traceback

from pipeflow.cache.unchanged import InputChanged, SourceChanged
from pipeflow.errors import PipeflowError
from pipeflow.importing import ImportProblem
from pipeflow.storage.blobs import WriteError


class StepError(Exception):
    """A step's value does not fit what the config says about it."""


FROZEN = "--frozen"  # how the error of a step `--frozen` kept from running starts (engine.py)


def failure_reason(error: str | None) -> str:
    """The reason a failed step's outcome gives (the history's and `runs show`'s), from its
    error as `describe` wrote it."""
    kind = (error or "").split(":", 1)[0]
    if kind in ("TimeoutError", "StillRunning"):
        return "timed out"
    if kind == "WorkerDied":
        return "its worker died"
    if kind == "SystemExit":
        return "called sys.exit()"
    if kind == FROZEN:
        return "would run (--frozen)"
    return "raised an error"


def describe(error: BaseException) -> str:
    """`Type: message`, as Python shows an error; the type alone without a message."""
    try:
        text = str(error)
    except Exception:  # the error's own `__str__` failed: Python's words for it
        text = "<exception str() failed>"
    if isinstance(error, SystemExit):
        return f"SystemExit: {error.code} (the step called `sys.exit()`; a step ends by returning)"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def compact_traceback(error: BaseException) -> str:
    """The traceback from the step's own code on, without pipeflow's frames above it.

    A step module that fails to import shows where it failed in the user's file: the
    traceback of the error the import raised, then the ImportProblem that names the module.
    """
    if isinstance(error, ImportProblem) and error.__cause__ is not None:
        cause = error.__cause__
        frames = [
            frame
            for frame in traceback.extract_tb(cause.__traceback__)
            if not _pipeflow_or_import_machinery(frame.filename)
        ]
        lines = traceback.format_list(frames)
        lines += traceback.format_exception_only(type(cause), cause)
        lines += traceback.format_exception_only(type(error), error)
        return "".join(lines).rstrip()
    stopped_at = getattr(error, "stopped_at", None)  # a step stopped on a thread (timeouts.py)
    if stopped_at:
        # The thread's whole stack: the step's own frames are those after pipeflow's last.
        last = max((i for i, f in enumerate(stopped_at) if _in_pipeflow(f.filename)), default=-1)
        frames = list(stopped_at)[last + 1 :]
    else:
        frames = traceback.extract_tb(error.__traceback__)
    frames = [f for f in frames if not _event_loop(f.filename)]
    own = [f for f in frames if "/pipeflow/execute/" not in f.filename.replace("\\", "/")]
    if isinstance(error, _OWN_WORDS):
        # pipeflow's own words (a store it cannot write, a value `outputs:` cannot split): its
        # frames say nothing more, nor do the standard library's it went through (contextlib's
        # `__exit__` of a `with` that turned a filesystem error into a StorageError); with none
        # of the step's the message is all there is.
        own = [f for f in own if not _in_pipeflow(f.filename) and not _standard_library(f.filename)]
        if not own:
            return ""
    if not own and hasattr(error, "stopped_at"):  # stopped where only the loop's frames were
        return "".join(traceback.format_exception_only(type(error), error)).rstrip()
    lines = traceback.format_list(own or frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip()


# pipeflow's own findings about a step (its value, its files, its inputs changing under it):
# their message is the whole story.
_OWN_WORDS = (PipeflowError, StepError, ImportProblem, WriteError, InputChanged, SourceChanged)

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # pipeflow's folder
_IMPORTLIB = os.path.dirname(os.path.abspath(importlib.__file__ or ""))


def _pipeflow_or_import_machinery(filename: str) -> bool:
    if filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    return path.startswith((_PACKAGE + os.sep, _IMPORTLIB + os.sep))


def _in_pipeflow(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE + os.sep)


_STANDARD = tuple(
    os.path.abspath(folder) + os.sep
    for folder in {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")}
    if folder
)


def _standard_library(filename: str) -> bool:
    """A frame of Python's own library (not of a package installed beside it)."""
    if filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    return path.startswith(_STANDARD) and not any(
        part in ("site-packages", "dist-packages") for part in path.split(os.sep)
    )


def _event_loop(filename: str) -> bool:
    """A frame of asyncio's loop (or its selectors) that ran an `async def` step: not the
    step's own code, whatever the step awaited when it failed or was stopped."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None or not filename.endswith(".py"):
        return False
    path = os.path.abspath(filename)
    loop = os.path.dirname(os.path.abspath(asyncio.__file__ or ""))
    return path.startswith(loop + os.sep) or path == os.path.abspath(_selectors_file())


def _selectors_file() -> str:
    selectors = sys.modules.get("selectors")
    return getattr(selectors, "__file__", None) or "<no selectors>"
