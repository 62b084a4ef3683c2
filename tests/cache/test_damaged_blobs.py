"""A stored copy found damaged is replaced, and `--frozen` never runs a step in its place.

Real files, a real local store and moto's S3 server. A blob under `.pipeflow/files/sha256/`
(the copy of a declared write, or of a `result.target` payload) overwritten with other bytes
fails its restore: the step runs again, and its blob is then whole, so the next run restores
instead of running once more. With `--frozen` the same discovery fails the run with exit 3
and the SPEC's message, and the step's code never runs (its stored copy is still gone, so
the next plan says so).
"""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path
from typing import Any

import fsspec
import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import StaleResults
from pipeflow.model.run import Action, StepState
from pipeflow.storage import ResultWarning
from tests.calls import calls
from tests.servers import ObjectStore

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def prep(out):
    note("prep")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("payload\\n")


def value(size):
    note("prep")
    return {"payload": "x" * size}


def train(ratio):
    note(f"train-{ratio}")
    return {"ratio": ratio}
"""

# The step whose blob is damaged: a declared write's, or a `result.target` payload's.
KINDS = {
    "file": "prep: {run: mysteps.prep, inputs: {out: data/p.txt}, writes: [data/p.txt]}",
    "target": 'prep: {run: mysteps.value, inputs: {size: 3}, result: {target: "kept/p.json"}}',
}


@pytest.fixture(params=["local", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """(results root, storage options): a local folder, or a fresh prefix on moto's S3."""
    if request.param == "local":
        return str(tmp_path / "out"), {}
    server: ObjectStore = request.getfixturevalue("s3_server")
    return server.unique_url("damaged"), dict(server.storage_options)


def make(tmp_path: Path, root: tuple[str, dict[str, Any]], steps: str) -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    url, options = root
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"name: damaged\nresults: {{root: {json.dumps(url)}, "
        f"storage_options: {json.dumps(options)}}}\nsteps:\n  {steps}\n"
    )
    return config


def blobs(root: tuple[str, dict[str, Any]]) -> tuple[Any, dict[str, bytes]]:
    """The store's filesystem, and every blob in it (full path -> bytes)."""
    filesystem, base = fsspec.core.url_to_fs(root[0], **root[1])
    found = filesystem.find(f"{base}/.pipeflow/files/sha256")
    return filesystem, {path: filesystem.cat_file(path) for path in found}


def damage(root: tuple[str, dict[str, Any]]) -> str:
    """Overwrite the one blob with other bytes of the same size; its path."""
    filesystem, found = blobs(root)
    [(path, data)] = found.items()
    filesystem.pipe_file(path, bytes(255 - byte for byte in data))
    return path


def remove_copy(tmp_path: Path, root: tuple[str, dict[str, Any]], kind: str) -> None:
    """Remove what the step left (its file, or its target) so the plan says `restore`."""
    if kind == "file":
        (tmp_path / "data" / "p.txt").unlink()
        return
    filesystem, base = fsspec.core.url_to_fs(root[0], **root[1])
    filesystem.rm_file(f"{base}/kept/p.json")


def decision(config: Path, step: str = "prep") -> tuple[Action, str]:
    [found] = [d for d in pipeflow.load(config).status() if d.step == step]
    return found.action, found.reason


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_damaged_blob_is_replaced_when_the_step_runs_again(
    tmp_path: Path, root: tuple[str, dict[str, Any]], kind: str
) -> None:
    config = make(tmp_path, root, KINDS[kind])
    assert pipeflow.load(config).run().ok
    assert calls(tmp_path) == ["prep"]
    _, whole = blobs(root)
    path = damage(root)
    remove_copy(tmp_path, root, kind)
    assert decision(config)[0] is Action.RESTORE

    with pytest.warns(ResultWarning, match="damaged|does not match"):
        again = pipeflow.load(config).run()
    assert again.outcomes["prep"].state is StepState.DONE
    assert calls(tmp_path) == ["prep"]
    assert blobs(root)[1] == whole  # the blob holds its content again, at the same path
    assert path in whole

    # Restored from the replaced blob, never run again.
    remove_copy(tmp_path, root, kind)
    assert decision(config)[0] is Action.RESTORE
    restored = pipeflow.load(config).run()
    assert restored.outcomes["prep"].state is StepState.CACHED
    assert calls(tmp_path) == []
    assert blobs(root)[1] == whole


def test_a_damaged_blob_is_replaced_by_a_step_on_a_process_pool(tmp_path: Path) -> None:
    root: tuple[str, dict[str, Any]] = (str(tmp_path / "out"), {})
    config = make(tmp_path, root, KINDS["file"])
    assert pipeflow.load(config).run(executor="processes").ok
    _, whole = blobs(root)
    damage(root)
    remove_copy(tmp_path, root, "file")
    with pytest.warns(ResultWarning, match="damaged"):
        assert pipeflow.load(config).run(executor="processes").ok
    assert blobs(root)[1] == whole
    calls(tmp_path)
    remove_copy(tmp_path, root, "file")
    assert pipeflow.load(config).run(executor="processes").ok
    assert calls(tmp_path) == []


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_frozen_fails_without_running_a_step_whose_copy_is_damaged(
    tmp_path: Path, root: tuple[str, dict[str, Any]], kind: str, executor: str
) -> None:
    config = make(tmp_path, root, KINDS[kind])
    assert pipeflow.load(config).run(executor=executor).ok
    calls(tmp_path)
    damage(root)
    remove_copy(tmp_path, root, kind)
    assert decision(config)[0] is Action.RESTORE  # current as planned: found damaged later

    with pytest.raises(StaleResults) as raised:
        pipeflow.load(config).run(executor=executor, frozen=True)
    message = str(raised.value)
    assert message.startswith("--frozen: 1 step(s) of `damaged` would run:\n  prep: ")
    assert "its stored result could not be restored" in message
    assert calls(tmp_path) == []  # the step's code never ran
    assert raised.value.exit_code == 3

    # The damaged copy is gone, so the plan now says so, and the CLI refuses before running.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)  # the target's result: "missing"
        action, reason = decision(config)
        command = CliRunner().invoke(cli, ["run", str(config), "--frozen"])
    assert action is Action.RUN
    assert reason.startswith(("stored copy of its files missing", "stored result missing"))
    assert command.exit_code == 3, command.output
    assert calls(tmp_path) == []


def test_frozen_fails_without_running_an_item_whose_copy_is_damaged(tmp_path: Path) -> None:
    root: tuple[str, dict[str, Any]] = (str(tmp_path / "out"), {})
    steps = (
        "train: {run: mysteps.train, foreach: [1, 2], as: ratio, "
        'result: {target: "models/r{ratio}.json"}}'
    )
    config = make(tmp_path, root, steps)
    assert pipeflow.load(config).run().ok
    assert calls(tmp_path) == ["train-1", "train-2"]
    filesystem, found = blobs(root)
    [(path, data)] = [(p, data) for p, data in found.items() if json.loads(data) == {"ratio": 2}]
    filesystem.pipe_file(path, data.replace(b"2", b"3"))
    (tmp_path / "out" / "models" / "r2.json").unlink()
    assert decision(config, "train")[0] is Action.RESTORE

    command = CliRunner().invoke(cli, ["run", str(config), "--frozen"])
    assert command.exit_code == 3, command.output
    assert "--frozen: 1 step(s) of `damaged` would run:\n  train: item 2 of 2 (2): " in (
        command.output
    )
    assert calls(tmp_path) == []
