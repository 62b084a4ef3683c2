"""`Pipeline.gc` (issue 11, SPEC section 12) on real stores: a local folder, S3 on moto's
server, GCS on the emulator, memory://.

A project whose steps store a value (under `.pipeflow/results/`), a payload at a target (kept
as a blob too) and a folder of files (blobs, one of them the same in every version) is run
with several values of a param; gc must keep the current results, the latest, the last N
runs, anything young, and every blob a kept manifest names, and delete the rest. What stays
is still cached (or restored); a version gc deleted runs again.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import pipeflow
from pipeflow.cache.index import INDEX
from pipeflow.errors import ConfigError
from pipeflow.model.run import Action, StepState
from pipeflow.storage import ResultStore
from pipeflow.storage.blobs import RAW, LocalFile, blob_path
from tests import journals
from tests.conftest import ProjectFactory
from tests.servers import ObjectStore

STEPS = """
from pathlib import Path

import fsspec

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def words(n):
    note("words")
    return [f"word{index}" for index in range(n)]


def write_files(n, shared, out, options):
    note("files")
    filesystem, root = fsspec.core.url_to_fs(out, **options)
    filesystem.makedirs(root, exist_ok=True)
    with filesystem.open(f"{root}/n.txt", "w") as handle:
        handle.write(f"version {n}")
    with filesystem.open(f"{root}/shared.txt", "w") as handle:
        handle.write(shared)


def table(words):
    note("table")
    return {"count": len(words), "words": words}
"""

SHARED = "the same in every version"
PAST = timedelta(hours=2)  # "now" moved on this much: everything written is old


class Project:
    """A project folder, its config, and the store its results go to."""

    def __init__(self, folder: Path, root: str, options: dict[str, object]) -> None:
        self.folder = folder
        self.config = folder / "pipeline.yaml"
        self.store = ResultStore(root if "://" in root else str(folder / root), options)
        # On a local store `words` (a small value, no target, no writes) is a record of its
        # run's journal: gc deletes a journal whole, once none of its records is kept.
        self.journaled = int("://" not in root)
        # On an object store it is its manifest alone, its bytes inside (`storage/inline.py`).
        self.inlined = int("://" in root)
        # No trailing `/` on a URL: on GCS (the emulator) a write declared `.../files/` lists
        # its files as `/n.txt` and its manifest is refused (a bug of the files feature).
        out = f"{root}/exports/files" if "://" in root else "data/files/"
        (folder / "gcsteps.py").write_text(textwrap.dedent(STEPS))
        text = f"""
            name: gcdemo
            params: {{n: 1, shared: {json.dumps(SHARED)}}}
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              words:
                run: gcsteps.words
                inputs: {{n: "${{params.n}}"}}
              files:
                run: gcsteps.write_files
                inputs:
                  n: "${{params.n}}"
                  shared: "${{params.shared}}"
                  out: {json.dumps(out)}
                  options: {json.dumps(options)}
                writes: [{json.dumps(out)}]
              table:
                run: gcsteps.table
                inputs: {{words: "${{steps.words}}"}}
                result: {{target: table.json}}
        """
        self.config.write_text(textwrap.dedent(text))

    def run(self, n: int) -> list[str]:
        """Run with param n; the steps that ran."""
        result = pipeflow.load(self.config, params={"n": n}).run()
        assert result.ok, {name: (o.state, o.error) for name, o in result.outcomes.items()}
        assert result.output("table")["count"] == n
        return self.calls()

    def calls(self) -> list[str]:
        log = self.folder / "calls.log"
        found = log.read_text().split() if log.exists() else []
        log.unlink(missing_ok=True)
        return sorted(found)

    def actions(self, n: int) -> dict[str, Action]:
        decisions = pipeflow.load(self.config, params={"n": n}).status()
        return {decision.step: decision.action for decision in decisions}

    def has_blob(self, text: str) -> bool:
        checksum = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        return self.store.exists(blob_path(checksum))

    def listing(self) -> dict[str, int]:
        """Every stored object, but the manifest index, which gc rewrites without what it
        collected (test_manifest_index.py)."""
        found = self.store.modified(".pipeflow").items()
        return {path: size for path, (size, _) in found if not path.startswith(f"{INDEX}/")}


def kept(actions: dict[str, Action]) -> bool:
    return all(action in (Action.CACHED, Action.RESTORE) for action in actions.values())


@pytest.fixture(params=["local", "memory", "s3", "gcs"])
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    if request.param == "local":
        return Project(tmp_path, "out", {})
    if request.param == "memory":
        return Project(tmp_path, f"memory://gc-{tmp_path.name}", {})
    server: ObjectStore = request.getfixturevalue(f"{request.param}_server")
    return Project(tmp_path, server.unique_url("gc"), dict(server.storage_options))


def test_gc_keeps_current_latest_and_last_runs_and_deletes_the_rest(project: Project) -> None:
    for n in (1, 2, 3, 4):
        assert project.run(n) == ["files", "table", "words"]
        # No pause: runs within one second are told apart (`created` to the microsecond).
    assert project.run(1) == []  # back to the config's value: restored, nothing runs
    before = project.listing()
    pipe = pipeflow.load(project.config)

    preview = pipe.gc(keep_last=2, grace=0, dry_run=True)
    assert project.listing() == before  # a dry run deletes nothing
    report = pipe.gc(keep_last=2, grace=0)
    assert report.removals == preview.removals  # ... and says what a real one deletes
    assert not report.dry_run
    assert preview.dry_run

    # n=1: current; n=4: the latest and the last run; n=3: the run before. n=2 goes:
    # its three manifests, the values of `words` and `files` (None) under .pipeflow/results/,
    # and the blobs of its files and of its target payload; on a local store, `words` of n=2
    # is its run's journal instead of a manifest and a payload, on an object store a manifest
    # holding its payload.
    journaled = project.journaled
    assert report.count("manifest") == 3 - journaled
    assert report.count("journal") == journaled
    assert report.count("blob") == 2  # `version 2` and the target payload of n=2
    assert report.count("payload") == 2 - journaled - project.inlined
    after = project.listing()
    assert report.size == sum(before.values()) - sum(after.values()) > 0
    assert {r.path for r in report.removals} == set(before) - set(after)
    assert not project.has_blob("version 2")
    assert all(project.has_blob(f"version {n}") for n in (1, 3, 4))
    assert project.has_blob(SHARED)  # shared by every version: every kept one names it

    assert kept(project.actions(1))
    assert kept(project.actions(3))
    assert kept(project.actions(4))
    assert project.actions(2) == {"words": Action.RUN, "files": Action.RUN, "table": Action.RUN}
    # After gc a re-run with the current params is all cached; the deleted version re-runs.
    assert project.run(1) == []
    assert project.run(2) == ["files", "table", "words"]
    assert project.run(3) == []  # restored from its blobs, not run

    again = pipeflow.load(project.config).gc(keep_last=2, grace=0, dry_run=True)
    # n=2 ran last, then n=4: n=3 goes now (on a local store, `words` as its journal)
    assert again.count("manifest") == 3 - project.journaled
    assert again.count("journal") == project.journaled


def test_keep_last_zero_keeps_only_the_current_and_the_latest(project: Project) -> None:
    for n in (2, 3, 1):
        project.run(n)
    project.run(2)  # restores n=2: the latest manifest stays n=1's
    report = pipeflow.load(project.config, params={"n": 3}).gc(keep_last=0, grace=0)
    # n=2's; n=3 is current (--param), n=1 the latest. `words` of n=2: its journal, locally.
    assert report.count("manifest") == 3 - project.journaled
    assert report.count("journal") == project.journaled
    assert kept(project.actions(3))
    assert kept(project.actions(1))
    assert project.actions(2)["words"] is Action.RUN
    assert project.has_blob(SHARED)


def test_older_than_keeps_what_is_younger(project: Project) -> None:
    for n in (2, 3):
        project.run(n)
    pipe = pipeflow.load(project.config)  # n=1: no result is current
    later = datetime.now(timezone.utc) + PAST
    young = pipe.gc(keep_last=0, older_than="3h", grace=0, now=later)
    assert young.removals == ()
    for spelled in ("1h", 3600, timedelta(minutes=90)):
        found = pipe.gc(keep_last=0, older_than=spelled, grace=0, now=later, dry_run=True)
        # n=2's; n=3 is the latest (`words`: a journal on a local store)
        assert found.count("manifest") + found.count("journal") == 3, spelled
        assert found.count("journal") == project.journaled
    assert pipe.gc(keep_last=0, grace="1d", now=later, dry_run=True).removals == ()
    report = pipe.gc(keep_last=0, older_than="1h", now=later)
    assert report.count("manifest") + report.count("journal") == 3
    assert project.actions(2)["words"] is Action.RUN
    assert kept(project.actions(3))


def test_orphans_go_only_after_the_grace_period(project: Project) -> None:
    """Payloads and blobs no manifest names (a crashed run's, or a run's in progress that
    has not written its manifest yet) stay while they are younger than the grace period."""
    project.run(1)
    source = project.folder / "orphan.bin"
    source.write_bytes(b"left by a crashed run")
    orphans = [
        ".pipeflow/results/gcdemo/words/0123abcd/value.json",
        blob_path("sha256:" + hashlib.sha256(b"left by a crashed run").hexdigest()),
    ]
    for path in orphans:
        project.store.write(path, LocalFile(str(source)), format=RAW, internal=True)
    pipe = pipeflow.load(project.config)
    assert pipe.gc(grace="1h").removals == ()  # just written: a run may be about to name them
    report = pipe.gc(grace="1h", now=datetime.now(timezone.utc) + PAST)
    assert sorted(r.path for r in report.removals) == sorted(orphans)
    assert not any(project.store.exists(path) for path in orphans)
    assert project.run(1) == []


def test_other_pipelines_in_the_same_store_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = Project(tmp_path / "a", str(tmp_path / "store"), {})
    two = Project(tmp_path / "b", str(tmp_path / "store"), {})
    two.config.write_text(two.config.read_text().replace("name: gcdemo", "name: other"))
    for n in (2, 3):
        two.run(n)
    one.run(1)
    report = pipeflow.load(one.config).gc(keep_last=0, grace=0)
    assert report.removals == ()  # the other pipeline's old results are not gc's to judge
    assert kept(two.actions(2))
    assert two.has_blob("version 2")


@pytest.mark.parametrize(
    "options",
    [
        {"keep_last": -1},
        {"keep_last": "3"},
        {"keep_last": True},
        {"older_than": "soon"},
        {"older_than": "-1h"},
        {"grace": "1 fortnight"},
        {"older_than": timedelta(hours=-1)},
        {"grace": [1]},
        {"grace": float("inf")},
        {"older_than": "99999999999d"},
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, options: dict[str, object]) -> None:
    project = Project(tmp_path, "out", {})
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(project.config).gc(**options)  # type: ignore[arg-type]
    assert raised.value.exit_code == 2
    assert next(iter(options)) in str(raised.value.format())


def test_an_unreadable_manifest_stops_gc_before_it_deletes_anything(tmp_path: Path) -> None:
    project = Project(tmp_path, "out", {})
    for n in (1, 2):
        project.run(n)
    broken = tmp_path / "out/.pipeflow/manifests/gcdemo/files/ffff.json"
    broken.write_text("{not json")
    before = project.listing()
    with pytest.raises(pipeflow.errors.StorageError, match=r"ffff\.json"):
        pipeflow.load(project.config).gc(keep_last=0, grace=0)
    assert project.listing() == before


FAN = """
name: fan
params: {n: 2}
results: {root: URL}
steps:
  items:
    run: fansteps.items
    inputs: {n: "${params.n}"}
  each:
    run: fansteps.double
    foreach: "${steps.items}"
"""

FAN_STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def items(n):
    return list(range(n))


def double(item):
    with LOG.open("a") as log:
        log.write(f"{item}\\n")
    return item * 2
"""


def fan_project(make_project: ProjectFactory, root: str, tmp_path: Path) -> Path:
    """Runs with n = 4, 3, 2 (the default last): items 0..3 of `each` have one result each
    (plain items are keyed by their own value, so later runs found theirs cached)."""
    url = f"memory://fan-{tmp_path.name}" if root == "memory" else root
    config = make_project(FAN.replace("URL", url), fansteps=FAN_STEPS)
    for n in (4, 3, 2):
        assert pipeflow.load(config, params={"n": n}).run().ok
    assert sorted((config.parent / "calls.log").read_text().split()) == ["0", "1", "2", "3"]
    (config.parent / "calls.log").unlink()
    return config


@pytest.mark.parametrize("root", ["memory", "out"])
def test_a_foreach_over_a_cached_step_value_keeps_the_items_it_reads(
    make_project: ProjectFactory, root: str, tmp_path: Path
) -> None:
    """The step before it is cached: its stored list says which items are current, as it
    does for `status`. Before, gc kept every item's result ("keys unknown before a run")."""
    config = fan_project(make_project, root, tmp_path)
    report = pipeflow.load(config).gc(keep_last=0, grace=0)
    assert "keys unknown before a run" not in report.kept, report.kept
    calls = config.parent / "calls.log"
    current = pipeflow.load(config).run()  # n=2: items 0 and 1 were kept
    assert current.state("each") is StepState.CACHED
    assert not calls.exists()
    # Item 2 went; item 3, the newest result of `each`, stays as its latest.
    wider = pipeflow.load(config, params={"n": 4}).run()
    assert wider.ok
    assert calls.read_text().split() == ["2"]
    assert wider.output("each") == [0, 2, 4, 6]


@pytest.mark.parametrize("root", ["memory", "out"])
def test_a_foreach_over_a_step_that_would_run_keeps_every_item(
    make_project: ProjectFactory, root: str, tmp_path: Path
) -> None:
    """With n=5 the step before it would run: its items are only known then, so gc cannot
    tell which item results are current and keeps them all (but still collects the other
    steps)."""
    config = fan_project(make_project, root, tmp_path)
    report = pipeflow.load(config, params={"n": 5}).gc(keep_last=0, grace=0)
    # Items 0..3 of `each` but those kept as its latest: the items of `items`' latest list
    # (n=2: 0 and 1) and its newest result.
    assert report.kept["keys unknown before a run"] >= 1
    if root == "out":
        # On a local store every result here is a record of its run's journal. The run of
        # n=4 journaled items of `each` (kept) beside `items`: its journal is rewritten
        # without `items`. The run of n=3 journaled `items` alone: its journal goes whole;
        # the run of n=2 journaled nothing (every item was cached).
        assert sorted(r.kind for r in report.removals) == ["journal", "record"]
    else:
        gone = {r.path.split("/")[3] for r in report.removals if r.kind == "manifest"}
        assert gone == {"items"}
    again = pipeflow.load(config, params={"n": 4}).run()  # `items` of n=4 went: it runs,
    assert again.state("items") is StepState.DONE
    assert again.state("each") is StepState.CACHED  # ... and every item is still stored
    assert not (config.parent / "calls.log").exists()


def test_runs_within_one_second_are_ordered_by_when_they_made_their_manifests(
    tmp_path: Path,
) -> None:
    """A store that gives no write time (or the same one) leaves `created` to tell runs
    apart: two runs in one second must not be ordered by their ids' random part."""
    from pipeflow.cache.judging import Found as _Found
    from pipeflow.cache.judging import _newest_runs
    from pipeflow.storage.manifest import Manifest

    def found(run_id: str, created: str) -> _Found:
        manifest = Manifest(
            key=run_id, pipeline="p", step="s", run_id=run_id, created=created, params={},
            parts={},
        )  # fmt: skip
        return _Found(path=f"p/s/{run_id}.json", size=1, written=None, manifest=manifest)

    earlier = found("20261204-150000-ffffff", "2026-12-04T15:00:00.100000+00:00")
    later = found("20261204-150000-000000", "2026-12-04T15:00:00.900000+00:00")
    assert _newest_runs([earlier, later], 1) == {"20261204-150000-000000"}
    assert _newest_runs([later, earlier], 1) == {"20261204-150000-000000"}

    # ... and a run records when it made a manifest finer than the second.
    (tmp_path / "steps.py").write_text("def one():\n    return 1\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: p\nresults: {root: out}\nsteps:\n  one: {run: steps.one}\n")
    assert pipeflow.load(config).run().ok
    created = journals.latest_document(tmp_path / "out", "p", "one")["created"]
    assert "." in created, created  # fractions of a second: 2026-12-04T15:00:00.123456+00:00
