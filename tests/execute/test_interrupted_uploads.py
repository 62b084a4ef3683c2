"""Ctrl-C while a large result is being uploaded (SPEC 6), on every store: the run says it was
interrupted and exits 130, nothing of the result counts, and no storage error hides the Ctrl-C
(GCS refused the rest of an upload cut off halfway with "Invalid Content-Range", which was
reported as the step's failure, exit 1)."""

from __future__ import annotations

import json
import posixpath
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeflow.storage import ResultStore
from tests.interrupting import interrupted
from tests.servers import ObjectStore

STEPS = """
import numpy as np


def big(seed):
    value = np.random.default_rng(seed).bytes(80_000_000)
    print("made", flush=True)
    return value  # 80 MB to store: an upload that takes seconds
"""


def _project(tmp_path: Path, root: str, options: dict[str, str], result: str = "{}") -> Path:
    """The project of `big`, its results at `root`; `result`: the step's `result:`."""
    (tmp_path / "uploadsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: upload
            params: {{seed: 1}}
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              big: {{run: uploadsteps.big, inputs: {{seed: "${{params.seed}}"}}, result: {result}}}
            """
        )
    )
    return config


@pytest.mark.parametrize("kind", ["local", "s3_server", "gcs_server"])
def test_ctrl_c_during_an_upload_is_an_interruption(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Ctrl-C at points into the write (seconds after the value is made). How long a write
    takes varies with the machine's load: an attempt whose write was over before Ctrl-C came
    succeeded, and the next one (a new value) presses it earlier or later; at least one must
    land during the write."""
    if kind == "local":
        root, options = str(tmp_path / "results"), {}
        settles = [0.0, 0.1, 0.0, 0.2]  # written in about 0.3 s
    else:
        server: ObjectStore = request.getfixturevalue(kind)
        root, options = server.unique_url("upload"), dict(server.storage_options)
        settles = [0.6, 0.3, 1.0, 1.4, 0.1]
    config = _project(tmp_path, root, options)
    store = ResultStore(root, options)
    landed = stored = 0
    for seed, settle in enumerate(settles):
        code, output = interrupted(
            [sys.executable, "-m", "pipeflow", "run", str(config), "--param", f"seed={seed}"],
            cwd=tmp_path,
            marker="made",
            settle=settle,
        )
        assert "Traceback" not in output, output
        assert "Exception ignored" not in output, output
        # What counts is whole: a committed payload for each manifest. A payload without one
        # (Ctrl-C after the payload was published, before its manifest, which is written last)
        # counts for nothing: an orphan gc removes. It is not deleted then, as another run may
        # have stored the same key, whose manifest names it.
        manifests = store.list(".pipeflow/manifests/upload/big")
        manifests = [m for m in manifests if not m.endswith("/latest.json")]
        payloads = [p for p in store.list(".pipeflow/results/upload/big") if ".tmp-" not in p]
        keys = {posixpath.basename(p).split(".")[0] for p in payloads}
        assert {posixpath.basename(m).split(".")[0] for m in manifests} <= keys, output
        if " succeeded in " in output or len(manifests) > stored:
            # The write was over before Ctrl-C came (maybe as the process ended, or between
            # the manifest and the step's line): the result is stored whole and counts.
            assert len(manifests) == stored + 1, output
            stored += 1
            continue
        landed += 1
        assert code == 130, output
        assert "interrupted" in output, output
        assert "StorageError" not in output, output
        if landed == 2:
            break
    assert landed, "Ctrl-C never came during the write"


@pytest.mark.parametrize("kind", ["s3_server", "gcs_server"])
def test_ctrl_c_during_an_upload_leaves_the_object_there_whole(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """An object store commits an object only when its upload completes: the object a
    `result.target` names keeps its last complete write (another run's, an earlier value)
    when Ctrl-C cuts an upload to it short. Before, the run removed it, as if a partial
    object could be there."""
    server: ObjectStore = request.getfixturevalue(kind)
    root, options = server.unique_url("target"), dict(server.storage_options)
    config = _project(tmp_path, root, options, result='{target: "models/big.bin", format: pickle}')
    first = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--param", "seed=0", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    store = ResultStore(root, options)
    whole = store.read_bytes("models/big.bin")
    assert whole == _pickled(0)
    landed = 0
    for seed, settle in enumerate([0.6, 0.3, 1.0, 1.4, 0.1], start=1):
        code, output = interrupted(
            [sys.executable, "-m", "pipeflow", "run", str(config), "--param", f"seed={seed}"],
            cwd=tmp_path,
            marker="made",
            settle=settle,
        )
        if " succeeded in " in output:
            whole = store.read_bytes("models/big.bin")  # its write was over: the new whole
            continue
        assert code == 130, output
        there = store.read_bytes("models/big.bin")
        if there == _pickled(seed):
            whole = there  # the upload was over, Ctrl-C came before the manifest
            continue
        landed += 1
        assert there == whole
        if landed == 2:
            break
    assert landed, "Ctrl-C never came during the write"


def _pickled(seed: int) -> bytes:
    """What `big` stores for `seed`, whole."""
    import pickle

    import numpy as np

    return pickle.dumps(np.random.default_rng(seed).bytes(80_000_000), protocol=5)
