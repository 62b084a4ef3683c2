"""Whole pipelines on S3 and GCS, and faults: an unreachable store, escaping paths, SIGKILL."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import StorageError
from pipeflow.storage import ResultStore, ResultWarning, get_format
from tests import inlined
from tests.calls import calls_in_order as calls
from tests.servers import ObjectStore, closed_port

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def numbers(count):
    note("numbers")
    return list(range(count))


def total(values):
    note("total")
    return sum(values)
"""


def project(folder: Path, root: str, options: dict[str, object]) -> Path:
    (folder / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: remote
            params: {{count: 4}}
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              numbers: {{run: mysteps.numbers, inputs: {{count: "${{params.count}}"}}}}
              total: {{run: mysteps.total, inputs: {{values: "${{steps.numbers}}"}}}}
            """
        )
    )
    return config


@pytest.mark.parametrize("server", ["s3_server", "gcs_server"])
def test_a_pipeline_caches_in_an_object_store(
    server: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store: ObjectStore = request.getfixturevalue(server)
    root = store.unique_url("pipeline")
    config = project(tmp_path, root, dict(store.storage_options))
    first = pipeflow.load(config).run()
    assert first.output("total") == 6
    assert sorted(calls(tmp_path)) == ["numbers", "total"]
    again = pipeflow.load(config).run()
    assert calls(tmp_path) == []
    assert again.output("total") == 6  # read back from the bucket
    assert again.outcomes["total"].locations[0].startswith(root)

    # The stored total is its manifest alone, its bytes inside (`storage/inline.py`). Other
    # bytes of the same size inside it ("7" for "6"), the checksum kept: not taken.
    remote = ResultStore(root, store.storage_options)
    assert remote.list(".pipeflow/results/remote/total") == []
    [path] = remote.list(".pipeflow/manifests/remote/total")
    data = remote.read_bytes(path)
    assert data is not None
    document = json.loads(data)
    value = base64.b64decode(document["parts"]["value"]["inline"])
    document["parts"]["value"]["inline"] = base64.b64encode(value.replace(b"6", b"7")).decode()
    remote.write_bytes(path, json.dumps(document).encode(), internal=True)
    with pytest.warns(ResultWarning, match="total.*no longer matches its checksum"):
        rerun = pipeflow.load(config).run()
    assert calls(tmp_path) == ["total"]
    assert rerun.output("total") == 6

    # Stored as an earlier pipeflow did (a payload object, `latest.json`): still cached.
    inlined.to_objects(remote, "remote")
    assert pipeflow.load(config).run().output("total") == 6
    assert calls(tmp_path) == []
    # Replace the stored total with other bytes of the same size: the listing's ETag changes.
    [payload] = [p for p in remote.list(".pipeflow/results/remote/total") if p.endswith(".json")]
    remote.write(payload, 7, format=get_format("json"), internal=True)  # "7" has the size of "6"
    with pytest.warns(ResultWarning, match="total"):
        rerun = pipeflow.load(config).run()
    assert calls(tmp_path) == ["total"]
    assert rerun.output("total") == 6


def test_an_unreachable_store_fails_fast_naming_it(tmp_path: Path, s3_server: ObjectStore) -> None:
    del s3_server  # only its client environment: credentials and the loopback endpoint
    endpoint = f"http://127.0.0.1:{closed_port()}"
    config = project(
        tmp_path, "s3://nowhere/results", {"client_kwargs": {"endpoint_url": endpoint}}
    )
    started = time.monotonic()
    with pytest.raises(StorageError) as caught:
        pipeflow.load(config).run()
    assert time.monotonic() - started < 20
    assert "s3://nowhere/results" in str(caught.value)
    assert calls(tmp_path) == []


def test_a_param_cannot_send_a_target_outside_the_root(tmp_path: Path) -> None:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            """
            name: escape
            params: {folder: daily}
            results: {root: out}
            steps:
              numbers:
                run: mysteps.numbers
                inputs: {count: 2}
                result: {target: "{params.folder}/numbers.json"}
            """
        )
    )
    for bad in ("../../x", "/etc"):
        with pytest.raises(pipeflow.ConfigError) as caught:
            pipeflow.load(config, params={"folder": bad})
        assert "target" in str(caught.value)
    assert calls(tmp_path) == []
    assert not (tmp_path / "out").exists()


BIG = """
import numpy as np


def big():
    print("made", flush=True)
    return np.ones((8_000, 5_000))  # 320 MB of float64: a write that takes a while


def shape(array):
    return list(array.shape)
"""


def test_sigkill_while_a_large_result_is_written_leaves_nothing_half(tmp_path: Path) -> None:
    (tmp_path / "bigsteps.py").write_text(textwrap.dedent(BIG))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            """
            name: big
            results: {root: out}
            steps:
              big: {run: bigsteps.big}
              shape: {run: bigsteps.shape, inputs: {array: "${steps.big}"}}
            """
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    results = tmp_path / "out" / ".pipeflow" / "results"
    deadline = time.monotonic() + 60
    writing = False
    while time.monotonic() < deadline and process.poll() is None:
        if results.exists() and any(".tmp-" in p.name for p in results.rglob("*")):
            writing = True
            break
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert writing, "the write was never seen in progress"
    manifests = tmp_path / "out" / ".pipeflow" / "manifests" / "big" / "big"
    assert not manifests.exists() or not list(manifests.glob("*.json"))
    run = pipeflow.load(config).run()  # a left-over temporary file is never taken for a result
    assert run.ok
    assert run.output("shape") == [8000, 5000]
    assert pipeflow.load(config).run().state("shape").value == "cached"
