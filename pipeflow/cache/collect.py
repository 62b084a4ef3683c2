"""`pipeflow gc`: which stored objects of a store are still needed, and deleting the others.

gc only ever deletes under the store's own areas (`results.py` has the layout):
`.pipeflow/manifests/`, `.pipeflow/results/` and `.pipeflow/files/sha256/`, and pipeflow's
own temporaries beside targets (below). A target payload
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

Given `removed_steps` (`gc --removed-steps`), a step of the config's pipeline that the config
no longer has keeps only what rule 5 keeps: not its latest, nor its last runs.

A run's journal (`storage/journal.py`) holds the manifests and payloads of small results: its
records are judged like manifests; it goes whole once none is kept, and is rewritten without
the others when some are (not while it was appended to within the grace period, nor while a
kept manifest file points into it: `accept` writes one).

Everything else under those areas goes, orphans included (objects no manifest names: what a
crashed run left), once older than the grace period. So do the temporaries a run killed as it
wrote left on a local disk (`storage/publish.py` writes `.NAME.tmp-UUID` and moves it into
place): under those areas, and the pipeline's `.pipeflow/journal/` and `.pipeflow/index/` (a
journal rewritten, an index published), and beside a target that a manifest names, a temporary
of that target's name; in the folder a target template of the config writes in (`{params.*}`
filled in; a run killed as it first wrote a target left one no manifest names), a temporary of
a name the template gives, unless another pipeline's manifest names that file (nothing else of
the user's there). Manifests are deleted first: a crash of gc then leaves orphans for the next
gc, never a manifest naming a deleted object. Then the manifest index of each pipeline
concerned (`index.py`) is published again without them.

A manifest that cannot be read stops gc before anything is deleted: what it names is unknown,
so no blob could be said to be unused.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime

from pipeflow.cache.index import INDEX, ManifestIndex
from pipeflow.cache.journal import compact, journal_manifests
from pipeflow.cache.judging import Found, judge
from pipeflow.cache.layout import MANIFESTS, RESULTS
from pipeflow.cache.retention import Collection, Removal, Retention
from pipeflow.errors import StorageError
from pipeflow.storage import Manifest, ResultStore, ResultWarning
from pipeflow.storage.blobs import BLOBS, blob_path, local_root
from pipeflow.storage.journal import JOURNAL, is_journal
from pipeflow.storage.paths import MOST_NAME_BYTES, name_bytes, temporary_of

MANIFEST = "manifest"
PAYLOAD = "payload"
BLOB = "blob"
JOURNAL_FILE = "journal"
RECORD = "record"  # a result in a journal that stays: the journal is rewritten without it
TEMPORARY = "temporary"  # what a write cut short for good left (`storage/publish.py`)
_PARALLEL_READS = 8


def survey(
    store: ResultStore,
    current: Mapping[str, Mapping[str, Iterable[str]]],
    retention: Retention,
    *,
    keep_all: Iterable[tuple[str, str]] = (),
    owner: str | None = None,
    latest_items: Mapping[tuple[str, str], Iterable[str]] | None = None,
    targets: Mapping[str, Iterable[str]] | None = None,
) -> Collection:
    """What gc would delete from `store`. `current`: pipeline -> stored step name -> its
    current keys, for every pipeline whose results gc judges here (others are kept whole);
    `keep_all`: (pipeline, step) pairs whose results are all kept; `owner`: the pipeline of
    the config gc was given (results stored by another's runs are kept; None: judge all);
    `latest_items`: (pipeline, step) -> the digests of a `foreach` step's latest items;
    `targets`: folder -> the names (globs) the judged pipelines' target templates give files
    there (`plan/current.py`'s `target_place`)."""
    objects = {
        path: entry
        for prefix in (MANIFESTS, RESULTS, BLOBS, JOURNAL, INDEX)
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
            Found(path, size, written, manifest, journaled=True)
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
    kept, deleted, reasons = judge(found, current, set(keep_all), retention, owner, latest_items)
    named = {path for item in kept for path in _named(item)}
    removals = [Removal(MANIFEST, item.path, item.size) for item in deleted if not item.journaled]
    rewrites = _rewrites(kept, deleted, journals, retention)
    removals += [Removal(RECORD, i.path, i.size) for i in deleted if i.path in rewrites]
    ours = tuple(f"{RESULTS}/{pipeline}/" for pipeline in current)
    # A temporary of a pipeline gc judges, or of a blob (shared: any orphan of theirs goes).
    # Its index and journals are published through temporaries too (`index.py`, `compact`).
    areas = (MANIFESTS, JOURNAL, INDEX)
    temporaries = (*ours, *(f"{area}/{name}/" for area in areas for name in current), f"{BLOBS}/")
    for path, (size, written) in objects.items():
        if path in named or retention.young(written):
            continue
        if temporary_of(posixpath.basename(path)) is not None:
            if path.startswith(temporaries):
                removals.append(Removal(TEMPORARY, path, size))
        elif path in journals:
            # None of its records is kept, nor named by a kept manifest (`accept`): it goes
            # whole. One with any kept record stays whole (it is not rewritten without the rest).
            removals.append(Removal(JOURNAL_FILE, path, size))
        elif path.startswith(ours):
            removals.append(Removal(PAYLOAD, path, size))
        elif path.startswith(f"{BLOBS}/"):
            removals.append(Removal(BLOB, path, size))
    removals += _beside_targets(store, found, set(current), targets or {}, retention)
    return Collection(store, tuple(removals), reasons, rewrites)


def _beside_targets(
    store: ResultStore,
    found: list[Found],
    judged: set[str],
    templates: Mapping[str, Iterable[str]],
    retention: Retention,
) -> list[Removal]:
    """The temporaries a write cut short for good (a run killed as it wrote a target) left
    beside the targets of a local store: each an old temporary, in its folder, of a file that
    a manifest of a pipeline gc judges names outside `.pipeflow/`, or (a run killed as it
    first wrote a target, before any manifest named it) of a name a target template of the
    config gives, unless another pipeline's manifest names that file: its run may be writing
    it. Object stores have none: a payload goes up in one request from a local spool. A file
    of the user's is never one of these."""
    if local_root(store) is None:
        return []
    ours: dict[str, set[str]] = {}  # folder -> the names of the targets in it
    theirs: dict[str, set[str]] = {}
    for item in found:
        if item.manifest is None:
            continue
        named = ours if item.manifest.pipeline in judged else theirs
        for part in item.manifest.parts.values():
            if not part.path.startswith(".pipeflow/"):
                folder, name = posixpath.split(part.path)
                named.setdefault(folder, set()).add(name)
    removals = []
    for folder in sorted({*ours, *templates}):
        try:
            temporaries = store.temporaries(folder)
        except StorageError:
            continue  # a folder gone, or leading out of the root: nothing of ours to delete
        names, globs = ours.get(folder, set()), templates.get(folder, ())
        for path, (size, written) in temporaries.items():
            started = temporary_of(posixpath.basename(path)) or ""
            if retention.young(written):
                continue
            if any(n.startswith(started) for n in names) or (
                any(_may_name(started, glob) for glob in globs)
                and not any(n.startswith(started) for n in theirs.get(folder, ()))
            ):
                removals.append(Removal(TEMPORARY, path, size))
    return removals


def _may_name(started: str, glob: str) -> bool:
    """Whether a temporary of a name beginning `started` (`temporary_name` cuts a long one)
    may be of a file named by `glob`."""
    if fnmatch.fnmatchcase(started, glob):
        return True
    cut = name_bytes(started) >= MOST_NAME_BYTES - 1 - len(".tmp-") - 32 - 3
    fixed = glob.split("*", 1)[0]
    return cut and (started.startswith(fixed) or fixed.startswith(started))


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
    kept: list[Found],
    deleted: list[Found],
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
) -> list[Found]:
    listed = [
        Found(path, size, written, None)
        for path, (size, written) in objects.items()
        if path.startswith(f"{MANIFESTS}/") and path.endswith(".json")
    ]

    def read(item: Found) -> Found | None:
        item.manifest = store.read_manifest(item.path)
        if item.manifest is None and not store.exists(item.path):
            return None  # deleted since the listing (another gc): nothing to judge
        return item

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)  # gc says it once, for all of them
        with ThreadPoolExecutor(_PARALLEL_READS) as pool:
            return [item for item in pool.map(read, listed) if item is not None]


def _named(item: Found) -> Iterable[str]:
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
