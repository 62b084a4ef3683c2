"""The clean-up before a step runs removes only what the step's own stored versions wrote there.

A file is removed from a declared write when one of the step's own manifests lists that very
path with that very content; a file put there by hand stays, even when its bytes are those of
a blob some step stored (an empty `.gitkeep` beside a step storing an empty log, a README
equal to a model this step stored at another path). Locally, with every executor, and under
a URL on S3 (moto) and GCS (the emulator).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fsspec.core import url_to_fs

import pipeflow
from tests.servers import ObjectStore, require_loopback

STEPS = """
from pathlib import Path

import fsspec


def empty_log(out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("")


def model(out, kind, options=None):
    if "://" in out:
        with fsspec.open(f"{out}/model_{kind}.txt", "w", **(options or {})) as handle:
            handle.write(kind)
        return kind
    Path(out).mkdir(parents=True, exist_ok=True)
    Path(out, f"model_{kind}.txt").write_text(kind)
    return kind
"""

# The user's own files: (name, bytes some step stored: the empty log, model a's content)
HAND_PLACED = {".gitkeep": b"", "README": b"a", "sub/.gitkeep": b""}


def make(folder: Path, root: str, options: dict[str, Any], models: str) -> Path:
    (folder / "ownsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: own
            params: {{kind: a}}
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              log:
                run: ownsteps.empty_log
                inputs: {{out: logs/run.log}}
                writes: [logs/run.log]
              model:
                run: ownsteps.model
                inputs:
                  out: "{models}"
                  kind: "${{params.kind}}"
                  options: {json.dumps(options)}
                writes: ["{models}/"]
            """
        )
    )
    return config


def run(config: Path, executor: str = "sequential", **params: object) -> None:
    result = pipeflow.load(config, params=params or None).run(executor=executor)
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_hand_placed_files_stay_in_a_local_folder(tmp_path: Path, executor: str) -> None:
    config = make(tmp_path, str(tmp_path / "out"), {}, "models")
    run(config, executor)
    models = tmp_path / "models"
    for name, data in HAND_PLACED.items():
        (models / name).parent.mkdir(parents=True, exist_ok=True)
        (models / name).write_bytes(data)

    run(config, executor, kind="b")
    found = sorted(p.relative_to(models).as_posix() for p in models.rglob("*") if p.is_file())
    assert found == sorted([*HAND_PLACED, "model_b.txt"])  # model_a.txt went: its own
    for name, data in HAND_PLACED.items():
        assert (models / name).read_bytes() == data
    run(config, executor, kind="c")
    assert (models / "model_b.txt").exists() is False
    assert (models / ".gitkeep").exists()


@pytest.mark.parametrize("server", ["s3_server", "gcs_server"])
def test_hand_placed_objects_stay_under_a_url(
    tmp_path: Path, request: pytest.FixtureRequest, server: str
) -> None:
    found: ObjectStore = request.getfixturevalue(server)
    require_loopback(found.storage_options)
    root, options = found.unique_url("own"), found.options()
    config = make(tmp_path, root, options, f"{root}/models")
    run(config)
    filesystem, base = url_to_fs(root, **options)
    base = base.rstrip("/")
    for name, data in HAND_PLACED.items():
        filesystem.pipe_file(f"{base}/models/{name}", data)

    run(config, kind="b")
    listed = sorted(
        name.removeprefix(f"{base}/models/") for name in filesystem.find(f"{base}/models")
    )
    assert listed == sorted([*HAND_PLACED, "model_b.txt"])
