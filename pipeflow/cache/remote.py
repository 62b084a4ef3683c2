"""The result cache's side of an object store: its one listing, the manifest index checked
against it, the manifests the index lacks read all at once, and the end of a run (the pack of
small results, `packing.py`, then the index's new segment).

`ResultCache` (`results.py`) holds one on an object store only: a local store is listed per
pipeline and its manifests are read one by one, which costs no request.
"""

from __future__ import annotations

from contextlib import suppress

from pipeflow.cache.index import ManifestIndex, listed_as
from pipeflow.cache.layout import LATEST, MANIFESTS
from pipeflow.cache.packing import pack
from pipeflow.errors import StorageError
from pipeflow.storage import Manifest, ResultStore

Stamps = dict[str, tuple[int, str | None]]  # path -> (size, stamp), `ResultStore.stamps`


class RemoteManifests:
    """The manifests of one pipeline in one object store, as a run finds and adds them."""

    def __init__(self, store: ResultStore, pipeline: str) -> None:
        self.store = store
        self.pipeline = pipeline
        self._index = ManifestIndex(store, pipeline)
        self._stamps: Stamps | None = None
        self._fetched: dict[str, bytes | None] | None = None  # manifests read at once

    def stamps(self) -> Stamps:
        """The store's one listing, cut into ranges listed at once where the index says."""
        if self._stamps is None:
            self._stamps = self.store.stamps("", splits=self._index.splits())
        return self._stamps

    def listed(self, prefix: str) -> list[str]:
        """The paths under `prefix` the listing shows; the index is read before the listing
        and checked against it (`index.py`, rule 2)."""
        self._index.load()
        listing = self.stamps()
        self._index.check(listing)
        self._index.observe(listing)
        return [path for path in listing if path.startswith(f"{prefix}/")]

    def read(self, path: str, *, together: bool) -> Manifest | None:
        """The manifest at `path`: from the index when it vouches for it; otherwise read, and
        with `together` read with every other manifest the index lacks, at once."""
        data = self._index.get(path)
        if data is not None:  # checked against the listing already: nothing to learn
            return self.store.parse_manifest(path, data)
        if together:
            if self._fetched is None:
                self._fetched = self.store.read_many(self._unindexed())
            data = self._fetched.pop(path, None)
        if data is None:
            data = self.store.read_bytes(path, action="read the manifest")
            if data is None:
                return None
        manifest = self.store.parse_manifest(path, data)
        if manifest is not None and listed_as(self.stamps().get(path), data):
            self._index.learn(path, data)  # for the next run, as the listing shows it
        return manifest

    def _unindexed(self) -> list[str]:
        """The manifests under their keys that the listing shows and the index lacks."""
        prefix = f"{MANIFESTS}/{self.pipeline}/"
        return [
            path
            for path in self.stamps()
            if path.startswith(prefix)
            and path.endswith(".json")
            and not path.endswith(f"/{LATEST}.json")
            and self._index.get(path) is None
        ]

    def recorded(self, path: str, manifest: Manifest) -> None:
        """This run stored `manifest` at `path`: not read again to find the newest, and the
        index learns it for the next run."""
        data = manifest.to_json()  # as the store holds it, or the next run will not believe it
        if self._fetched is not None:
            self._fetched[path] = data
        self.published(path, manifest, data)

    def published(self, path: str, manifest: Manifest, data: bytes | None = None) -> None:
        """`manifest` is stored at `path` (by this process or a worker): the index learns it."""
        self._index.learn(path, manifest.to_json() if data is None else data)
        self._index.stored(part.path for part in manifest.parts.values())

    def publish(self) -> bool:
        """At the end of a run: pack the small results in hand when they are many, publish
        the index without them, then delete their manifests (`packing.py`); whether any were
        packed. A store that refuses loses nothing but speed: the next run reads the
        manifests themselves."""
        packed: list[str] = []
        with suppress(StorageError):
            packed = pack(self.store, self.pipeline, self._index.entries())
        self._index.forget(packed)  # the pack holds them: the index need not
        with suppress(StorageError):
            self._index.publish()
        if not packed:
            return False
        with suppress(StorageError):  # left: each is in the pack too, and counts as one
            self.store.delete_files(packed)
        self._stamps, self._fetched = None, None  # out of date: listed again if asked again
        return True
