"""A forged list of written files in a store is never restored from (SPEC section 10).

The files a step `writes:` come back from the store when they are missing (a fresh checkout).
Whoever can write the store can put a pickle of their own among its blobs and name it in the
step's manifest: restored as `models/model.pkl`, the next step would unpickle it. So a
manifest's list of written files is signed with the project's key, as pickle payloads are;
one unsigned (as manifests before this rule were), wrongly signed, signed with another key or
for another key is ignored and the step runs again. In a local store, on S3 (moto) and on GCS
(the emulator); the forged pickle writes a marker file when loaded, which must never appear.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import textwrap
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fsspec.core import url_to_fs

import pipeflow
from pipeflow.model.run import StepState
from pipeflow.storage import Manifest, ResultWarning
from pipeflow.storage.blobs import blob_path
from pipeflow.storage.signing import SigningKey, sign_files
from pipeflow.storage.written import FileEntry, WrittenFiles
from tests.calls import calls_in_order as calls
from tests.servers import ObjectStore, require_loopback

STEPS = """
import pickle
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def train(out):
    with LOG.open("a") as log:
        log.write("train\\n")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_bytes(pickle.dumps({"weights": [1, 2, 3]}))


def evaluate(model):
    return str(pickle.loads(Path(model).read_bytes()))
"""

# (the declared write, the model's path in it: "" for the write itself)
WRITES = [("models/model.pkl", ""), ("models/", "model.pkl")]


class Booby:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path, str]]:
        return Path.write_text, (self.marker, "code ran")


@pytest.fixture(params=["local", "s3_server", "gcs_server"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    if request.param == "local":
        return str(tmp_path / "store"), {}
    server: ObjectStore = request.getfixturevalue(request.param)
    require_loopback(server.storage_options)
    return server.unique_url("signed-writes"), server.options()


def make_project(folder: Path, root: str, options: dict[str, Any], write: str) -> Path:
    (folder / "modelsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: shared
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              train:
                run: modelsteps.train
                inputs: {{out: models/model.pkl}}
                writes: [{write}]
              evaluate: {{run: modelsteps.evaluate, inputs: {{model: models/model.pkl}}}}
            """
        )
    )
    return config


def forge(root: str, options: dict[str, Any], marker: Path, how: str) -> int:
    """Put a booby-trapped pickle among the store's blobs and name it as the model in every
    manifest of `train`, as whoever can write the store could; how many were forged."""
    filesystem, base = url_to_fs(root, **options)
    base = base.rstrip("/")
    data = pickle.dumps(Booby(marker))
    checksum = "sha256:" + hashlib.sha256(data).hexdigest()
    blob = f"{base}/{blob_path(checksum)}"
    filesystem.makedirs(blob.rsplit("/", 1)[0], exist_ok=True)  # a local store's folder
    filesystem.pipe_file(blob, data)
    folder = f"{base}/.pipeflow/manifests/shared/train"
    names = [name for name in filesystem.find(folder) if name.endswith(".json")]
    for name in names:
        manifest = Manifest.from_json(filesystem.cat_file(name))
        files = {
            label: WrittenFiles(
                written.kind,
                {
                    inner: FileEntry(len(data), checksum) if inner in ("", "model.pkl") else entry
                    for inner, entry in written.entries.items()
                },
            )
            for label, written in manifest.files.items()
        }
        signature: str | None = manifest.files_signature  # kept: it no longer matches
        if how == "unsigned":  # as manifests written before lists were signed
            signature = None
        elif how == "other key":
            other = SigningKey(b"k" * 40, "feed", "elsewhere")
            where = {"pipeline": manifest.pipeline, "step": manifest.step, "key": manifest.key}
            signature = sign_files(files, signing=other, **where)
        filesystem.pipe_file(
            name, replace(manifest, files=files, files_signature=signature).to_json()
        )
    return len(names)


@pytest.mark.parametrize("how", ["forged", "unsigned", "other key"])
@pytest.mark.parametrize(("write", "inner"), WRITES)
def test_a_forged_list_of_written_files_is_never_restored(
    tmp_path: Path, where: tuple[str, dict[str, Any]], write: str, inner: str, how: str
) -> None:
    root, options = where
    config = make_project(tmp_path, root, options, write)
    assert pipeflow.load(config).run().ok
    assert calls(tmp_path) == ["train"]
    marker = tmp_path / "marker"
    assert forge(root, options, marker, how) >= 1
    shutil.rmtree(tmp_path / "models")  # a fresh checkout

    with pytest.warns(ResultWarning, match="list of written files cannot be trusted"):
        status = {d.step: d for d in pipeflow.load(config).status()}
    assert status["train"].reason.startswith("its stored result was ignored")
    assert "list of written files cannot be trusted" in status["train"].reason
    with pytest.warns(ResultWarning, match="list of written files cannot be trusted"):
        run = pipeflow.load(config).run()
    assert run.ok
    assert run.state("train") is StepState.DONE  # run again, not restored
    assert calls(tmp_path) == ["train"]
    assert run.output("evaluate") == "{'weights': [1, 2, 3]}"
    assert not marker.exists()
    # What it stored again is signed here: deleted, it is restored without running.
    shutil.rmtree(tmp_path / "models")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)
        again = pipeflow.load(config).run()
    assert again.state("train") is StepState.CACHED
    assert calls(tmp_path) == []
    assert not marker.exists()


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize(("write", "inner"), WRITES)
def test_files_stored_by_this_machine_are_restored(
    tmp_path: Path, write: str, inner: str, executor: str
) -> None:
    config = make_project(tmp_path, str(tmp_path / "store"), {}, write)
    assert pipeflow.load(config).run(executor=executor).ok
    manifests = list((tmp_path / "store" / ".pipeflow" / "manifests").rglob("*.json"))
    signed = [Manifest.from_json(path.read_bytes()).files_signature for path in manifests]
    assert signed
    assert all(s and s.startswith("hmac-sha256:") for s in signed)
    shutil.rmtree(tmp_path / "models")
    calls(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)
        run = pipeflow.load(config).run(executor=executor)
    assert run.state("train") is StepState.CACHED
    assert run.outcomes["train"].reason.startswith("restored")
    assert calls(tmp_path) == []
    assert (tmp_path / "models" / "model.pkl").exists()
