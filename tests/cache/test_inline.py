"""Small stored results on an object store: each one object, its manifest with the bytes inside
(`pipeflow/storage/inline.py`), and no `latest.json` copy (issue 13, object stores).

A result without a target and without recorded writes whose parts encode to at most 4 KiB in
all (`inline.LIMIT`: every run reads the manifest index whole) is its manifest alone,
whichever executor stored it (threads, worker processes, a Dask cluster's workers); the
newest result of a step is the manifest with the newest `created`. Every reader (status and
its explanations, `pipeflow result`, `pipeflow.read`, accept, gc) finds such a result as it
finds a payload object; bytes inside a manifest that no longer match its checksum are ignored
with a ResultWarning and rebuilt; and a store written by an earlier pipeflow (payload objects,
`latest.json`) keeps being read, its stale `latest.json` losing to a newer manifest.
"""

from __future__ import annotations

import base64
import json
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli.main import cli
from pipeflow.model.run import Action, StepState
from pipeflow.storage import Manifest, ResultStore, ResultWarning
from pipeflow.storage.inline import LIMIT
from tests import inlined
from tests.calls import calls
from tests.execute.conftest import local_cluster
from tests.servers import ObjectStore
from tests.small_steps import write_steps


@pytest.fixture(params=["s3_server", "gcs_server"])
def server(request: pytest.FixtureRequest) -> ObjectStore:
    found: ObjectStore = request.getfixturevalue(request.param)
    return found


class Project:
    """A chain s0 -> s1 -> last (`last` scales by the param `factor`) and `big`, a value too
    large to be inside its manifest (8 KiB: a local store would journal it), storing its
    results on an object store; run by `executor` (its YAML mapping), else the default."""

    def __init__(self, folder: Path, server: ObjectStore, executor: str | None = None) -> None:
        self.folder = folder
        self.root = server.unique_url("inline")
        self.options = dict(server.storage_options)
        self.store = ResultStore(self.root, self.options)
        write_steps(folder / "isteps.py", LIMIT)
        options = json.dumps(self.options)
        self.config = folder / "pipeline.yaml"
        self.config.write_text(
            textwrap.dedent(
                f"""
                name: inl
                params: {{factor: 2}}
                {f"executor: {executor}" if executor else ""}
                results: {{root: {json.dumps(self.root)}, storage_options: {options}}}
                steps:
                  s0: {{run: isteps.inc, inputs: {{x: 0, name: s0}}}}
                  s1: {{run: isteps.inc, inputs: {{x: "${{steps.s0}}", name: s1}}}}
                  last:
                    run: isteps.scaled
                    inputs: {{x: "${{steps.s1}}", factor: "${{params.factor}}", name: last}}
                  big: {{run: isteps.big, inputs: {{x: "${{steps.s0}}", name: big}}}}
                """
            )
        )

    def run(self, **params: Any) -> pipeflow.api.Run:
        result = pipeflow.load(self.config, params=params or None).run()
        assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
        return result

    def calls(self) -> list[str]:
        return calls(self.folder)

    def decisions(self, **params: Any) -> dict[str, Any]:
        pipe = pipeflow.load(self.config, params=params or None)
        return {decision.step: decision for decision in pipe.status()}

    def manifests(self, step: str) -> dict[str, Manifest]:
        """The manifests of `step`: path -> manifest."""
        found = {}
        for path in self.store.list(f".pipeflow/manifests/inl/{step}"):
            manifest = self.store.read_manifest(path)
            assert manifest is not None
            found[path] = manifest
        return found

    def manifest(self, step: str, **params: Any) -> tuple[str, Manifest]:
        """The path and manifest of `step`'s current result."""
        key = self.decisions(**params)[step].key
        path = f".pipeflow/manifests/inl/{step}/{key}.json"
        return path, self.manifests(step)[path]


def test_a_small_result_is_its_manifest_alone(tmp_path: Path, server: ObjectStore) -> None:
    project = Project(tmp_path, server)
    first = project.run()
    assert first.output("last") == 4
    for step in ("s0", "s1", "last"):
        path, manifest = project.manifest(step)
        part = manifest.parts["value"]
        assert part.inline is not None
        assert part.path == path  # what a signature would name: the manifest itself
        assert list(project.manifests(step)) == [path]  # no `latest.json`
        assert project.store.verify(part)
    assert project.store.list(".pipeflow/results/inl/last") == []
    _, big = project.manifest("big")
    assert big.parts["value"].inline is None  # too large: an object of its own
    assert project.store.list(".pipeflow/results/inl/big") == [big.parts["value"].path]
    # One object per small result: three manifests, the large value and its manifest, the
    # manifest index's segment.
    assert len(project.store.list(".pipeflow")) == 3 + 2 + 1
    project.calls()
    again = project.run()
    assert project.calls() == []
    assert again.output("last") == 4
    assert again.outcomes["last"].locations[0].startswith(project.root)


@pytest.fixture(scope="module")
def dask_address(s3_server: ObjectStore) -> Iterator[str]:
    """A local Dask cluster of two worker processes, started once S3's environment is set (its
    workers inherit it), as the dask tests start theirs."""
    cluster = local_cluster()
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.mark.parametrize(
    "executor", ["threads", "processes", pytest.param("dask", marks=pytest.mark.slow)]
)
def test_every_executor_stores_a_small_result_inside_its_manifest(
    tmp_path: Path, s3_server: ObjectStore, executor: str, request: pytest.FixtureRequest
) -> None:
    if executor == "dask":
        address = request.getfixturevalue("dask_address")
        # The workers share this machine's disk: they import the steps from the project.
        mapping = f'{{type: dask, address: "{address}", shared_filesystem: true}}'
    else:
        mapping = f"{{type: {executor}}}"
    project = Project(tmp_path, s3_server, mapping)
    first = project.run()
    assert project.calls() == ["big", "last", "s0", "s1"]
    assert first.output("last") == 4
    for step in ("s0", "s1", "last"):
        path, manifest = project.manifest(step)
        assert manifest.parts["value"].inline is not None, (step, manifest.parts)
        assert manifest.parts["value"].path == path
        assert project.store.list(f".pipeflow/results/inl/{step}") == []  # no payload object
    again = project.run()
    assert project.calls() == []
    assert {o.state for o in again.outcomes.values()} == {StepState.CACHED}
    assert again.output("last") == 4
    assert again.output("s1") == 2
    assert pipeflow.load(project.config).result("last").load() == 4


def test_status_explains_a_change_from_the_newest_manifest(
    tmp_path: Path, server: ObjectStore
) -> None:
    project = Project(tmp_path, server)
    project.run()
    project.run(factor=3)
    # The newest result of `last` is factor 3's (no `latest.json` says so: its `created`).
    decision = project.decisions(factor=5)["last"]
    assert decision.action is Action.RUN
    assert decision.reason == "param factor changed (3 -> 5)"
    assert project.decisions()["last"].action is Action.CACHED
    project.calls()
    assert project.run().output("last") == 4
    assert project.calls() == []


def test_result_read_and_the_cli_load_a_result_inside_its_manifest(
    tmp_path: Path, server: ObjectStore
) -> None:
    project = Project(tmp_path, server)
    project.run()
    stored = pipeflow.load(project.config).result("last")
    assert stored.load() == 4
    assert stored.locations["value"].endswith(".json (inside the manifest)")
    assert stored.manifest.parts["value"].inline is not None
    assert pipeflow.read(config=str(project.config), step="last") == 4
    shown = CliRunner().invoke(cli, ["result", str(project.config), "last", "--show"])
    assert shown.exit_code == 0, shown.output
    assert "inside the manifest" in shown.output


def test_bytes_inside_a_manifest_that_do_not_match_it_are_ignored(
    tmp_path: Path, server: ObjectStore
) -> None:
    project = Project(tmp_path, server)
    project.run()
    project.calls()
    path, manifest = project.manifest("s1")
    document = json.loads(manifest.to_json())
    value = base64.b64decode(document["parts"]["value"]["inline"])
    forged = value.replace(b"2", b"7")  # the same size, other bytes
    assert forged != value
    document["parts"]["value"]["inline"] = base64.b64encode(forged).decode()
    project.store.write_bytes(path, json.dumps(document).encode(), internal=True)
    with pytest.warns(ResultWarning, match="s1.*no longer matches its checksum"):
        decision = project.decisions()["s1"]
    assert decision.action is Action.RUN
    with pytest.warns(ResultWarning, match="no longer matches its checksum"):
        rerun = project.run()
    assert project.calls() == ["s1"]  # the same value again: `last` stays cached
    assert rerun.output("last") == 4
    # Not base64 at all: no result either.
    path, manifest = project.manifest("s0")
    document = json.loads(manifest.to_json())
    document["parts"]["value"]["inline"] = "not base64!"
    project.store.write_bytes(path, json.dumps(document).encode(), internal=True)
    with pytest.warns(ResultWarning, match="s0.*not base64"):
        rerun = project.run()
    assert project.calls() == ["s0"]
    assert rerun.output("last") == 4


def test_accept_restamps_a_result_inside_its_manifest(tmp_path: Path, server: ObjectStore) -> None:
    project = Project(tmp_path, server)
    project.run()
    project.calls()
    steps = tmp_path / "isteps.py"
    steps.write_text(steps.read_text().replace("return x * factor", "return factor * x"))
    pipe = pipeflow.load(project.config)
    assert {d.step: d.action for d in pipe.status()}["last"] is Action.RUN
    pipe.accept("last")
    assert project.decisions()["last"].action is Action.CACHED
    _, accepted = project.manifest("last")
    assert accepted.parts["value"].inline is not None
    # gc may take the result it was restamped from: its bytes are inside the new manifest.
    report = pipeflow.load(project.config).gc(keep_last=0, grace=0)
    assert report.count("manifest") == 1
    assert project.run().output("last") == 4
    assert project.calls() == []


def test_gc_keeps_the_current_and_the_newest_result(tmp_path: Path, server: ObjectStore) -> None:
    project = Project(tmp_path, server)
    for factor in (2, 3, 4):
        project.run(factor=factor)
    report = pipeflow.load(project.config).gc(keep_last=0, grace=0)  # factor 2 is current
    # factor 3's `last` goes; factor 2's is current, factor 4's the newest (no `latest.json`).
    assert [r.kind for r in report.removals] == ["manifest"]
    assert report.kept.get("latest") == 1
    assert project.decisions(factor=3)["last"].action is Action.RUN
    assert project.decisions(factor=4)["last"].action is Action.CACHED
    assert project.decisions(factor=2)["last"].action is Action.CACHED


def test_a_store_written_by_an_earlier_pipeflow_is_still_read(
    tmp_path: Path, server: ObjectStore
) -> None:
    project = Project(tmp_path, server)
    project.run()
    inlined.to_objects(project.store, "inl")  # payload objects and `latest.json` copies
    assert project.store.list(".pipeflow/results/inl/last")
    assert project.store.exists(".pipeflow/manifests/inl/last/latest.json")
    assert {d.action for d in project.decisions().values()} == {Action.CACHED}
    project.calls()
    assert project.run().output("last") == 4
    assert project.calls() == []
    # A new result is its manifest alone; the `latest.json` left says factor 2, but the
    # newest is factor 3's, and a change is explained against it.
    assert project.run(factor=3).output("last") == 6
    assert project.calls() == ["last"]
    _, newer = project.manifest("last", factor=3)
    assert newer.parts["value"].inline is not None
    assert project.decisions(factor=5)["last"].reason == "param factor changed (3 -> 5)"
    # gc keeps the newest and the current, and the old `latest.json` with its key.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)
        report = pipeflow.load(project.config).gc(keep_last=0, grace=0)
    assert report.removals == ()
    assert project.decisions(factor=3)["last"].action is Action.CACHED
