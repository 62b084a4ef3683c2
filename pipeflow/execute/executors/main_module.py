"""The script that started a run, kept from the worker processes pipeflow starts.

A new process started by `spawn` or `forkserver` imports the parent's main module to find what
it defined there, which runs a script's top level again: a script calling `run()` without
`if __name__ == "__main__":` ran the run again in each worker, which died in it (on `dask`:
multiprocessing's "current process has finished its bootstrapping phase"). pipeflow's workers
need nothing of it: a task names its step's module, and its values are plain data or sealed.
`main_unseen` hides the main module's file and spec while the `processes` pool's workers and a
local Dask cluster's worker processes start.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def main_unseen() -> Iterator[None]:
    """Processes started meanwhile do not import this process's main module."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    with _MAIN_LOCK:
        namespace: dict[str, Any] = vars(main)
        spec, had_file = namespace.get("__spec__"), "__file__" in namespace
        file = namespace.pop("__file__", None)
        namespace["__spec__"] = None  # `python -m`: imported by its name otherwise
        try:
            yield
        finally:
            namespace["__spec__"] = spec
            if had_file:
                namespace["__file__"] = file
