"""Restore instead of re-run: what a cached step wrote is put back from the store, never re-made.

Issue 11, item 3 and its generalisations: a deleted file or folder, a file edited by hand, a
`result.target` overwritten by a run with other params, switching params back; `status`
says `restore` and why; the restored files are byte-identical; no step runs; a reader of a
restored file stays cached; a result whose stored copy is gone says so ("stored result
missing (PATH)") and runs; `--frozen` counts a restore as current.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import pipeflow
from pipeflow.cache.files import FileFingerprints
from pipeflow.model.run import Action, StepState
from pipeflow.storage import ResultWarning
from pipeflow.storage.blobs import BLOBS
from tests import journals
from tests.calls import calls

STEPS = """
import json
import os
from collections.abc import Callable
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def prepare(count, out):
    note("prepare")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"part-{index}.txt").write_text(f"part {index} of {count}")
    (folder / "nested").mkdir(exist_ok=True)
    (folder / "nested" / "summary.json").write_text(json.dumps({"count": count}))


def train(src, model):
    note("train")
    parts = sorted(Path(src).glob("*.txt"))
    Path(model).parent.mkdir(parents=True, exist_ok=True)
    Path(model).write_text(f"model of {len(parts)} parts")
    return {"parts": len(parts)}


def score(model):
    note("score")
    return len(Path(model).read_text())
"""

CONFIG = """
prepare:
  run: mysteps.prepare
  inputs: {count: "${params.count}", out: data/prepared}
  writes: [data/prepared/]
train:
  run: mysteps.train
  inputs: {src: data/prepared, model: models/model.txt}
  writes: [models/model.txt]
  result: {target: "metrics/train.json"}
score:
  run: mysteps.score
  inputs: {model: models/model.txt}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    body = textwrap.indent(textwrap.dedent(CONFIG), "  ")
    path.write_text(f"name: restored\nparams: {{count: 3}}\nresults: {{root: out}}\nsteps:\n{body}")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under the workspace folders the steps write, and the targets, by content."""
    found: dict[str, bytes] = {}
    for top in ("data", "models", "out/metrics"):
        for path in sorted((folder / top).rglob("*")):
            if path.is_file():
                found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def run(config: Path, executor: str = "sequential", **params: object) -> pipeflow.api.Run:
    result = pipeflow.load(config, params=params or None).run(executor=executor)
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


def plan(config: Path, **params: object) -> dict[str, tuple[Action, str]]:
    return {
        d.step: (d.action, d.reason) for d in pipeflow.load(config, params=params or None).status()
    }


def test_a_deleted_folder_is_restored_not_re_made(config: Path) -> None:
    project = config.parent
    run(config)
    calls(project)
    before = snapshot(project)
    shutil.rmtree(project / "data" / "prepared")

    decisions = plan(config)
    assert decisions["prepare"] == (Action.RESTORE, "data/prepared/ is missing")
    assert decisions["train"][0] is Action.CACHED
    assert decisions["score"][0] is Action.CACHED

    again = run(config)
    assert calls(project) == []
    assert snapshot(project) == before
    assert again.outcomes["prepare"].state is StepState.CACHED
    assert again.outcomes["prepare"].reason == "restored: data/prepared/ is missing"
    assert {d[0] for d in plan(config).values()} == {Action.CACHED}


def test_a_file_edited_by_hand_is_put_back(config: Path) -> None:
    project = config.parent
    run(config)
    calls(project)
    before = snapshot(project)
    (project / "data" / "prepared" / "part-1.txt").write_text("edited")
    (project / "models" / "model.txt").unlink()

    decisions = plan(config)
    assert decisions["prepare"] == (
        Action.RESTORE,
        "data/prepared/ differs from the stored version",
    )
    assert decisions["train"] == (Action.RESTORE, "models/model.txt is missing")
    run(config)
    assert calls(project) == []
    assert snapshot(project) == before


def test_a_stray_file_stays_and_counts_for_its_readers(config: Path) -> None:
    """The store has no copy of a file put by hand in a written folder: a restore leaves it
    (`test_restore_keeps_unstored.py`), and a reader of the folder runs on it."""
    project = config.parent
    run(config)
    calls(project)
    before = snapshot(project)
    (project / "data" / "prepared" / "part-1.txt").write_text("edited")
    (project / "data" / "prepared" / "stray.txt").write_text("not made by the step")

    decisions = plan(config)
    assert decisions["prepare"] == (
        Action.RESTORE,
        "data/prepared/ differs from the stored version",
    )
    assert decisions["train"][0] is Action.RUN  # its folder holds one more part
    run(config)
    assert calls(project) == ["score", "train"]
    after = snapshot(project)
    assert after.pop("data/prepared/stray.txt") == b"not made by the step"
    assert after["data/prepared/part-1.txt"] == before["data/prepared/part-1.txt"]
    assert after["models/model.txt"] == b"model of 4 parts"


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_switching_a_param_back_restores_the_earlier_version(config: Path, executor: str) -> None:
    project = config.parent
    run(config, executor, count=3)
    first = snapshot(project)
    run(config, executor, count=5)
    assert calls(project) == ["prepare", "prepare", "score", "score", "train", "train"]
    second = snapshot(project)
    assert second != first

    decisions = plan(config, count=3)
    assert decisions["prepare"] == (
        Action.RESTORE,
        "data/prepared/ differs from the stored version",
    )
    assert decisions["train"][0] is Action.RESTORE  # its model and its target
    assert "models/model.txt differs" in decisions["train"][1]
    assert "metrics/train.json differs" in decisions["train"][1]
    assert decisions["score"][0] is Action.CACHED

    back = run(config, executor, count=3)
    assert calls(project) == []
    assert snapshot(project) == first
    assert back.output("train") == {"parts": 3}
    assert back.output("score") == len("model of 3 parts")
    run(config, executor, count=5)
    assert calls(project) == []
    assert snapshot(project) == second


def test_a_deleted_target_is_restored_from_its_blob(config: Path) -> None:
    project = config.parent
    run(config)
    calls(project)
    target = project / "out" / "metrics" / "train.json"
    kept = target.read_bytes()
    target.unlink()
    assert plan(config)["train"] == (Action.RESTORE, "metrics/train.json is missing")
    assert run(config).output("train") == {"parts": 3}
    assert calls(project) == []
    assert target.read_bytes() == kept


def test_a_result_that_cannot_be_restored_says_it_is_missing(config: Path) -> None:
    project = config.parent
    run(config)
    calls(project)
    shutil.rmtree(project / "out" / BLOBS)
    (project / "out" / "metrics" / "train.json").unlink()
    with pytest.warns(ResultWarning, match="train"):
        decisions = plan(config)
    location = str(project / "out" / "metrics" / "train.json")
    assert decisions["train"] == (Action.RUN, f"stored result missing ({location})")
    shutil.rmtree(project / "data" / "prepared")
    decisions = plan(config)
    assert decisions["prepare"][0] is Action.RUN
    assert decisions["prepare"][1].startswith("stored copy of its files missing (")
    with pytest.warns(ResultWarning):
        run(config)
    assert calls(project) == ["prepare", "train"]  # score: the same model, so still cached


def test_frozen_counts_a_restore_as_current(config: Path) -> None:
    project = config.parent
    run(config)
    calls(project)
    shutil.rmtree(project / "models")
    pipeflow.load(config).run(frozen=True)
    assert calls(project) == []
    assert (project / "models" / "model.txt").exists()


def test_status_json_and_dry_run_say_restore(config: Path) -> None:
    from click.testing import CliRunner

    from pipeflow.cli import cli

    project = config.parent
    run(config)
    calls(project)
    (project / "models" / "model.txt").unlink()
    status = CliRunner().invoke(cli, ["status", str(config), "--json"])
    assert status.exit_code == 0, status.output
    rows = {row["step"]: row for row in json.loads(status.output)["steps"]}
    assert rows["train"]["action"] == "restore"
    assert rows["train"]["reason"] == "models/model.txt is missing"
    dry = CliRunner().invoke(cli, ["run", str(config), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "restore" in dry.output
    assert "models/model.txt is missing" in dry.output
    assert not (project / "models" / "model.txt").exists()
    assert calls(project) == []


def test_a_deleted_payload_is_reported_missing_not_changed(config: Path) -> None:
    project = config.parent
    run(config)
    calls(project)
    # A payload of its own (a large value's, or one stored before journals), then deleted.
    journals.to_files(project / "out", "restored", "score")
    [payload] = (project / "out" / ".pipeflow" / "results" / "restored" / "score").rglob("*.json")
    payload.unlink()
    with pytest.warns(ResultWarning, match="score"):
        decisions = plan(config)
    assert decisions["score"] == (Action.RUN, f"stored result missing ({payload})")
    with pytest.warns(ResultWarning):
        assert run(config).output("score") == len("model of 3 parts")
    assert calls(project) == ["score"]


def test_a_target_overwritten_with_no_stored_copy_says_so(config: Path) -> None:
    project = config.parent
    run(config, count=3)
    run(config, count=5)
    calls(project)
    # The first version's copy is gone, as in a store written before copies were kept.
    manifests = project / "out" / ".pipeflow" / "manifests" / "restored" / "train"
    latest = json.loads((manifests / "latest.json").read_text())
    for path in manifests.glob("*.json"):
        part = json.loads(path.read_text())["parts"]["value"]
        if part["checksum"] != latest["parts"]["value"]["checksum"]:
            (project / "out" / part["blob"]).unlink()
    decisions = plan(config, count=3)
    location = project / "out" / "metrics" / "train.json"
    assert decisions["train"] == (
        Action.RUN,
        f"stored result overwritten by a later run ({location})",
    )


def _blob_of(project: Path, name: str) -> Path:
    """The stored blob of `data/prepared/NAME`."""
    manifests = project / "out" / ".pipeflow" / "manifests" / "restored" / "prepare"
    manifest = json.loads((manifests / "latest.json").read_text())
    checksum = manifest["files"]["data/prepared/"]["entries"][name]["checksum"]
    digits = checksum.removeprefix("sha256:")
    return project / "out" / BLOBS / digits[:2] / digits[2:]


def _damage_in_place(blob: Path) -> None:
    """Other bytes of the same size, its modification time set back: only ctime tells."""
    status = blob.stat()
    blob.write_bytes(bytes(255 - b for b in blob.read_bytes()))
    os.utime(blob, ns=(status.st_atime_ns, status.st_mtime_ns))


def _damage_by_replacing(blob: Path) -> None:
    """Another file moved over the blob: same size and modification time, a new inode."""
    status = blob.stat()
    other = blob.with_name("other")
    other.write_bytes(b"x" * status.st_size)
    os.utime(other, ns=(status.st_atime_ns, status.st_mtime_ns))
    os.replace(other, blob)


def _damage_by_truncating(blob: Path) -> None:
    status = blob.stat()
    blob.write_bytes(blob.read_bytes()[:-1])
    os.utime(blob, ns=(status.st_atime_ns, status.st_mtime_ns))


@pytest.mark.parametrize("restored_before", [False, True], ids=["first-restore", "after-a-restore"])
@pytest.mark.parametrize("damage", [_damage_in_place, _damage_by_replacing, _damage_by_truncating])
@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_damaged_blob_is_never_restored(
    config: Path, executor: str, damage: Callable[[Path], None], restored_before: bool
) -> None:
    # Restoring skips re-reading a blob this machine checked and that is unchanged since: a
    # blob changed on disk, however its times were set back, must still be caught.
    project = config.parent
    run(config, executor)
    before = snapshot(project)
    blob = _blob_of(project, "part-1.txt")
    if restored_before:
        # A blob is remembered as whole once its ctime is 2 s old (restoring.py).
        time.sleep(max(0.0, 2.2 - (time.time() - blob.stat().st_ctime)))
        shutil.rmtree(project / "data" / "prepared")
        run(config, executor)
        remembered = FileFingerprints(project / ".pipeflow" / "file-hashes.json")
        written = [path for path in (project / "data" / "prepared").rglob("*") if path.is_file()]
        for path in written:  # each one's blob remembered as found whole
            blob_of = _blob_of(project, path.relative_to(project / "data" / "prepared").as_posix())
            assert remembered.checked(str(blob_of), blob_of.parent.name + blob_of.name)
    calls(project)
    damage(blob)
    shutil.rmtree(project / "data" / "prepared")

    with pytest.warns(ResultWarning, match="damaged"):
        again = run(config, executor)
    assert calls(project) == ["prepare"]  # made again, never restored from the damaged copy
    assert snapshot(project) == before
    assert again.outcomes["prepare"].state is StepState.DONE
