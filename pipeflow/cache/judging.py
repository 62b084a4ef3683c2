"""Which of a store's manifests `pipeflow gc` keeps, and why (`collect.py` lists them and
deletes the rest; its docstring has the rules in order): current keys, latest results, the
last runs, results of other configs, the young. `Found` is a manifest as listed."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from pipeflow.cache.journal import moment
from pipeflow.cache.layout import LATEST, MANIFESTS, stored_name
from pipeflow.cache.retention import Retention
from pipeflow.storage import Manifest

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Why a manifest is kept, as the report counts them.
CURRENT = "current"
RECENT_RUNS = "last runs"
YOUNG = "recent"
LATEST_COPY = "latest"
UNKNOWN_KEYS = "keys unknown before a run"
OTHER_CONFIGS = "stored by other configs"


@dataclass
class Found:
    """A manifest as listed: where, when written, and its content (None when unreadable); for
    a record of a run's journal, the journal's path and when it was last appended to."""

    path: str
    size: int
    written: datetime | None
    manifest: Manifest | None
    journaled: bool = False


def judge(
    found: list[Found],
    current: Mapping[str, Mapping[str, Iterable[str]]],
    keep_all: set[tuple[str, str]],
    retention: Retention,
    owner: str | None = None,
    latest_items: Mapping[tuple[str, str], Iterable[str]] | None = None,
) -> tuple[list[Found], list[Found], dict[str, int]]:
    """(kept, deleted, manifests kept per reason) among every manifest found."""
    kept: list[Found] = []
    steps: dict[tuple[str, str], list[Found]] = {}
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
    deleted: list[Found] = []
    for (pipeline, step), items in steps.items():
        if retention.removed_steps and _removed(pipeline, step, current, keep_all):
            for item in items:  # none is latest, current or a last run's: only age keeps it
                young = retention.young(item.written)
                if young or (item.manifest and retention.young(created_at(item.manifest))):
                    kept.append(item)
                    reasons[YOUNG] = reasons.get(YOUNG, 0) + 1
                else:
                    deleted.append(item)
            continue
        keys = set(current[pipeline].get(step, ()))
        latest = _latest_keys(items, keys)
        latest |= _latest_of_items(items, (latest_items or {}).get((pipeline, step), ()))
        runs = _newest_runs(items, retention.keep_last)
        for item in items:
            manifest = item.manifest
            assert manifest is not None
            reason = (
                LATEST_COPY
                if item_name(item) == LATEST
                else CURRENT
                if manifest.key in keys
                else LATEST_COPY
                if manifest.key in latest
                else UNKNOWN_KEYS
                if (pipeline, step) in keep_all
                else RECENT_RUNS
                if manifest.run_id in runs
                else YOUNG
                if retention.young(item.written) or retention.young(created_at(manifest))
                else None
            )
            if reason is None:
                deleted.append(item)
            else:
                kept.append(item)
                reasons[reason] = reasons.get(reason, 0) + 1
    return kept, deleted, reasons


def _removed(
    pipeline: str,
    step: str,
    current: Mapping[str, Mapping[str, Iterable[str]]],
    keep_all: set[tuple[str, str]],
) -> bool:
    """Whether the config gc was given has no step stored under this name any more."""
    return step not in current[pipeline] and (pipeline, step) not in keep_all


def _made_by_another(item: Found, owner: str | None) -> bool:
    """Whether a result was stored by a run of another config than the one gc was given
    (`owner`): a sub-pipeline's steps store under the child's names whether the child runs
    alone or inlined, and its manifest names the pipeline of the run that stored it."""
    manifest = item.manifest
    if owner is None or manifest is None or item_name(item) == LATEST:
        return False
    return manifest.pipeline != owner


def _latest_keys(items: list[Found], keys: set[str]) -> set[str]:
    """The keys of one stored step's latest results: `latest.json`'s, the newest record of a
    journal, and (an object store keeps no `latest.json`) its newest manifest; each per
    instance (`one/train`, `two/train`: one sub-pipeline inlined twice stores under one name)."""
    latest = {i.manifest.key for i in items if item_name(i) == LATEST and i.manifest is not None}
    copies = [i.manifest for i in items if item_name(i) == LATEST and i.manifest is not None]
    instances: dict[str, list[Found]] = {}
    for item in items:
        if item.manifest is not None and item_name(item) != LATEST:
            instances.setdefault(item.manifest.step, []).append(item)
    for found in instances.values():
        # The newest record in a journal is the step's latest as much as `latest.json` is.
        records = [i.manifest for i in found if i.journaled and i.manifest is not None]
        if records:
            latest.add(max(records, key=moment).key)
        # An object store keeps no `latest.json`: its newest manifest is the step's latest
        # (one newer than a `latest.json` an earlier pipeflow left is, too).
        # Of two alike (`accept` restamps keeping `created`), the current one.
        files = [i.manifest for i in found if item_name(i) != "record" and i.manifest]
        newest = max(files, key=lambda m: (moment(m), m.key in keys), default=None)
        if newest is not None and all(
            moment(m) < moment(newest) for m in copies if m.step == newest.step
        ):
            latest.add(newest.key)
    return latest


def _latest_of_items(items: list[Found], digests: Iterable[str]) -> set[str]:
    """For a `foreach` step, the keys of the newest result of each item of its latest list
    (`digests`: each item's digest, as its manifest's `item` component holds it)."""
    wanted = set(digests)
    newest: dict[str, Manifest] = {}
    for item in items:
        manifest = item.manifest
        if manifest is None or item_name(item) == LATEST:
            continue
        digest = manifest.components.get("item")
        if digest in wanted and (digest not in newest or moment(newest[digest]) < moment(manifest)):
            newest[digest] = manifest
    return {manifest.key for manifest in newest.values()}


def _newest_runs(items: list[Found], count: int) -> set[str]:
    """The ids of the `count` newest runs that made a manifest among `items`: by when their
    manifests were created (to the microsecond; to the second before 2026-12), then written
    (where the store says), then by id."""
    newest: dict[str, tuple[datetime, datetime]] = {}
    for item in items:
        manifest = item.manifest
        if manifest is not None and item_name(item) != LATEST:
            moment = (created_at(manifest) or _EPOCH, item.written or _EPOCH)
            newest[manifest.run_id] = max(newest.get(manifest.run_id, moment), moment)
    ordered = sorted(newest, key=lambda run: (newest[run], run), reverse=True)
    return set(ordered[:count])


def item_name(item: Found) -> str:
    if item.journaled:
        return "record"
    return posixpath.basename(item.path)[: -len(".json")]


def created_at(manifest: Manifest) -> datetime | None:
    try:
        return _instant(manifest.created)
    except ValueError:
        return None


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
