"""Ctrl-C while a large result is being uploaded (SPEC 6), on every store: the run says it was
interrupted and exits 130, nothing of the result counts, and no storage error hides the Ctrl-C
(GCS refused the rest of an upload cut off halfway with "Invalid Content-Range", which was
reported as the step's failure, exit 1)."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize(
    ("kind", "settle"),  # seconds after the value is made: into its write, at points of it
    [
        ("local", 0.0),  # written in about 0.3 s
        ("s3_server", 0.6),
        ("s3_server", 1.4),
        ("gcs_server", 0.6),
        ("gcs_server", 1.4),
    ],
)
def test_ctrl_c_during_an_upload_is_an_interruption(
    kind: str, settle: float, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if kind == "local":
        root, options = str(tmp_path / "results"), {}
    else:
        server: ObjectStore = request.getfixturevalue(kind)
        root, options = server.unique_url("upload"), dict(server.storage_options)
    (tmp_path / "uploadsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: upload
            params: {{seed: 1}}
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              big: {{run: uploadsteps.big, inputs: {{seed: "${{params.seed}}"}}}}
            """
        )
    )
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=tmp_path,
        marker="made",
        settle=settle,
    )
    assert code == 130, output
    assert "interrupted" in output, output
    assert "StorageError" not in output, output
    assert "Traceback" not in output, output
    # Nothing of the result counts: no manifest, no payload committed.
    store = ResultStore(root, options)
    assert store.list(".pipeflow/manifests/upload/big") == []
    assert [p for p in store.list(".pipeflow/results/upload/big") if ".tmp-" not in p] == []
