"""The results a pipeline's run journals hold (`storage/journal.py`), read once per cache.

`ResultCache` asks it beside the manifest files: which keys each step has in a journal, the
manifest of a key (the newest record when several runs stored it), the newest of a step, and
whether a payload inside a journal is still the bytes its manifest recorded. Every journal of
the pipeline is read once, when first asked; the payloads' hashes are taken from those bytes
on the way, so a cached step costs no read of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone

from pipeflow.storage import Manifest, PartRecord, ResultStore
from pipeflow.storage.checksums import content_checksum
from pipeflow.storage.journal import EXTENSION, HEADER, MAGIC, journal_folder, records, settle

_READ_AT_ONCE = 8  # journals read at once


class JournalIndex:
    """The newest manifest per step and key in the journals of one pipeline of one store."""

    def __init__(
        self,
        store: ResultStore,
        pipeline: str,
        stored_name: Callable[[str], str],
        *,
        listed: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self._stored_name = stored_name
        # The store's paths, when a listing of it is made anyway (an object store's).
        self._listed = listed
        self._manifests: dict[tuple[str, str], Manifest] | None = None  # (step, key) ->
        self._sources: dict[tuple[str, str], str] = {}  # (step, key) -> its journal's path
        self._latest: dict[str, Manifest] = {}  # stored step name -> its newest
        # `moment` of those above, read once per manifest when a record is compared with one.
        self._moments: dict[tuple[str, str] | str, datetime] = {}
        # (journal path, offset, size) -> the sha256 of those bytes, as read.
        self._hashes: dict[tuple[str, int, int], str] = {}

    def keys(self) -> dict[str, set[str]]:
        """Stored step name -> the keys it has in a journal."""
        found: dict[str, set[str]] = {}
        for step, key in self._load():
            found.setdefault(step, set()).add(key)
        return found

    def get(self, step: str, key: str) -> Manifest | None:
        return self._load().get((self._stored_name(step), key))

    def latest(self, step: str) -> Manifest | None:
        self._load()
        return self._latest.get(self._stored_name(step))

    def where(self, step: str, key: str) -> str | None:
        """The path of the journal that holds the record `get` gives, if any."""
        self._load()
        return self._sources.get((self._stored_name(step), key))

    def check(self, part: PartRecord) -> str | None:
        """What is wrong with a payload inside a journal ("is missing", ...), or None."""
        assert part.offset is not None
        wanted = (part.path, part.offset, part.size)
        checksum = self._hashes.get(wanted)
        if checksum is None:
            settle()  # a record this process still holds is written first
            data = self.store.read_range(part.path, part.offset, part.size)
            if data is None:
                return "is missing"
            if len(data) != part.size:
                return f"has {len(data)} bytes instead of {part.size}"
            checksum = self._hashes[wanted] = content_checksum(data)
        return None if checksum == part.checksum else "no longer matches its checksum"

    def _load(self) -> dict[tuple[str, str], Manifest]:
        if self._manifests is None:
            self._manifests = {}
            settle()  # the records this process still holds are written first
            folder = journal_folder(self.pipeline)
            listed = self._listed() if self._listed is not None else self.store.list(folder)
            depth = folder.count("/") + 1
            paths = sorted(
                path
                for path in listed
                if path.startswith(f"{folder}/")
                and path.endswith(EXTENSION)
                and path.count("/") == depth
            )
            # A few at once (an object store's requests overlap), never all in memory.
            for start in range(0, len(paths), _READ_AT_ONCE):
                batch = paths[start : start + _READ_AT_ONCE]
                for path, data in self.store.read_many(batch).items():
                    if data is not None:  # else removed since the listing (gc)
                        self._read(path, data)
        return self._manifests

    def _read(self, path: str, data: bytes) -> None:
        assert self._manifests is not None
        for record in records(data):
            # A record whose manifest does not parse is no result (a ResultWarning says so),
            # like a broken manifest file.
            manifest = self.store.parse_manifest(path, record.manifest)
            if manifest is None:
                continue
            for part in manifest.parts.values():
                at = part.offset
                if (
                    part.path == path
                    and at is not None
                    and record.start <= at <= record.end - part.size
                ):
                    self._hashes[path, at, part.size] = content_checksum(data[at : at + part.size])
            step = self._stored_name(manifest.step)
            pair = (step, manifest.key)
            known = self._manifests.get(pair)
            newest = self._latest.get(step)
            if known is None and newest is None:  # the step's first record (most steps)
                self._manifests[pair] = self._latest[step] = manifest
                self._sources[pair] = path
                continue
            created = moment(manifest)
            if known is None or created >= self._moment(pair, known):
                self._manifests[pair] = manifest
                self._moments[pair] = created
                self._sources[pair] = path
            if newest is None or created >= self._moment(step, newest):
                self._latest[step] = manifest
                self._moments[step] = created

    def _moment(self, held: tuple[str, str] | str, manifest: Manifest) -> datetime:
        """`moment(manifest)` of the manifest the index holds for `held`, read once."""
        found = self._moments.get(held)
        if found is None:
            found = self._moments[held] = moment(manifest)
        return found


def journal_manifests(store: ResultStore, path: str) -> list[tuple[Manifest, int]]:
    """The manifests of the complete records of the journal at `path`, each with the bytes its
    record takes (for `pipeflow gc`); a record whose manifest does not parse is no result, and
    is left out."""
    data = store.read_bytes(path, action="read the journal")
    if data is None:
        return []  # removed since the listing
    found = []
    for record in records(data):
        manifest = store.parse_manifest(path, record.manifest)
        if manifest is not None:
            size = HEADER.size + record.end - record.start + len(record.manifest)
            found.append((manifest, size))
    return found


def compact(store: ResultStore, path: str, keep: Iterable[Manifest]) -> None:
    """Rewrite the journal at `path` with only the records of `keep` (`pipeflow gc`), in one
    atomic replace: the same path (pickle signatures name it), each kept payload's `offset`
    moved with it. A reader that read the journal before sees its offsets' bytes no longer
    match their checksums: it runs the step again, never takes other bytes."""
    data = store.read_bytes(path, action="read the journal")
    if data is None:
        return
    wanted = {(m.step, m.key, m.run_id, m.created) for m in keep}
    kept = bytearray()
    for record in records(data):
        try:
            manifest = Manifest.from_json(record.manifest)
        except ValueError:
            continue  # no result: nothing to keep
        if (manifest.step, manifest.key, manifest.run_id, manifest.created) not in wanted:
            continue
        shift = len(kept) + HEADER.size - record.start
        parts = {
            name: replace(part, offset=part.offset + shift)
            if part.path == path and part.offset is not None
            else part
            for name, part in manifest.parts.items()
        }
        document = replace(manifest, parts=parts).to_json()
        payload = data[record.start : record.end]
        kept += HEADER.pack(MAGIC, len(payload), len(document)) + payload + document
    store.write_bytes(path, bytes(kept), internal=True)


def moment(manifest: Manifest) -> datetime:
    """When a manifest was created, to order results (its `created` was checked on reading)."""
    created = datetime.fromisoformat(manifest.created)
    return created if created.tzinfo is not None else created.replace(tzinfo=timezone.utc)
