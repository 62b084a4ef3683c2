"""`pipeflow result` (`Pipeline.result()`) of a current result whose target a run would restore.

A step's `result.target` was deleted, or changed by hand, after the run that stored it: the
stored result is current (a run restores the target from its stored copy and runs nothing),
but `pipeflow result` refused it ("has no up-to-date stored result (made.json is missing);
run the pipeline first", exit 1), and so did a `pipeflow.read` step of another pipeline. It
now names the stored copy and reads the value from it (writing nothing: the target stays as
it is until a run restores it), on a local store, S3 and GCS, YAML and TOML.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import fsspec
import pytest

import pipeflow
from tests.servers import ObjectStore
from tests.system import pipeflow_in

STEPS = """
def make(n):
    return {"n": n, "words": ["a", "b"]}
"""

YAML = """\
name: restorable
params: {{n: 1}}
results: {{root: {root}, storage_options: {options}}}
steps:
  make: {{run: rsteps.make, inputs: {{n: "${{params.n}}"}}, result: {{target: made.json}}}}
"""

TOML = """\
name = "restorable"
params = {{n = 1}}
results = {{root = {root}, storage_options = {options}}}

[steps.make]
run = "rsteps.make"
inputs = {{n = "${{params.n}}"}}
result = {{target = "made.json"}}
"""

READER = """\
name: reader
steps:
  read: {run: pipeflow.read, inputs: {config: CONFIG, step: make}}
"""


def toml_table(options: dict[str, object]) -> str:
    """`storage_options` as a TOML inline table (JSON's text, with `=` for `:`)."""
    items = ", ".join(
        f"{json.dumps(key)} = {toml_table(value) if isinstance(value, dict) else json.dumps(value)}"
        for key, value in options.items()
    )
    return "{" + items + "}"


@pytest.fixture(params=["local", "s3_server", "gcs_server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, object]]:
    if request.param == "local":
        return str(tmp_path / "out"), {}
    server: ObjectStore = request.getfixturevalue(request.param)
    return server.unique_url("restorable"), dict(server.storage_options)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("change", ["deleted", "edited"])
def test_the_stored_copy_is_the_result(
    tmp_path: Path, store: tuple[str, dict[str, object]], spelling: str, change: str
) -> None:
    root, options = store
    (tmp_path / "rsteps.py").write_text(textwrap.dedent(STEPS))
    if spelling == "yaml":
        config = tmp_path / "pipeline.yaml"
        config.write_text(YAML.format(root=json.dumps(root), options=json.dumps(options)))
    else:
        config = tmp_path / "pipeline.toml"
        config.write_text(TOML.format(root=json.dumps(root), options=toml_table(options)))
    assert pipeflow.load(config).run(history=False).ok
    filesystem, base = fsspec.core.url_to_fs(root, **options)
    target = f"{base}/made.json"
    if change == "deleted":
        filesystem.rm_file(target)
    else:
        filesystem.pipe_file(target, b'{"n": 2}')

    stored = pipeflow.load(config).result("make")
    assert stored.load() == {"n": 1, "words": ["a", "b"]}
    assert "made.json" not in stored.locations["value"]  # the copy kept in the store
    shown = pipeflow_in(tmp_path, "result", config.name, "make", "--show")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "'words'" in shown.stdout, shown.stdout
    assert "made.json" in shown.stderr, shown.stderr  # says a run would restore it
    # Nothing was written: the target is as it was left.
    assert filesystem.exists(target) is (change == "edited")

    reader = tmp_path / "reader.yaml"
    reader.write_text(READER.replace("CONFIG", config.name))
    read = pipeflow.load(reader).run(history=False)
    assert read.ok, read.outcomes
    assert read.output("read") == {"n": 1, "words": ["a", "b"]}


FOREACH = """\
name: items
results: {{root: {root}, storage_options: {options}}}
steps:
  make: {{run: rsteps.make, foreach: [1, 2, 3], as: n, result: {{target: "made-{{n}}.json"}}}}
"""


def test_the_stored_copies_are_the_items_of_a_foreach_step(
    tmp_path: Path, store: tuple[str, dict[str, object]]
) -> None:
    root, options = store
    (tmp_path / "rsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(FOREACH.format(root=json.dumps(root), options=json.dumps(options)))
    assert pipeflow.load(config).run(history=False).ok
    filesystem, base = fsspec.core.url_to_fs(root, **options)
    filesystem.rm_file(f"{base}/made-2.json")
    filesystem.pipe_file(f"{base}/made-3.json", b'{"n": 9}')

    stored = pipeflow.load(config).result("make")
    assert stored.load() == [{"n": n, "words": ["a", "b"]} for n in (1, 2, 3)]
    assert "made-1.json" in stored.item_locations[0]["value"]  # as stored: read there
    assert "made-2.json" not in stored.item_locations[1]["value"]
    shown = pipeflow_in(tmp_path, "result", config.name, "make", "--show")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "made-2.json" in shown.stderr, shown.stderr
    assert not filesystem.exists(f"{base}/made-2.json")  # nothing written


PARTS = """\
name: parts
results: {root: out}
steps:
  split: {run: rsteps.split, outputs: [a, b], result: {target: "{output}.json"}}
"""


def test_only_the_parts_asked_for_are_said_to_be_put_back(tmp_path: Path) -> None:
    (tmp_path / "rsteps.py").write_text("def split():\n    return {'a': [1], 'b': [2]}\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text(PARTS)
    assert pipeflow.load(config).run(history=False).ok
    (tmp_path / "out" / "a.json").unlink()

    asked = pipeflow_in(tmp_path, "result", config.name, "split", "--part", "a", "--show")
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert "[1]" in asked.stdout
    assert "a.json of `split` is missing" in asked.stderr, asked.stderr
    other = pipeflow_in(tmp_path, "result", config.name, "split", "--part", "b")
    assert other.returncode == 0, other.stdout + other.stderr
    assert other.stdout.strip().endswith("b.json")
    assert "missing" not in other.stderr, other.stderr
