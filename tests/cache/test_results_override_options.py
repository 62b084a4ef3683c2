"""`--results URL` (`results=` in Python) replaces the config's `results.root` for one run,
not the way to reach the store: the config's `results.storage_options` (an endpoint, a
profile) still apply when the URL is a store of the same kind, for the run's steps and for
those of its sub-pipelines, which `--results` moves into the same store. A store of another
kind (a local folder) gets none of them.

Two moto servers: the config's options name one; `AWS_ENDPOINT_URL`, the one a client without
options reaches, names the other."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import s3fs

import pipeflow
from tests.servers import ObjectStore, moto_s3, s3_client

STEPS = "def one():\n    return 1\n\n\ndef two(x):\n    return x + 1\n"


@pytest.fixture
def configured() -> Iterator[ObjectStore]:
    """The server the config's storage options name (its environment not applied)."""
    s3fs.S3FileSystem.clear_instance_cache()
    with moto_s3(apply_env=False) as server:
        yield server
    s3fs.S3FileSystem.clear_instance_cache()


def _project(folder: Path, store: ObjectStore) -> Path:
    (folder / "osteps.py").write_text(STEPS)
    options = f'{{client_kwargs: {{endpoint_url: "{store.endpoint}"}}}}'
    (folder / "child.yaml").write_text(
        "name: child\n"
        f"results: {{root: s3://{store.bucket}/child-own, storage_options: {options}}}\n"
        "steps:\n  c: {run: osteps.one}\n"
    )
    config = folder / "pipeline.yaml"
    config.write_text(
        "name: parent\n"
        f"results: {{root: s3://{store.bucket}/main, storage_options: {options}}}\n"
        "steps:\n"
        "  a: {run: osteps.one}\n"
        '  b: {run: osteps.two, inputs: {x: "${steps.a}"}}\n'
        "  sub: {pipeline: child.yaml}\n"
    )
    return config


def _keys(store: ObjectStore, prefix: str) -> list[str]:
    listed = s3_client(store.endpoint).list_objects_v2(Bucket=store.bucket, Prefix=prefix)
    return [entry["Key"] for entry in listed.get("Contents", [])]


def test_the_cli_keeps_the_configs_options_for_a_store_of_its_kind(
    tmp_path: Path, s3_server: ObjectStore, configured: ObjectStore
) -> None:
    config = _project(tmp_path, configured)
    env = {**os.environ, **{k: v for k, v in s3_server.env.items() if v is not None}}
    env["PIPEFLOW_HOME"] = str(tmp_path / "home")
    other = f"s3://{configured.bucket}/other"
    for frozen in ([], ["--frozen"]):
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", "run", str(config), "--results", other, *frozen],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    manifests = [key for key in _keys(configured, "other/") if "/manifests/" in key]
    assert any("/parent/" in key for key in manifests), manifests
    assert any("/child/" in key for key in manifests), manifests  # the sub-pipeline's too
    assert not _keys(configured, "main/")
    assert not _keys(configured, "child-own/")


def test_the_api_keeps_them_and_a_local_store_gets_none(
    tmp_path: Path, s3_server: ObjectStore, configured: ObjectStore
) -> None:
    config = _project(tmp_path, configured)
    other = f"s3://{configured.bucket}/api"
    run = pipeflow.load(config).run(history=False, results=other)
    assert run.ok, run.outcomes
    assert any("/manifests/" in key for key in _keys(configured, "api/"))
    status = pipeflow.load(config).status(results=other)
    assert all(decision.action.value == "cached" for decision in status), status
    local = pipeflow.load(config).run(history=False, results=str(tmp_path / "local"))
    assert local.ok, local.outcomes
    assert (tmp_path / "local" / ".pipeflow").is_dir()
