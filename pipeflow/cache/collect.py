"""`pipeflow gc`: which stored objects of a store are still needed, and deleting the others.

gc only ever deletes under the store's own areas (`results.py` has the layout):
`.pipeflow/manifests/`, `.pipeflow/results/` and `.pipeflow/files/sha256/`. A target payload
at a user's path and the files of the workspace are never touched, even when no kept manifest
names them any more: they are the user's outputs. Their blobs go once nothing kept names them.

What is kept, in order:

1. every manifest of a pipeline gc was not asked about (its results are not ours to judge),
   and every result a run of another config stored (its manifest's `pipeline` is not the
   `owner`'s): a sub-pipeline's steps store under the child's names whether the child runs
   alone or inlined in any parent, and gc knows only its own config's current keys;
2. every `latest.json` with the manifest of its key, the newest record of each instance of a
   step (`one/train`, `two/train`) and, on an object store, which keeps no `latest.json`, its
   newest manifest (by `created`); for a `foreach` step, also the newest result of each item
   of its latest list (`latest_items`: what the upstream's latest result holds);
3. the manifests of the current keys (`current`), and every manifest of a step whose current
   keys cannot be known before it runs (`keep_all`: a `foreach` over a step's value);
4. per step, every manifest made by its last `keep_last` runs (a run of a `foreach` step makes
   one manifest per item: all of them count);
5. anything written (or, for a manifest, created) less than `max(older_than, grace)` ago:
   the grace period protects a run in progress on any machine, which writes payloads and
   blobs before the manifest that names them;
6. every object a kept manifest names (`results.py`'s docstring lists them): its parts, their
   blobs, the blobs of its `files`; blobs are shared, so one goes only when no kept manifest,
   of any pipeline in the store, names it.

A run's journal (`storage/journal.py`) holds the manifests and payloads of small results: its
records are judged like manifests; it goes whole once none is kept, and is rewritten without
the others when some are (not while it was appended to within the grace period, nor while a
kept manifest file points into it: `accept` writes one).

Everything else under those areas goes, orphans included (objects no manifest names: what a
crashed run left), once older than the grace period. Manifests are deleted first: a crash of
gc then leaves orphans for the next gc, never a manifest naming a deleted object. Then the
manifest index of each pipeline concerned (`index.py`) is published again without them.

A manifest that cannot be read stops gc before anything is deleted: what it names is unknown,
so no blob could be said to be unused.
"""

from __future__ import annotations

import os
import posixpath
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeflow.cache.index import ManifestIndex
from pipeflow.cache.journal import compact, journal_manifests, moment
from pipeflow.cache.layout import LATEST, MANIFESTS, RESULTS, stored_name
from pipeflow.cache.retention import Collection, Removal, Retention
from pipeflow.errors import StorageError
from pipeflow.storage import Manifest, ResultStore, ResultWarning
from pipeflow.storage.blobs import BLOBS, blob_path, local_root
from pipeflow.storage.journal import JOURNAL, is_journal

MANIFEST = "manifest"
PAYLOAD = "payload"
BLOB = "blob"
JOURNAL_FILE = "journal"
RECORD = "record"  # a result in a journal that stays: the journal is rewritten without it
_PARALLEL_READS = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Why a manifest is kept, as the report counts them.
CURRENT = "current"
RECENT_RUNS = "last runs"
YOUNG = "recent"
LATEST_COPY = "latest"
UNKNOWN_KEYS = "keys unknown before a run"
OTHER_CONFIGS = "stored by other configs"


@dataclass
class _Found:
    """A manifest as listed: where, when written, and its content (None when unreadable); for
    a record of a run's journal, the journal's path and when it was last appended to."""

    path: str
    size: int
    written: datetime | None
    manifest: Manifest | None
    journaled: bool = False


def survey(
    store: ResultStore,
    current: Mapping[str, Mapping[str, Iterable[str]]],
    retention: Retention,
    *,
    keep_all: Iterable[tuple[str, str]] = (),
    owner: str | None = None,
    latest_items: Mapping[tuple[str, str], Iterable[str]] | None = None,
) -> Collection:
    """What gc would delete from `store`. `current`: pipeline -> stored step name -> its
    current keys, for every pipeline whose results gc judges here (others are kept whole);
    `keep_all`: (pipeline, step) pairs whose results are all kept; `owner`: the pipeline of
    the config gc was given (results stored by another's runs are kept; None: judge all);
    `latest_items`: (pipeline, step) -> the digests of a `foreach` step's latest items."""
    objects = {
        path: entry
        for prefix in (MANIFESTS, RESULTS, BLOBS, JOURNAL)
        for path, entry in store.modified(prefix).items()
    }
    found = _read_manifests(store, objects)
    journals = {
        path: entry
        for path, entry in objects.items()
        if is_journal(path) and path.split("/")[2] in current
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)  # a broken record is no result: no loss
        found += [
            _Found(path, size, written, manifest, journaled=True)
            for path, (_, written) in journals.items()
            for manifest, size in journal_manifests(store, path)
        ]
    unreadable = [item.path for item in found if item.manifest is None]
    if unreadable:
        listing = "\n".join(f"  {store.location(path)}" for path in unreadable)
        raise StorageError(
            f"gc cannot read {len(unreadable)} manifest(s), so it cannot tell which stored "
            f"objects they need, and deletes nothing:\n{listing}\nDelete those files if they "
            "are broken, or run gc with the pipeflow version that wrote them."
        )
    kept, deleted, reasons = _judge(found, current, set(keep_all), retention, owner, latest_items)
    named = {path for item in kept for path in _named(item)}
    removals = [Removal(MANIFEST, item.path, item.size) for item in deleted if not item.journaled]
    rewrites = _rewrites(kept, deleted, journals, retention)
    removals += [Removal(RECORD, i.path, i.size) for i in deleted if i.path in rewrites]
    ours = tuple(f"{RESULTS}/{pipeline}/" for pipeline in current)
    for path, (size, written) in objects.items():
        if path in named or retention.young(written):
            continue
        if path in journals:
            # None of its records is kept, nor named by a kept manifest (`accept`): it goes
            # whole. One with any kept record stays whole (it is not rewritten without the rest).
            removals.append(Removal(JOURNAL_FILE, path, size))
        elif path.startswith(ours):
            removals.append(Removal(PAYLOAD, path, size))
        elif path.startswith(f"{BLOBS}/"):
            removals.append(Removal(BLOB, path, size))
    return Collection(store, tuple(removals), reasons, rewrites)


def sweep(collection: Collection) -> None:
    """Delete what `survey` found: manifests first, then what they named."""
    store = collection.store
    manifests = [r.path for r in collection.removals if r.kind == MANIFEST]
    others = [r.path for r in collection.removals if r.kind not in (MANIFEST, RECORD)]
    store.delete_files(manifests)
    _prune_indexes(store, manifests)
    for path, keep in collection.rewrites.items():
        compact(store, path, keep)
    store.delete_files(others)
    _remove_empty_folders(store, [r.path for r in collection.removals if r.kind == PAYLOAD])


def _rewrites(
    kept: list[_Found],
    deleted: list[_Found],
    journals: Mapping[str, tuple[int, datetime | None]],
    retention: Retention,
) -> dict[str, tuple[Manifest, ...]]:
    """The journals to rewrite without their deleted records: those with both kept and deleted
    records, not written to within the grace period (a run may be appending), and named by no
    kept manifest file (`accept` writes one whose payloads point into a journal)."""
    by_files = {path for item in kept if not item.journaled for path in _named(item)}
    dead = {item.path for item in deleted if item.journaled}
    keep: dict[str, list[Manifest]] = {}
    for item in kept:
        if item.journaled and item.manifest is not None and item.path in dead:
            keep.setdefault(item.path, []).append(item.manifest)
    return {
        path: tuple(manifests)
        for path, manifests in keep.items()
        if path not in by_files and not retention.young(journals[path][1])
    }


def _prune_indexes(store: ResultStore, removed: list[str]) -> None:
    """The manifest index of each pipeline whose manifests gc removed stops naming them
    (`index.py`). A store that refuses loses nothing: an entry no listing shows is not believed."""
    by_pipeline: dict[str, list[str]] = {}
    for path in removed:
        by_pipeline.setdefault(path[len(MANIFESTS) + 1 :].split("/")[0], []).append(path)
    for pipeline, paths in by_pipeline.items():
        index = ManifestIndex(store, pipeline)
        with suppress(StorageError):
            index.load()
            index.check(store.stamps(f"{MANIFESTS}/{pipeline}"))
            index.forget(paths)
            index.publish()


def _read_manifests(
    store: ResultStore, objects: Mapping[str, tuple[int, datetime | None]]
) -> list[_Found]:
    listed = [
        _Found(path, size, written, None)
        for path, (size, written) in objects.items()
        if path.startswith(f"{MANIFESTS}/") and path.endswith(".json")
    ]

    def read(item: _Found) -> _Found | None:
        item.manifest = store.read_manifest(item.path)
        if item.manifest is None and not store.exists(item.path):
            return None  # deleted since the listing (another gc): nothing to judge
        return item

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)  # gc says it once, for all of them
        with ThreadPoolExecutor(_PARALLEL_READS) as pool:
            return [item for item in pool.map(read, listed) if item is not None]


def _judge(
    found: list[_Found],
    current: Mapping[str, Mapping[str, Iterable[str]]],
    keep_all: set[tuple[str, str]],
    retention: Retention,
    owner: str | None = None,
    latest_items: Mapping[tuple[str, str], Iterable[str]] | None = None,
) -> tuple[list[_Found], list[_Found], dict[str, int]]:
    """(kept, deleted, manifests kept per reason) among every manifest found."""
    kept: list[_Found] = []
    steps: dict[tuple[str, str], list[_Found]] = {}
    reasons: dict[str, int] = {}
    for item in found:
        parts = item.path[len(MANIFESTS) + 1 :].split("/")
        if item.journaled and item.manifest is not None:
            # A journal's record: its step and key are in its manifest, never `latest`.
            parts = [item.path.split("/")[2], stored_name(item.manifest.step), "record"]
        if len(parts) != 3 or parts[0] not in current:
            kept.append(item)  # another pipeline's, or not pipeflow's layout
        elif _made_by_another(item, owner):
            kept.append(item)  # under a sub-pipeline's name gc judges, but not its config's
            reasons[OTHER_CONFIGS] = reasons.get(OTHER_CONFIGS, 0) + 1
        else:
            steps.setdefault((parts[0], parts[1]), []).append(item)
    deleted: list[_Found] = []
    for (pipeline, step), items in steps.items():
        keys = set(current[pipeline].get(step, ()))
        latest = _latest_keys(items, keys)
        latest |= _latest_of_items(items, (latest_items or {}).get((pipeline, step), ()))
        runs = _newest_runs(items, retention.keep_last)
        for item in items:
            manifest = item.manifest
            assert manifest is not None
            reason = (
                LATEST_COPY
                if _name(item) == LATEST
                else CURRENT
                if manifest.key in keys
                else LATEST_COPY
                if manifest.key in latest
                else UNKNOWN_KEYS
                if (pipeline, step) in keep_all
                else RECENT_RUNS
                if manifest.run_id in runs
                else YOUNG
                if retention.young(item.written) or retention.young(_created(manifest))
                else None
            )
            if reason is None:
                deleted.append(item)
            else:
                kept.append(item)
                reasons[reason] = reasons.get(reason, 0) + 1
    return kept, deleted, reasons


def _made_by_another(item: _Found, owner: str | None) -> bool:
    """Whether a result was stored by a run of another config than the one gc was given
    (`owner`): a sub-pipeline's steps store under the child's names whether the child runs
    alone or inlined, and its manifest names the pipeline of the run that stored it."""
    manifest = item.manifest
    if owner is None or manifest is None or _name(item) == LATEST:
        return False
    return manifest.pipeline != owner


def _latest_keys(items: list[_Found], keys: set[str]) -> set[str]:
    """The keys of one stored step's latest results: `latest.json`'s, the newest record of a
    journal, and (an object store keeps no `latest.json`) its newest manifest; each per
    instance (`one/train`, `two/train`: one sub-pipeline inlined twice stores under one name)."""
    latest = {i.manifest.key for i in items if _name(i) == LATEST and i.manifest is not None}
    copies = [i.manifest for i in items if _name(i) == LATEST and i.manifest is not None]
    instances: dict[str, list[_Found]] = {}
    for item in items:
        if item.manifest is not None and _name(item) != LATEST:
            instances.setdefault(item.manifest.step, []).append(item)
    for found in instances.values():
        # The newest record in a journal is the step's latest as much as `latest.json` is.
        records = [i.manifest for i in found if i.journaled and i.manifest is not None]
        if records:
            latest.add(max(records, key=moment).key)
        # An object store keeps no `latest.json`: its newest manifest is the step's latest
        # (one newer than a `latest.json` an earlier pipeflow left is, too).
        # Of two alike (`accept` restamps keeping `created`), the current one.
        files = [i.manifest for i in found if _name(i) != "record" and i.manifest]
        newest = max(files, key=lambda m: (moment(m), m.key in keys), default=None)
        if newest is not None and all(
            moment(m) < moment(newest) for m in copies if m.step == newest.step
        ):
            latest.add(newest.key)
    return latest


def _latest_of_items(items: list[_Found], digests: Iterable[str]) -> set[str]:
    """For a `foreach` step, the keys of the newest result of each item of its latest list
    (`digests`: each item's digest, as its manifest's `item` component holds it)."""
    wanted = set(digests)
    newest: dict[str, Manifest] = {}
    for item in items:
        manifest = item.manifest
        if manifest is None or _name(item) == LATEST:
            continue
        digest = manifest.components.get("item")
        if digest in wanted and (digest not in newest or moment(newest[digest]) < moment(manifest)):
            newest[digest] = manifest
    return {manifest.key for manifest in newest.values()}


def _newest_runs(items: list[_Found], count: int) -> set[str]:
    """The ids of the `count` newest runs that made a manifest among `items`: by when their
    manifests were created (to the microsecond; to the second before 2026-12), then written
    (where the store says), then by id."""
    newest: dict[str, tuple[datetime, datetime]] = {}
    for item in items:
        manifest = item.manifest
        if manifest is not None and _name(item) != LATEST:
            moment = (_created(manifest) or _EPOCH, item.written or _EPOCH)
            newest[manifest.run_id] = max(newest.get(manifest.run_id, moment), moment)
    ordered = sorted(newest, key=lambda run: (newest[run], run), reverse=True)
    return set(ordered[:count])


def _named(item: _Found) -> Iterable[str]:
    """Every object a kept manifest needs: itself, its parts and their blobs, its files."""
    yield item.path
    manifest = item.manifest
    if manifest is None:
        return
    for part in manifest.parts.values():
        yield part.path
        if part.blob is not None:
            yield part.blob
    for written in manifest.files.values():
        for entry in written.entries.values():
            yield blob_path(entry.checksum)


def _name(item: _Found) -> str:
    if item.journaled:
        return "record"
    return posixpath.basename(item.path)[: -len(".json")]


def _created(manifest: Manifest) -> datetime | None:
    try:
        return _instant(manifest.created)
    except ValueError:
        return None


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _remove_empty_folders(store: ResultStore, payloads: list[str]) -> None:
    """On a local store, the folders of deleted payloads that are left empty (object stores
    have no folders). Never the layout's own top folders."""
    root = local_root(store)
    if root is None:
        return
    folders = {posixpath.dirname(path) for path in payloads}
    for folder in sorted(folders, key=lambda name: -name.count("/")):
        while folder.count("/") > RESULTS.count("/") + 1:  # down to results/PIPELINE
            try:
                os.rmdir(os.path.join(root, folder))
            except OSError:
                break  # not empty (or already gone): so are its parents
            folder = posixpath.dirname(folder)
