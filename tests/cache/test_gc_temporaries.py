"""`pipeflow gc` deletes the temporary files a run killed mid-write left in a local store.

On a local disk a payload or manifest is written to `.NAME.tmp-UUID` beside its place and
moved there whole (`storage/publish.py`). A run killed as it writes (SIGKILL, the OOM
killer, a power cut) cannot remove its temporary: it stays, hidden, as large as the value
was when the run died. Before, gc never deleted one beside a target (it leaves the user's
files alone) nor one under `.pipeflow/manifests/` (no manifest, no payload, no blob): a
killed run of a 1 GB target left 1 GB that nothing ever freed. Now gc deletes them, like
the orphans a crashed run leaves, once older than the grace period (a run in progress has
its temporaries open), and only pipeflow's own: a temporary of a file that a manifest names.
"""

from __future__ import annotations

import json
import os
import textwrap
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action

STEPS = """
def big(n: int) -> str:
    return "x" * n


def text(value: str) -> str:
    return value[:10]
"""

CONFIG = """
name: temps
params: {n: 100000}
results: {root: out}
steps:
  big: {run: tsteps.big, inputs: {n: "${params.n}"}}
  text: {run: tsteps.text, inputs: {value: "${steps.big}"}, result: {target: "t/{step}.txt"}}
  top: {run: tsteps.text, inputs: {value: "${steps.big}"}, result: {target: "top.txt"}}
"""

LATER = timedelta(hours=2)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "tsteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(path).run().ok
    return path


def left(folder: Path, name: str, size: int = 1000) -> Path:
    """A temporary of `name` in `folder`, as a run killed while writing it leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".{name}.tmp-{uuid.uuid4().hex}"
    path.write_bytes(b"\0" * size)
    return path


def killed_runs_leftovers(root: Path) -> list[Path]:
    """One temporary in each place a local store writes through one."""
    manifests = root / ".pipeflow" / "manifests" / "temps"
    big_manifest = next(p.name for p in (manifests / "big").glob("*.json") if p.name[0] != "l")
    payload = next((root / ".pipeflow" / "results" / "temps" / "big").iterdir())
    return [
        left(root / "t", "text.txt", 5000),  # beside a target in a folder
        left(root, "top.txt"),  # beside a target at the root
        left(manifests / "big", big_manifest),  # a manifest's
        left(manifests / "text", "0123456789abcdef01234567.json"),  # a key never stored
        left(payload.parent, payload.name),  # a payload's
        left(root / ".pipeflow" / "files" / "sha256" / "ab", "ab" + "0" * 62),  # a blob's
    ]


def test_gc_deletes_old_temporaries_of_a_killed_run(config: Path) -> None:
    root = config.parent / "out"
    leftovers = killed_runs_leftovers(root)
    # Not pipeflow's: a file of the user's beside a target, hidden or not, and one named like
    # a temporary of a file no manifest names.
    own = [
        root / "t" / "notes.txt",
        root / "t" / ".keep",
        root / "t" / f".other.csv.tmp-{uuid.uuid4().hex}",
    ]
    for path in own:
        path.write_text("the user's")
    pipe = pipeflow.load(config)

    assert pipe.gc(grace="1h").removals == ()  # young: a run in progress may be writing them
    later = datetime.now(timezone.utc) + LATER
    preview = pipe.gc(grace="1h", now=later, dry_run=True)
    assert all(path.exists() for path in leftovers)
    report = pipe.gc(grace="1h", now=later)
    assert report.removals == preview.removals
    removed = {(r.kind, r.path) for r in report.removals}
    assert removed == {("temporary", path.relative_to(root).as_posix()) for path in leftovers}, (
        removed
    )
    assert report.size == sum(5000 if "text.txt" in p.name else 1000 for p in leftovers)
    assert not any(path.exists() for path in leftovers)
    assert all(path.read_text() == "the user's" for path in own)
    # Every result stays whole.
    assert {d.step: d.action for d in pipe.status()} == {
        "big": Action.CACHED,
        "text": Action.CACHED,
        "top": Action.CACHED,
    }
    assert pipeflow.load(config).run().ok


def test_the_cli_counts_temporaries(config: Path) -> None:
    leftovers = killed_runs_leftovers(config.parent / "out")
    shown = CliRunner().invoke(cli, ["gc", str(config), "--grace", "0s", "-v"])
    assert shown.exit_code == 0, shown.output
    assert f"{len(leftovers)} temporaries" in shown.stdout
    assert shown.stdout.count("temporary ") == len(leftovers)
    assert not any(path.exists() for path in leftovers)
    document = CliRunner().invoke(cli, ["gc", str(config), "--grace", "0s", "--json"])
    assert json.loads(document.stdout)["deleted"]["temporaries"] == 0


def test_without_temporaries_the_summary_is_as_before(config: Path) -> None:
    shown = CliRunner().invoke(cli, ["gc", str(config), "--grace", "0s"])
    assert shown.exit_code == 0, shown.output
    assert "temporar" not in shown.stdout
    assert "0 journals, 0 records)" in shown.stdout


def test_a_temporary_gc_cannot_date_is_kept_within_the_grace(config: Path) -> None:
    """Its modification time is what dates it: a temporary being written now is young."""
    path = left(config.parent / "out" / "t", "text.txt")
    os.utime(path, None)
    assert pipeflow.load(config).gc(grace="10m").removals == ()
    assert path.exists()


def test_another_pipelines_temporaries_are_left_to_its_own_gc(config: Path) -> None:
    """The store is shared with another pipeline, whose run may be writing now: gc of this
    config leaves its temporaries (results area, manifests, beside its targets) alone, as it
    leaves its results."""
    other = config.parent / "other.yaml"
    other.write_text(
        config.read_text().replace("name: temps", "name: others").replace("t/{step}", "o/{step}")
    )
    assert pipeflow.load(other).run().ok
    root = config.parent / "out"
    theirs = [
        left(root / "o", "text.txt"),
        left(root / ".pipeflow" / "manifests" / "others" / "big", "0123.json"),
        left(next((root / ".pipeflow" / "results" / "others").iterdir()), "x.value.json"),
    ]
    later = datetime.now(timezone.utc) + LATER
    report = pipeflow.load(config).gc(grace="1h", now=later)
    assert not [r for r in report.removals if r.kind == "temporary"]
    assert all(path.exists() for path in theirs)
    mine = pipeflow.load(other).gc(grace="1h", now=later)
    assert {r.path for r in mine.removals if r.kind == "temporary"} == {
        path.relative_to(root).as_posix() for path in theirs
    }


def test_the_temporaries_of_a_killed_index_or_journal_rewrite_go_too(config: Path) -> None:
    """A run publishes its pipeline's manifest index, and gc rewrites a journal, through a
    temporary too: killed as they wrote, they left it under `.pipeflow/index/` or
    `.pipeflow/journal/`, which gc did not look in. Another pipeline's stay."""
    pipeflow_folder = config.parent / "out" / ".pipeflow"
    mine = [
        left(pipeflow_folder / "index" / "temps", "20261207T101010-" + "a" * 32 + ".json"),
        left(pipeflow_folder / "journal" / "temps", "20261207-101010-abcdef-123.log"),
    ]
    theirs = [
        left(pipeflow_folder / "index" / "others", "20261207T101010-" + "b" * 32 + ".json"),
        left(pipeflow_folder / "journal" / "others", "20261207-101010-abcdef-456.log"),
    ]
    report = pipeflow.load(config).gc(grace="1h", now=datetime.now(timezone.utc) + LATER)
    assert {(r.kind, r.path) for r in report.removals} == {
        ("temporary", path.relative_to(config.parent / "out").as_posix()) for path in mine
    }
    assert not any(path.exists() for path in mine)
    assert all(path.exists() for path in theirs)
    assert pipeflow.load(config).run().ok
