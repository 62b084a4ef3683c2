"""The result cache: finding, checking, recording and loading stored step results.

Layout under the store's root, per pipeline and step:

    .pipeflow/manifests/PIPELINE/STEP/KEY.json     one manifest per cache key
    .pipeflow/manifests/PIPELINE/STEP/latest.json  on a local store, the newest (a hard link)
    .pipeflow/results/PIPELINE/STEP/KEY.PART.EXT   payloads of steps without a `target`
    .pipeflow/files/sha256/HH/REST                 blobs: one copy per content (`blobs.py`)
    .pipeflow/journal/PIPELINE/RUN_ID-PID.log      on a local store, small results (below)
    .pipeflow/journal/PIPELINE/pack-MOMENT-ID.log  on an object store, small results packed

A small result without a `target` and without recorded writes is stored in one write with its
manifest. On a local store (every part at most 64 KiB) it is one record of its run's journal
(`storage/journal.py`: the manifest's parts name the journal and an `offset`);
`index`, `find_manifest` and `latest` read the pipeline's journals once (`journal.py` here)
beside the manifest files: a key stored both ways is the newer (the file on a tie: `accept`
restamps into a file, keeping the time of the result), and `latest` is the newest of the two.
A key that has a manifest file keeps being stored as a file, so a new result replaces it. On
an object store (at most 4 KiB in all) it is its manifest alone, the bytes inside
(`storage/inline.py`), until a run packs many such manifests into one journal object
(`packing.py`), read like a local store's journals.

On a local disk `latest.json` is another name of the manifest just written (a hard link,
swapped in atomically); pipeflow never changes a manifest file in place. An object store keeps
none (a third of a re-run's listing): a step's newest is its manifest with the newest `created`
(from the manifest index); a `latest.json` an earlier pipeflow wrote still counts if newest.
Payloads of a step share its folder (earlier pipeflows' `KEY/PART.EXT` are read as they are).

A manifest names every object it needs, and nothing else does (what `pipeflow gc` keeps):
each part's `path` (under `results/`, at a target, or the manifest itself) and, for a target,
its `blob`; in its optional `files` field, per declared write (`{"data/features": {"kind":
"folder", "entries": {"a.csv": {"size": N, "checksum": "sha256:HEX"}}}}`), each entry's blob,
`.pipeflow/files/sha256/` + HEX[:2] + "/" + HEX[2:]. Blobs are shared between manifests, so
one goes only when no kept manifest names it.

Deciding whether a step is cached costs one listing shared by every step of the pipeline
and, on a local store, one manifest read per cached step; on an object store the manifests
come from the manifest index (`index.py`, checked against the same listing, which it cuts into
ranges listed at once), and those it does not vouch for are read all at once. A manifest only
counts when its payloads are still the bytes it recorded (`payloads.py`): a local payload's
hash is checked (remembered by size and mtime), an object's size and ETag are compared with
the listing, and the bytes inside a manifest are hashed.

A step inlined from a sub-pipeline (`data/load_data`) is stored as the sub-pipeline's step
(`load_data`, in a cache opened with the sub-pipeline's name): a `/` never appears in a step
name of a config, so the name after the last `/` is the one the sub-pipeline gives it.
"""

from __future__ import annotations

import contextlib
import posixpath
import warnings
from dataclasses import replace
from typing import Any

from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.journal import JournalIndex, moment
from pipeflow.cache.layout import LATEST, MANIFESTS, RESULTS, local_root, stored_name
from pipeflow.cache.loading import StoredValues
from pipeflow.cache.payloads import payload_problem
from pipeflow.cache.remote import RemoteManifests
from pipeflow.errors import StorageError
from pipeflow.storage import Manifest, PartRecord, ResultStore, ResultWarning
from pipeflow.storage.journal import journal_folder
from pipeflow.storage.manifest import MANIFEST_VERSION
from pipeflow.storage.signing import files_signature_for


class ResultCache(StoredValues):
    """Stored results of one pipeline in one store (reading values back: `loading.py`)."""

    def __init__(self, store: ResultStore, pipeline: str, *, hashes: FileFingerprints) -> None:
        self.store = store
        self.pipeline = pipeline
        self._hashes = hashes
        self._index: dict[str, set[str]] | None = None
        self._ignored: dict[str, str] = {}  # stored step name -> why its manifest was ignored
        self._root = local_root(store.url)  # None on an object store
        # On an object store, one listing, and the manifests in a few objects (`remote.py`).
        self._remote = RemoteManifests(store, pipeline) if self._root is None else None
        self._journal = self._journals()
        self._appends = self._remote is None  # whether runs journal small results as they go
        self._files: dict[str, set[str]] = {}  # the keys with a manifest file, per step
        self._newest: dict[str, Manifest | None] = {}  # per step, on an object store
        self._step_folders: dict[str, tuple[str, tuple[str, ...], str]] = {}  # `_folders`

    # -- paths ------------------------------------------------------------------------------

    def manifest_path(self, step: str, key: str) -> str:
        return f"{self._folders(step)[0]}/{key}.json"

    def manifest_paths(self, step: str, key: str) -> tuple[str, tuple[str, ...]]:
        """Where a result's manifest goes: under its key, then on a local store the `latest`
        copy (an object store keeps none: the newest is found from the listing)."""
        manifests, latest, _ = self._folders(step)
        return f"{manifests}/{key}.json", latest

    def _folders(self, step: str) -> tuple[str, tuple[str, ...], str]:
        """The folder of a step's manifests, its `latest` copies, and its payloads' folder:
        asked for every result stored, made once per step."""
        found = self._step_folders.get(step)
        if found is None:
            name = stored_name(step)
            manifests = f"{MANIFESTS}/{self.pipeline}/{name}"
            latest = () if self._remote is not None else (f"{manifests}/{LATEST}.json",)
            found = manifests, latest, f"{RESULTS}/{self.pipeline}/{name}"
            self._step_folders[step] = found
        return found

    @property
    def inlines(self) -> bool:
        """Whether small results go inside their manifest (`storage/inline.py`): on an object
        store, which keeps one object per result."""
        return self._remote is not None

    def payload_prefix(self, step: str, key: str) -> str:
        """Where the payloads of a result without a target go: PREFIX.PART.EXT."""
        return f"{self._folders(step)[2]}/{key}"

    def journal_folder(self, step: str, key: str) -> str | None:
        """Where this pipeline's runs journal a small result of `step` for `key`; None on an
        object store, which keeps one object per result (and the manifest index), and for a
        key with a manifest file already (damaged, or it would not run): the new result
        replaces that file, which would otherwise be read, and warned about, on every run."""
        if not self._appends:
            return None
        self.index()  # which keys have a manifest file (read once, if planning did not)
        if key in self._files.get(stored_name(step), ()):
            return None
        return journal_folder(self.pipeline)

    # -- finding ----------------------------------------------------------------------------

    def index(self) -> dict[str, set[str]]:
        """Which keys have a manifest, per step: one listing for the whole pipeline."""
        if self._index is None:
            index: dict[str, set[str]] = {}
            prefix = f"{MANIFESTS}/{self.pipeline}"
            if self._remote is not None:
                paths = self._remote.listed(prefix)
            else:
                paths = self.store.list(prefix)
            for path in paths:
                step, name = posixpath.split(path[len(prefix) + 1 :])
                if name.endswith(".json") and "/" not in step:
                    index.setdefault(step, set()).add(name[: -len(".json")])
            self._files = {step: set(keys) for step, keys in index.items()}
            latest = {LATEST} if self._appends else set()  # remotely: the newest is found
            for step, keys in self._journal.keys().items():
                index.setdefault(step, set()).update({*keys, *latest})
            self._index = index
        return self._index

    def find(self, step: str, key: str) -> Manifest | None:
        """The committed, intact result of `step` for `key`, or None."""
        manifest = self.find_manifest(step, key)
        if manifest is None:
            self.note_unreadable(step, key)
            return None
        broken = self.damaged_part(manifest)
        if broken is not None:
            self.warn_damaged(manifest, broken)
            return None
        return manifest

    def find_manifest(self, step: str, key: str) -> Manifest | None:
        """The committed manifest of `step` for `key`, or None; its payloads unchecked."""
        if key not in self.index().get(stored_name(step), ()):
            return None
        journaled = self._journal.get(step, key)
        if key not in self._files.get(stored_name(step), ()):
            return journaled
        path = self.manifest_path(step, key)
        manifest = self._read_manifest(path, together=True)
        if manifest is None:
            return journaled
        if manifest.key != key or stored_name(manifest.step) != stored_name(step):
            self._warn(path, why="it belongs to another step or key")
            return journaled
        return newest(manifest, journaled)

    def note_unreadable(self, step: str, key: str) -> None:
        """When `key` has a manifest file that could not be read (it warned), note it as why
        the step's stored result was not taken: it runs with a reason that says so, never
        "no stored result yet". One more call, only for a key listed but not found."""
        if key not in self._files.get(stored_name(step), ()):
            return  # none listed (or in a journal alone): no result for it indeed
        path = self.manifest_path(step, key)
        with contextlib.suppress(StorageError):
            if self.store.exists(path):  # not deleted since the listing: broken
                where = self.store.location(path)
                self._ignored[stored_name(step)] = f"its manifest {where} is broken"

    def ignored(self, step: str) -> str | None:
        """Why the stored result `find` last found for `step` was not taken, if it was not."""
        return self._ignored.get(stored_name(step))

    def warn_damaged(self, manifest: Manifest, broken: str) -> None:
        """Say a result is ignored because a payload is broken (not when a later run with
        other inputs overwrote its target: that is no damage)."""
        if not self.replaced_by_later_run(manifest):
            self._ignored[stored_name(manifest.step)] = broken
            self._warn(*self._place(manifest, manifest.key), why=broken)

    def replaced_by_later_run(self, manifest: Manifest) -> bool:
        """Whether a later run wrote other inputs' result to the same target: not damage."""
        latest = self.latest(manifest.step)
        if latest is None or latest.key == manifest.key:
            return False
        # A journal holds many results: a payload is a place in it, not the file.
        places = {(part.path, part.offset) for part in latest.parts.values()}
        overlapping = any((part.path, part.offset) in places for part in manifest.parts.values())
        return overlapping and self.damaged_part(latest) is None

    def latest(self, step: str) -> Manifest | None:
        """The newest result of `step` whatever its key, to explain what changed since."""
        if self._remote is not None or LATEST not in self.index().get(stored_name(step), ()):
            return self._newest_listed(step)  # locally: its `latest.json` deleted, or none
        journaled = self._journal.latest(step)
        if LATEST not in self._files.get(stored_name(step), ()):
            return journaled
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResultWarning)  # only used to explain a change
            return newest(self._read_manifest(self.manifest_path(step, LATEST)), journaled)

    def versions(self, step: str) -> list[Manifest]:
        """Every committed result of `step`, whatever its key, newest first; their payloads
        unchecked. Each manifest is read (on an object store, those the index lacks at once):
        for `pipeflow accept`, and for the reason of a step that runs when its newest result
        was made from other values (`plan/reasons.py`), never for a step whose result is
        current."""
        keys = sorted(self.index().get(stored_name(step), set()) - {LATEST})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResultWarning)  # a broken one is not a version
            found = [self.find_manifest(step, key) for key in keys]
        return sorted((m for m in found if m is not None), key=moment, reverse=True)

    def _newest_listed(self, step: str) -> Manifest | None:
        """On an object store (or where `latest.json` is gone), the newest (by `created`) of
        the step's manifests the listing shows, from the index where it vouches for them,
        and of its records in packs; a `latest.json` an earlier pipeflow wrote counts too,
        and wins a tie (written last)."""
        name = stored_name(step)
        if name not in self._newest:
            self.index()
            keys = self._files.get(name, set())
            found: Manifest | None = None
            for key in sorted(keys, key=lambda key: key != LATEST):
                with warnings.catch_warnings():  # only when there are some: not cheap, per step
                    warnings.simplefilter("ignore", ResultWarning)  # only to explain a change
                    manifest = self._read_manifest(
                        self.manifest_path(step, key), together=key != LATEST
                    )
                if manifest is None or key not in (LATEST, manifest.key):
                    continue
                if found is None or moment(manifest) > moment(found):
                    found = manifest
            self._newest[name] = newest(found, self._journal.latest(step))
        return self._newest[name]

    def _place(self, manifest: Manifest, name: str) -> tuple[str, str]:
        """Where a result's manifest is, to name it in a warning: its file, or its record in a
        journal, said with its step (the journal's path does not name it)."""
        if self._journal.get(manifest.step, manifest.key) is manifest and manifest.parts:
            path = self._journal.where(manifest.step, manifest.key)
            assert path is not None
            return path, f" (the record of `{manifest.step}` for key {manifest.key})"
        return self.manifest_path(manifest.step, name), ""

    def _read_manifest(self, path: str, *, together: bool = False) -> Manifest | None:
        """The manifest at `path` (on an object store, from the index when it vouches for it,
        and with `together` read at once with every other one it lacks: `remote.py`)."""
        if self._remote is None:
            return self.store.read_manifest(path)
        return self._remote.read(path, together=together)

    def latest_intact(self, step: str) -> Manifest | None:
        """The newest result of `step` whatever its key, if it may still be loaded (for a
        `cache: false` step, whose results are never up to date); else None, noting why."""
        manifest = self.latest(step)
        if manifest is None:
            return None
        broken = self.damaged_part(manifest)
        if broken is not None:
            self._ignored[stored_name(step)] = broken
            name = LATEST if self._remote is None else manifest.key  # no copy remotely
            self._warn(*self._place(manifest, name), why=broken)
            return None
        return manifest

    def damaged_part(self, manifest: Manifest) -> str | None:
        """Why a manifest's payloads cannot be taken (they no longer match it, or one would run
        code and is not signed with this machine's key), or None when they all can."""
        for name, part in manifest.parts.items():
            problem = self.store.trust_problem(part) or self._check(part)
            if problem is not None:
                return f"its part `{name}` ({self._holder(manifest, part)}) {problem}"
        return None

    def check_part(self, part: PartRecord) -> str | None:
        """What is wrong with a stored payload ("is missing", ...), or None when it is whole."""
        return self._check(part)

    def _check(self, part: PartRecord) -> str | None:
        return payload_problem(
            part,
            root=self._root,
            hashes=self._hashes,
            journal=self._journal,
            stamps=self._remote.stamps if self._remote is not None else dict,
        )

    def _journals(self) -> JournalIndex:
        """What the journals hold (`journal.py`): on a local store those the runs append to,
        on an object store the packs (`packing.py`), found in its one listing."""
        listed = self._remote.stamps if self._remote is not None else None
        return JournalIndex(self.store, self.pipeline, stored_name, listed=listed)

    # -- recording --------------------------------------------------------------------------

    def record(self, manifest: Manifest) -> None:
        """Commit a result: its manifest under its key, then the `latest` copy (locally)."""
        path, copies = self.manifest_paths(manifest.step, manifest.key)
        self.store.write_manifest(path, manifest, copies=copies)
        name = stored_name(manifest.step)
        if self._index is not None:
            names = {manifest.key, LATEST} if copies else {manifest.key}
            self._index.setdefault(name, set()).update(names)
            self._files.setdefault(name, set()).update(names)
        self._newest.pop(name, None)
        if self._remote is not None:
            self._remote.recorded(path, manifest)

    def published(self, manifest: Manifest) -> None:
        """This run stored `manifest` under its key: the manifest index learns it, to be
        published by `publish_index`."""
        if self._remote is not None:
            path = self.manifest_path(manifest.step, manifest.key)
            self._remote.published(path, manifest)

    def publish_index(self) -> None:
        """At the end of a run, on an object store: the pack of small results and what the
        manifest index learned (`remote.py`)."""
        if self._remote is not None and self._remote.publish():
            # What this cache found is out of date: found again if it is asked again.
            self._index, self._newest, self._journal = None, {}, self._journals()

    def restamp(self, manifest: Manifest, key: str, components: dict[str, Any]) -> Manifest:
        """The same stored result, counted for a new key (`pipeflow accept`)."""
        signature = files_signature_for(manifest, key)  # its files' list, for the new key
        stamped = replace(manifest, key=key, version=MANIFEST_VERSION, components=components)
        stamped = replace(stamped, files_signature=signature)
        self.record(stamped)
        return stamped

    def _warn(self, path: str, record: str = "", *, why: str) -> None:
        warnings.warn(
            f"ignoring the stored result at {self.store.location(path)}{record}: {why}; "
            "the step will run again",
            ResultWarning,
            stacklevel=3,
        )


def newest(manifest: Manifest | None, journaled: Manifest | None) -> Manifest | None:
    """The newer of a manifest file's and a journal record's manifest (the file on a tie: a
    restamped manifest, `accept`, keeps the time of the result it counts again)."""
    if manifest is None or journaled is None:
        return manifest or journaled
    return journaled if moment(journaled) > moment(manifest) else manifest
