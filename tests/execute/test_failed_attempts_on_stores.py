"""What a failed attempt wrote under a URL it declares in `writes:` goes, as on local disk.

A step writing `part_a.txt` under `s3://.../out/` fails half-way (it raises, or a declared
write is missing). Before, the object stayed, and the next run with other params stored it
with its own version and its reader listed it. Now the objects the attempt added are
deleted; an object that was there before it stays. On S3 (moto) and GCS (the emulator),
on the sequential and processes executors.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import fsspec
import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.servers import ObjectStore

STEPS = """
import fsspec


def write(kind, fail, url, options):
    filesystem, root = fsspec.core.url_to_fs(url, **options)
    filesystem.pipe(f"{root}/part_{kind}.txt", b"half")
    if fail == "raises":
        raise RuntimeError("failed half-way")
    if fail != "missing":
        filesystem.pipe(f"{root}/done.txt", b"whole")


def listing(url, options):
    filesystem, root = fsspec.core.url_to_fs(url, **options)
    return sorted(name.rsplit("/", 1)[-1] for name in filesystem.find(root))
"""


@pytest.fixture(params=["s3_server", "gcs_server"])
def server(request: pytest.FixtureRequest) -> ObjectStore:
    store: ObjectStore = request.getfixturevalue(request.param)
    return store


def _config(folder: Path, server: ObjectStore, executor: str) -> tuple[Path, str]:
    (folder / "urlsteps.py").write_text(textwrap.dedent(STEPS))
    root = server.unique_url("attempts")
    out = f"{root}/out"
    options = json.dumps(dict(server.storage_options))
    inputs = (
        f'{{kind: "${{params.kind}}", fail: "${{params.fail}}", url: "{out}", options: {options}}}'
    )
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name: urls
            params: {{kind: a, fail: "no"}}
            results: {{root: "{root}", storage_options: {options}}}
            executor: {{type: {executor}}}
            steps:
              write:
                run: urlsteps.write
                inputs: {inputs}
                writes: ["{out}/part_${{params.kind}}.txt", "{out}/done.txt"]
              listing:
                run: urlsteps.listing
                inputs: {{url: "{out}", options: {options}}}
                after: [write]
            """
        )
    )
    return config, out


@pytest.mark.parametrize("executor", ["sequential", "processes"])
@pytest.mark.parametrize("fail", ["raises", "missing"])
def test_a_failed_attempt_leaves_no_object(
    tmp_path: Path, server: ObjectStore, executor: str, fail: str
) -> None:
    config, out = _config(tmp_path, server, executor)
    filesystem, root = fsspec.core.url_to_fs(out, **server.storage_options)
    filesystem.pipe(f"{root}/mine.txt", b"there before")

    failed = pipeflow.load(config, params={"fail": fail}).run()
    assert failed.state("write") is StepState.FAILED
    assert sorted(name.rsplit("/", 1)[-1] for name in filesystem.find(root)) == ["mine.txt"]

    run = pipeflow.load(config, params={"kind": "b"}).run()
    assert run.ok, {name: outcome.error for name, outcome in run.outcomes.items()}
    assert run.output("listing") == ["done.txt", "mine.txt", "part_b.txt"]
