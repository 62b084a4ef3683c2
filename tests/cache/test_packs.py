"""Packs of small results on real object stores (moto's S3, the GCS emulator): once a run has
many small results in hand, each its manifest alone, it packs them into one journal object at
its end and deletes their manifests, so that later runs list a few keys instead of one per
result (`pipeflow/cache/packing.py`; issue 13, object stores).

PACK_AT is lowered for these tests (a page of the listing, 1,000, in use): the rule is the
same at any threshold. Everything else is as a user runs it, in this process.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.cache import packing
from pipeflow.cache.index import INDEX
from pipeflow.model.run import Action
from pipeflow.storage import Manifest, ResultWarning, ranges
from pipeflow.storage.journal import packed, records
from tests.cache.test_manifest_index import counted, filesystem, run, states
from tests.servers import ObjectStore

STEPS = 30
PACK_AT = 20
BOUND = 12  # requests of a no-op re-run: a handful, whatever the number of steps

STEP_CODE = """
def first(base: int) -> int:
    return base


def step(previous: int) -> int:
    return previous + 1


def labels(previous: int) -> set[str]:
    return {"setosa", str(previous)}  # a set: no safe format holds it, so a signed pickle
"""


@pytest.fixture(params=["s3_server", "gcs_server"])
def server(request: pytest.FixtureRequest) -> ObjectStore:
    found: ObjectStore = request.getfixturevalue(request.param)
    return found


@pytest.fixture(autouse=True)
def pack_at(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packing, "PACK_AT", PACK_AT)


class Project:
    """A chain s0 -> ... -> s29 from the param `base`, and `labels` (a pickled set) after s4,
    storing on an object store."""

    def __init__(self, folder: Path, server: ObjectStore) -> None:
        self.server = server
        self.root = server.unique_url("packs")
        self.bucket_root = self.root.split("://", 1)[1]
        (folder / "packsteps.py").write_text(textwrap.dedent(STEP_CODE))
        options = json.dumps(dict(server.storage_options))
        lines = [
            "name: chain",
            "params: {base: 0}",
            f"results: {{root: {json.dumps(self.root)}, storage_options: {options}}}",
            "steps:",
            '  s0: {run: packsteps.first, inputs: {base: "${params.base}"}}',
            *(
                f'  s{i}: {{run: packsteps.step, inputs: {{previous: "${{steps.s{i - 1}}}"}}}}'
                for i in range(1, STEPS)
            ),
            '  labels: {run: packsteps.labels, inputs: {previous: "${steps.s4}"}}',
        ]
        self.config = folder / "pipeline.yaml"
        self.config.write_text("\n".join(lines) + "\n")

    def run(self, **params: Any) -> pipeflow.api.Run:
        return run(self.config, **params)

    def files(self, under: str) -> list[str]:
        found = filesystem(self.server)
        prefix = f"{self.bucket_root}/.pipeflow/{under}"
        return sorted(found.find(prefix)) if found.exists(prefix) else []

    def manifests(self) -> list[str]:
        return self.files("manifests/chain")

    def packs(self) -> list[str]:
        return self.files("journal/chain")

    def decisions(self, **params: Any) -> dict[str, Any]:
        pipe = pipeflow.load(self.config, params=params or None)
        return {decision.step: decision for decision in pipe.status()}


def test_many_small_results_become_one_pack_and_stay_cached(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(tmp_path, server)
    first = project.run()
    assert states(first) == {"done": STEPS + 1}
    assert project.manifests() == []  # every result is in the pack now
    (pack,) = project.packs()
    assert pack.endswith(".log")
    assert "/journal/chain/pack-" in pack
    in_pack = [Manifest.from_json(record.manifest) for record in records(_cat(server, pack))]
    assert sorted(manifest.step for manifest in in_pack) == sorted(
        [f"s{i}" for i in range(STEPS)] + ["labels"]
    )
    # The index no longer holds them: the pack does.
    found = filesystem(server)
    for name in found.find(f"{project.bucket_root}/{INDEX}/chain"):
        assert json.loads(found.cat_file(name))["manifests"] == {}

    for _ in range(2):
        with counted(server.kind, monkeypatch) as sent:
            again = project.run()
        assert states(again) == {"cached": STEPS + 1}
        assert len(sent) <= BOUND, sent
    assert again.output(f"s{STEPS - 1}") == STEPS - 1
    assert again.output("labels") == {"setosa", "4"}  # a signed pickle, trusted from the pack
    assert project.packs() == [pack]  # nothing to pack again

    # Every reader finds them: status, `pipeflow result` (naming the pack), `pipeflow.read`.
    decisions = project.decisions()
    assert {d.action for d in decisions.values()} == {Action.CACHED}
    assert decisions["s7"].reason == f"stored by run {first.id}"
    stored = pipeflow.load(project.config).result("s7")
    assert stored.load() == 7
    where = pack.split("/.pipeflow/", 1)[1]
    assert stored.locations["value"] == (
        f"{project.root}/.pipeflow/{where} (inside its record in a pack)"
    )


def test_results_of_earlier_runs_are_packed_once_there_are_enough(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(tmp_path, server)
    monkeypatch.setattr(packing, "PACK_AT", STEPS * 4)
    project.run()
    assert len(project.manifests()) == STEPS + 1  # too few: one object each, as before
    assert project.packs() == []
    monkeypatch.setattr(packing, "PACK_AT", PACK_AT)
    assert states(project.run()) == {"cached": STEPS + 1}  # a no-op run packs what it found
    assert project.manifests() == []
    assert len(project.packs()) == 1

    # Another base: a new result for every step, packed too; both bases stay cached.
    assert states(project.run(base=1)) == {"done": STEPS + 1}
    assert project.manifests() == []
    assert len(project.packs()) == 2
    assert states(project.run(base=0)) == {"cached": STEPS + 1}
    assert project.run(base=1).output("s3") == 4
    # The newest result of a step (what a change is explained against) is found in a pack.
    (project.config.parent / "packsteps.py").write_text(
        textwrap.dedent(STEP_CODE).replace("return previous + 1", "return previous + 2")
    )
    decisions = project.decisions(base=1)
    assert decisions["s1"].action is Action.RUN
    assert decisions["s1"].reason == "code of packsteps.py changed (`step`)"
    # `accept` counts the packed result for the new key: a manifest of its own, cached.
    (accepted,) = pipeflow.load(project.config, params={"base": 1}).accept("s1").stamped
    assert accepted.parts["value"].inline is not None
    assert project.decisions(base=1)["s1"].action is Action.CACHED
    assert project.run(base=1).output("s1") == 2  # its stored value, not re-made


def test_a_tampered_record_of_a_pack_is_not_taken(tmp_path: Path, server: ObjectStore) -> None:
    project = Project(tmp_path, server)
    project.run()
    (pack,) = project.packs()
    texts = [record.manifest for record in records(_cat(server, pack))]
    # s12's bytes say 13 now (as long as 12: only the checksum tells), and the pickle of
    # `labels` has lost its signature.
    for index, text in enumerate(texts):
        document = json.loads(text)
        part = document["parts"]["value"]
        if document["step"] == "s12":
            assert base64.b64decode(part["inline"]) == b"12\n"
            part["inline"] = base64.b64encode(b"13\n").decode()
        elif document["step"] == "labels":
            del part["signature"]
        else:
            continue
        texts[index] = json.dumps(document).encode() + b"\n"
    filesystem(server).pipe_file(pack, packed(texts))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = project.run()
    said = "\n".join(str(w.message) for w in caught if issubclass(w.category, ResultWarning))
    assert "`s12`" in said
    assert "no longer matches its checksum" in said
    assert "`labels`" in said
    assert "pack-" in said  # the warning names the pack that held them
    assert result.outcomes["s12"].state.value == "done"
    assert result.outcomes["labels"].state.value == "done"
    assert result.output("labels") == {"setosa", "4"}
    assert states(result) == {"cached": STEPS - 1, "done": 2}
    assert states(project.run()) == {"cached": STEPS + 1}


def test_a_pack_and_the_manifests_it_holds_both_left_by_a_crash_are_one_result(
    tmp_path: Path, server: ObjectStore
) -> None:
    """A run stopped after publishing its pack, before deleting the manifests it holds."""
    project = Project(tmp_path, server)
    project.run()
    (pack,) = project.packs()
    found = filesystem(server)
    for record in records(_cat(server, pack)):
        manifest = Manifest.from_json(record.manifest)
        path = f"{project.bucket_root}/.pipeflow/manifests/chain/{manifest.step}/{manifest.key}"
        found.pipe_file(f"{path}.json", record.manifest)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)
        assert states(project.run()) == {"cached": STEPS + 1}
        assert project.run().output("labels") == {"setosa", "4"}


def test_gc_judges_the_records_of_packs(tmp_path: Path, server: ObjectStore) -> None:
    project = Project(tmp_path, server)
    project.run(base=1)
    project.run(base=2)
    _gc_keeps_the_last_pack(project, kept=2, dropped=1)


def _gc_keeps_the_last_pack(project: Project, *, kept: int, dropped: int) -> None:
    """Of two packs, one for each base, gc with `keep_last=1` (run with base `kept`) deletes
    the other: base `kept` stays cached, base `dropped` runs again."""
    assert len(project.packs()) == 2
    report = pipeflow.load(project.config, params={"base": kept}).gc(keep_last=1, grace=0)
    assert {removal.kind for removal in report.removals} == {"journal"}, report.removals
    assert len(project.packs()) == 1
    assert states(project.run(base=kept)) == {"cached": STEPS + 1}
    assert states(project.run(base=dropped)) == {"done": STEPS + 1}


FAN_OUT = """
def square(x: int) -> dict:
    return {"sq": x * x, "x": x}


def total(values: list) -> int:
    return sum(values)
"""


def test_the_items_of_a_foreach_step_are_packed_and_read_back(
    tmp_path: Path, server: ObjectStore
) -> None:
    root = server.unique_url("packs")
    (tmp_path / "fansteps.py").write_text(textwrap.dedent(FAN_OUT))
    options = json.dumps(dict(server.storage_options))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: fan
            params: {{items: {list(range(PACK_AT + 5))}}}
            results: {{root: {json.dumps(root)}, storage_options: {options}}}
            steps:
              squares:
                run: fansteps.square
                foreach: "${{params.items}}"
                as: x
                outputs: [sq, x]
              total: {{run: fansteps.total, inputs: {{values: "${{steps.squares.sq}}"}}}}
            """
        )
    )
    assert run(config).output("total") == sum(i * i for i in range(PACK_AT + 5))
    found = filesystem(server)
    bucket_root = root.split("://", 1)[1]
    assert not found.exists(f"{bucket_root}/.pipeflow/manifests/fan/squares")
    (pack,) = found.find(f"{bucket_root}/.pipeflow/journal/fan")
    again = run(config)
    assert states(again) == {"cached": 2}
    assert again.output("squares")[3] == {"sq": 9, "x": 3}
    stored = pipeflow.load(config).result("squares")
    assert len(stored.item_locations) == PACK_AT + 5
    for locations in stored.item_locations:
        assert locations["sq"].endswith(" (inside its record in a pack)")
        assert pack.split("/.pipeflow/", 1)[1] in locations["sq"]
    # One item more: it alone runs, and stays a manifest of its own (too few to pack).
    more = run(config, items=list(range(PACK_AT + 6)))
    assert more.outcomes["squares"].state.value == "done"
    assert more.output("total") == sum(i * i for i in range(PACK_AT + 6))
    assert len(found.find(f"{bucket_root}/.pipeflow/manifests/fan/squares")) == 1


def _cat(server: ObjectStore, path: str) -> bytes:
    return bytes(filesystem(server).cat_file(path))


GATED = """
import os
import time
from pathlib import Path


def gate(previous: int) -> int:
    folder = os.environ["GATE_FOLDER"]  # not an input: a folder input would be fingerprinted
    Path(folder, "waiting").touch()
    deadline = time.monotonic() + 120
    while not Path(folder, "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never told to go on")
        time.sleep(0.05)
    return previous


def both(gated: int, early: int) -> int:
    return gated * 1000 + early
"""

LAUNCHER = """
import sys

from pipeflow.cache import packing
from pipeflow.cli.main import cli

packing.PACK_AT = int(sys.argv.pop(1))
cli()
"""


def test_a_run_going_on_while_another_packs_keeps_its_results(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run B reads the index, then waits inside a step while run A packs the same results and
    deletes their manifests; B then reads one of them, finishes, and packs again what it had
    in hand: nothing is lost, every value is right, and the next run takes all from the cache."""
    project = Project(tmp_path, server)
    monkeypatch.setattr(packing, "PACK_AT", 1000)
    project.run()  # one manifest per result, as for a small store
    assert len(project.manifests()) == STEPS + 1
    (tmp_path / "gatesteps.py").write_text(textwrap.dedent(GATED))
    (tmp_path / "launch.py").write_text(textwrap.dedent(LAUNCHER))
    gated = tmp_path / "gated.yaml"
    gated.write_text(
        project.config.read_text()
        + '  gate: {run: gatesteps.gate, inputs: {previous: "${steps.s29}"}}\n'
        + '  both: {run: gatesteps.both, inputs: {gated: "${steps.gate}", early: "${steps.s10}"}}\n'
    )
    other = subprocess.Popen(
        [sys.executable, str(tmp_path / "launch.py"), str(PACK_AT), "run", str(gated), "-q"],
        cwd=tmp_path,
        env={**os.environ, "GATE_FOLDER": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "waiting").exists():
            assert other.poll() is None, other.communicate()[0].decode(errors="replace")
            assert time.monotonic() < deadline, "the other run never reached its gate"
            time.sleep(0.05)
        monkeypatch.setattr(packing, "PACK_AT", PACK_AT)
        assert states(project.run()) == {"cached": STEPS + 1}  # packs, deletes the manifests
        assert project.manifests() == []
        (tmp_path / "go").touch()
        output, _ = other.communicate(timeout=300)
    finally:
        if other.poll() is None:
            other.kill()
    assert other.returncode == 0, output.decode(errors="replace")
    again = run(gated)
    assert states(again) == {"cached": STEPS + 3}
    assert again.output("both") == 29 * 1000 + 10
    assert states(project.run()) == {"cached": STEPS + 1}
    assert project.manifests() == []


LARGE = """
def large(previous: int) -> list[int]:
    return [previous] * 3_000  # more than 4 KiB as JSON: an object of its own, not packed
"""


def test_the_index_after_a_pack_cuts_the_listing_only_at_paths_that_are_there(
    tmp_path: Path, s3_server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index keeps the manifest of a large value (not packed) and where to cut the next
    listing of the store into pages (`index.py`, rule 5): after a pack, never at a manifest it
    deleted, so the next no-op run lists the few keys left in one page, not in empty ranges."""
    monkeypatch.setattr(ranges, "PAGE", 10)
    project = Project(tmp_path, s3_server)
    (tmp_path / "packsteps.py").write_text(textwrap.dedent(STEP_CODE + LARGE))
    with project.config.open("a") as lines:
        lines.write('  big: {run: packsteps.large, inputs: {previous: "${steps.s3}"}}\n')
    assert states(project.run()) == {"done": STEPS + 2}
    found = filesystem(s3_server)
    there = set(found.find(project.bucket_root))
    (segment,) = found.find(f"{project.bucket_root}/{INDEX}/chain")
    document = json.loads(found.cat_file(segment))
    assert [path.split("/")[-2] for path in document["manifests"]] == ["big"]
    assert all(f"{project.bucket_root}/{split}" in there for split in document["splits"])
    monkeypatch.setattr(ranges, "PAGE", 10)  # `counted` undoes every patch when done
    with counted("s3", monkeypatch) as sent:
        assert states(project.run()) == {"cached": STEPS + 2}
    assert sent.count("list_objects_v2") <= 3, sent  # the index's folder, the store's pages


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_results_stored_by_workers_are_packed_too(
    tmp_path: Path, s3_server: ObjectStore, executor: str
) -> None:
    """Workers (threads, processes) store each result; the client packs them at the end."""
    project = Project(tmp_path, s3_server)
    text = project.config.read_text()
    project.config.write_text(
        text.replace("steps:\n", f"executor: {{type: {executor}}}\nsteps:\n", 1)
    )
    assert states(project.run()) == {"done": STEPS + 1}
    assert project.manifests() == []
    assert len(project.packs()) == 1
    again = project.run()
    assert states(again) == {"cached": STEPS + 1}
    assert again.output("labels") == {"setosa", "4"}


def test_a_memory_store_packs_and_reads_back_as_an_object_store_does(tmp_path: Path) -> None:
    """fsspec's memory:// (a notebook's scratch store) is an object store to pipeflow too: its
    small results are packed, read back from the pack, and judged by gc."""
    memory = ObjectStore(
        kind="memory",
        endpoint="",
        bucket="packs",
        url=f"memory://pipeflow-packs-{tmp_path.name}",
        storage_options={},
    )
    project = Project(tmp_path, memory)
    try:
        assert states(project.run()) == {"done": STEPS + 1}
        assert project.manifests() == []
        (pack,) = project.packs()
        assert "/journal/chain/pack-" in pack
        again = project.run()
        assert states(again) == {"cached": STEPS + 1}
        assert again.output(f"s{STEPS - 1}") == STEPS - 1
        assert again.output("labels") == {"setosa", "4"}
        stored = pipeflow.load(project.config).result("s7")
        assert stored.load() == 7
        assert stored.locations["value"].endswith(".log (inside its record in a pack)")

        project.run(base=1)
        _gc_keeps_the_last_pack(project, kept=1, dropped=0)
    finally:
        filesystem(memory).rm(project.bucket_root, recursive=True)
