"""Reading a pipeline's stored values back from its store, and saying where each part is:
the half of `ResultCache` (`results.py`) that only reads what a manifest names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipeflow.cache.journal import JournalIndex
from pipeflow.cache.remote import RemoteManifests
from pipeflow.storage import Manifest, PartRecord, ResultStore

PARALLEL_LOADS = 16  # stored values read at once from an object store


class StoredValues:
    """Loads the values a manifest names; `ResultCache` sets what it reads from."""

    store: ResultStore
    _remote: RemoteManifests | None  # on an object store: its listing and manifests
    _journal: JournalIndex  # the journals and packs that hold small results

    def load(self, manifest: Manifest, parts: Iterable[str] | None = None) -> Any:
        """The stored value: the single value of a step without `outputs:`, or a dict of the
        parts in the order of `parts` (give a step's `outputs:`: a manifest read back lists
        its parts sorted; `outputs: [value]` is a dict too)."""
        if not parts and list(manifest.parts) == ["value"]:
            return self.store.read(manifest.parts["value"])
        names = list(parts) if parts else list(manifest.parts)
        return {name: self.store.read(manifest.parts[name]) for name in names}

    def load_all(self, manifests: Sequence[Manifest], parts: Sequence[str] = ()) -> list[Any]:
        """The stored values of `manifests` (the items of a `foreach` step), in order, each
        as `load` with `parts`; on an object store several are read at once."""
        if self._remote is None or len(manifests) < 2:
            return [self.load(manifest, parts) for manifest in manifests]
        with ThreadPoolExecutor(min(PARALLEL_LOADS, len(manifests))) as pool:
            return list(pool.map(lambda manifest: self.load(manifest, parts), manifests))

    def locations(self, manifest: Manifest) -> tuple[str, ...]:
        """The location of each object that holds parts (several parts in one journal: once)."""
        return tuple(
            dict.fromkeys(
                self.store.location(self._holder(manifest, part))
                for part in manifest.parts.values()
            )
        )

    def place(self, manifest: Manifest, part: PartRecord) -> str:
        """Where a stored part is, said for a person: the object that holds it, and where in
        it for a record of a journal or bytes inside a manifest."""
        path = self._holder(manifest, part)
        holder = self.store.location(path)
        if part.inline is not None:
            inside = "the manifest" if path == part.path else "its record in a pack"
            return f"{holder} (inside {inside})"
        if part.offset is not None:
            end = part.offset + part.size
            return f"{holder} (bytes {part.offset} to {end} of the run's journal)"
        return holder

    def _holder(self, manifest: Manifest, part: PartRecord) -> str:
        """The path of the object that holds a part: a packed record's pack (`packing.py`)."""
        if part.inline is not None and self._journal.get(manifest.step, manifest.key) is manifest:
            return self._journal.where(manifest.step, manifest.key) or part.path
        return part.path
