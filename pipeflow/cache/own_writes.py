"""What a step reads below the places it writes, told apart from what it writes there.

A path input or `reads:` entry may lie below a folder the step writes (`base: models/base.txt`
beside `writes: [models/]`, SPEC 12). It is a read, which `execute/clearing.py` never removes
and the key counts, unless a stored version of the step wrote it there: then it is the step's
output (`out_file: models/model.txt`), which counting would change the key at each run. A
glob there (`models/*.txt`) is read less the files the step's versions wrote. What lies at or
around a write, or overlaps a write with a pattern (an item's), is the step's output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeflow.model.locations import Location
from pipeflow.model.pipeline import Step

__all__ = ["OwnWrites"]


class OwnWrites:
    """Per step, what its stored versions wrote (`written`, asked once, only for a step that
    reads below its writes) and what it was found to read there."""

    def __init__(self, written: Callable[[Step], frozenset[str]]) -> None:
        self._written = written
        self._files: dict[str, frozenset[str]] = {}
        self._reads: dict[str, set[str]] = {}

    def exclusion(
        self, step: Step, location: Location, own: Sequence[Location]
    ) -> frozenset[str] | None:
        """None when `location` is the step's output (`own`: its writes); else the files to
        leave out of what it names (those the step wrote, for a glob below its writes)."""
        overlapping = [write for write in own if location.overlaps(write)]
        if not overlapping:
            return frozenset()
        if any(write.pattern or write.inside(location) for write in overlapping):
            return None
        written = self._own_files(step)
        if location.pattern:
            return written
        inner = location.key.rstrip("/")
        if any(_under(path, inner) for path in written):
            return None
        self._reads.setdefault(step.name, set()).add(inner)
        return frozenset()

    def read(self, step: Step, path: str) -> bool:
        """Whether `path` is, or lies in, a file or folder below the step's writes that
        `exclusion` found it reads (not a glob): a change to it while the step runs counts."""
        return any(_under(path, read) for read in self._reads.get(step.name, ()))

    def _own_files(self, step: Step) -> frozenset[str]:
        if step.name not in self._files:
            self._files[step.name] = self._written(step)
        return self._files[step.name]


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")
