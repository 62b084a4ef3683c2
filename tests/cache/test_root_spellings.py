"""A results root spelt with an empty or `.` path segment, or a trailing slash, is the same store.

`s3://bucket/${env.TEAM:-}/x` with TEAM unset is `s3://bucket//x`: s3fs wrote its results under
the key `/x/...` and listed `x/...`, so no run ever found them. Every spelling of one root now
names one store, on S3, GCS and a local folder alike: a second run finds every result, status,
result and gc see them, and locations name the tidy root.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from pipeflow.plan.roots import tidy_bucket_url
from pipeflow.storage import ResultStore
from tests.calls import calls_in_order as calls
from tests.servers import ObjectStore, s3_client

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def one():
    with LOG.open("a") as log:
        log.write("one\\n")
    return {"v": 1}
"""

SPELLINGS = ["{base}//x", "{base}/./x", "{base}/x/", "{base}//./x//", "{base}/${{env.TEAM:-}}/x"]


def project(folder: Path, root: str, options: dict[str, object]) -> Path:
    (folder / "rootsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: spelt
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              one: {{run: rootsteps.one}}
              two: {{run: rootsteps.one, result: {{target: "t/{{step}}.json"}}}}
            """
        )
    )
    return config


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("kind", ["local", "s3_server", "gcs_server"])
def test_every_spelling_of_a_root_is_one_store(
    kind: str,
    spelling: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEAM", raising=False)
    if kind == "local":
        base, options = str(tmp_path / "results"), {}
    else:
        server: ObjectStore = request.getfixturevalue(kind)
        base, options = server.unique_url("spelt"), dict(server.storage_options)
    config = project(tmp_path, spelling.format(base=base), options)
    tidy = f"{base}/x"

    first = pipeflow.load(config).run()
    assert sorted(calls(tmp_path)) == ["one", "one"]

    pipeline = pipeflow.load(config)
    assert {d.step: d.action for d in pipeline.status()} == {"one": "cached", "two": "cached"}
    assert pipeline.result("two").load() == {"v": 1}
    again = pipeline.run()
    assert calls(tmp_path) == []
    assert {o.state for o in again.outcomes.values()} == {StepState.CACHED}
    assert pipeline.gc(dry_run=True, grace=0).removals == ()  # every result is current: kept

    # Stored under the tidy root, nowhere else, and shown there.
    assert first.outcomes["two"].locations == (f"{tidy}/t/two.json",)
    assert json.loads(ResultStore(tidy, options).read_bytes("t/two.json") or b"") == {"v": 1}
    if kind == "s3_server":  # the keys as S3 has them: none under an empty segment
        bucket, prefix = base.removeprefix("s3://").split("/", 1)
        listed = s3_client(server.endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
        keys = [item["Key"] for item in listed["Contents"]]
        assert all(key.startswith(f"{prefix}/x/.pipeflow/") for key in keys if "/t/" not in key)
        assert f"{prefix}/x/t/two.json" in keys


@pytest.mark.parametrize(
    ("url", "tidy"),
    [
        ("s3://b//x", "s3://b/x"),
        ("s3://b/./x/", "s3://b/x"),
        ("s3a://b///x//y/", "s3a://b/x/y"),
        ("gs://b/x/./", "gs://b/x"),
        ("gcs://b//", "gcs://b"),
        ("S3://b//x", "S3://b/x"),
        ("s3:///x", "s3:///x"),  # no bucket: left for the store to refuse, not made `x`
        ("memory://a//b", "memory://a//b"),  # not an object store with buckets: as it is
        ("s3://b/../x", "s3://b/../x"),  # `..` is an ordinary key name there
    ],
)
def test_tidy_bucket_url(url: str, tidy: str) -> None:
    assert tidy_bucket_url(url) == tidy
