"""Two runs writing the same `result.target` at once, as separate processes, on every store.

docs/stores.md: two runs writing the same step at once never leave a half result that counts,
and at worst the last complete write wins. Each run's manifest and blob are its own: neither
run fails because the other replaced the target between its write and its manifest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeflow.storage import ResultStore
from pipeflow.storage.blobs import RAW
from pipeflow.storage.manifest import PartRecord
from tests.servers import ObjectStore

STEPS = """
import time
import uuid


def stamp(delay):
    time.sleep(delay)  # both runs reach the write together
    return f"made {uuid.uuid4()}\\n" * 20000  # other bytes on every run, about 900 kB
"""

ROUNDS = 4  # the failure showed within one to three rounds before the fix


def project(folder: Path, root: str, options: dict[str, object]) -> Path:
    (folder / "stampsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: shared
            params: {{delay: 0.3}}
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              stamp:
                run: stampsteps.stamp
                inputs: {{delay: "${{params.delay}}"}}
                result: {{target: "out/stamp.txt"}}
            """
        )
    )
    return config


def run_twice_at_once(folder: Path, config: Path) -> None:
    command = [sys.executable, "-m", "pipeflow", "run", str(config), "-q", "--force"]
    runs = [
        subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0].decode(errors="replace") for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, f"a concurrent run failed:\n{output}"


@pytest.mark.parametrize("kind", ["local", "s3_server", "gcs_server"])
def test_two_runs_writing_one_target_at_once_both_succeed(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if kind == "local":
        root, options = str(tmp_path / "results"), {}
    else:
        server: ObjectStore = request.getfixturevalue(kind)
        root, options = server.unique_url("concurrent"), dict(server.storage_options)
    config = project(tmp_path, root, options)
    store = ResultStore(root, options)
    for _ in range(ROUNDS):
        run_twice_at_once(tmp_path, config)
        # The manifest that counts names a blob of its own bytes, whole.
        [path] = [p for p in store.list(".pipeflow/manifests/shared/stamp") if "latest" not in p]
        manifest = store.read_manifest(path)
        assert manifest is not None
        part = manifest.parts["value"]
        assert part.blob is not None
        blob = PartRecord(path=part.blob, format=RAW.name, size=part.size, checksum=part.checksum)
        with store.open_verified(blob) as kept:
            lines = kept.read().decode().splitlines()
        assert len(lines) == 20000
        assert len(set(lines)) == 1
        # The target holds one run's whole value: the last complete write.
        target = store.read_bytes("out/stamp.txt")
        assert target is not None
        assert len(set(target.decode().splitlines())) == 1
