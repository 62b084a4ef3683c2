"""Whether a stored payload is still the bytes its manifest recorded, wherever it is kept.

A payload is checked where it lives, at the cost that place allows:

- inside its manifest (an object store's small result): its bytes are hashed;
- a record of a journal (a local store's small result): the journal's records are hashed once
  per run (`journal.py`);
- a file on a local disk: its hash, remembered by size and mtime (`files.py`);
- an object of an object store: its size and ETag, from the listing every run makes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.journal import JournalIndex
from pipeflow.storage import PartRecord
from pipeflow.storage.inline import inline_problem

# Path -> (size, stamp) of every object an object store lists; asked for only when needed.
Stamps = Callable[[], dict[str, tuple[int, str | None]]]


def payload_problem(
    part: PartRecord,
    *,
    root: str | None,
    hashes: FileFingerprints,
    journal: JournalIndex,
    stamps: Stamps,
) -> str | None:
    """What is wrong with a stored payload ("is missing", ...), or None when it is whole.

    `root` is the local store's folder (None on an object store), `stamps` the object store's
    listing."""
    if part.inline is not None:
        return inline_problem(part)
    if part.offset is not None:
        return journal.check(part)
    if root is not None:
        status = hashes.checksum(Path(root) / part.path)
        if status is None:
            return "is missing"
        size, checksum = status
        if size != part.size:
            return f"has {size} bytes instead of {part.size}"
        if checksum != part.checksum:
            return "no longer matches its checksum"
        return None
    found = stamps().get(part.path)
    if found is None:
        return "is missing"
    size, stamp = found
    if size != part.size:
        return f"has {size} bytes instead of {part.size}"
    recorded = getattr(part, "stamp", None)
    if recorded is not None and stamp is not None and recorded != stamp:
        return "was replaced after it was written"
    return None
