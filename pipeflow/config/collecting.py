"""Pausing Python's cyclic garbage collector while a config is read, checked and planned.

Reading, checking and planning a big config allocate millions of small objects that all stay
alive (the document, the steps, their references, keys and decisions). The collector would
scan them again and again for nothing: at 100,000 steps that is a fifth of the time. Nothing
made meanwhile is cyclic garbage worth collecting early; the collector runs again afterwards.

Even paused, the collector meets those objects again when it resumes: they are all in its
youngest generation, and it scans each of them once per generation they climb through (about
0.3 s at 100,000 steps). In the `pipeflow` process, a command that loads one config and
exits (`run`, `validate`, `status`, ...: `cli.main.starting`) calls `freeze_what_stays()`: each
pause then ends with `gc.freeze()`, which moves what is alive into the collector's permanent
generation, never scanned again. Reference counting still frees what is dropped later; only a
reference cycle among the frozen objects would stay until the process ends, which for such a
command is soon. A process that loads configs again and again (the scheduler, the UI, a
notebook, a program calling `cli()`) does not freeze.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freezing = False  # set once per process by a command that loads one config and exits


def freeze_what_stays() -> None:
    """From now on, what a pause leaves alive is never scanned by the collector again."""
    global _freezing
    _freezing = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector inside the block (a pause inside another changes nothing)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            if _freezing:
                gc.freeze()
            gc.enable()
