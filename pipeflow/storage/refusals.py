"""What a store refuses about a stored result: bytes that differ from their manifest, a payload
that would run code without this machine's signature, a broken manifest (a warning: the result
counts as missing and is rebuilt)."""

from __future__ import annotations

from pipeflow.errors import PipeflowWarning, StorageError


class CorruptResult(StorageError):
    """A stored payload's bytes differ from what its manifest recorded; it was not loaded."""

    def __init__(self, location: str, *, expected: str, actual: str) -> None:
        self.location = location
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"the result at {location} does not match its manifest (expected {expected}, "
            f"found {actual}), so it was not loaded. It was changed or damaged after it was "
            "written: re-run the step (`--force STEP`) to rebuild it."
        )


class UntrustedResult(StorageError):
    """A stored payload that would run code when loaded is not signed with this machine's key."""


class ResultWarning(PipeflowWarning):
    """A stored result was ignored (for instance its manifest is broken) and will be rebuilt."""
