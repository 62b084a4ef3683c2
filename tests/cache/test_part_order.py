"""The value of a step with `outputs:` is the dict of its parts in `outputs:` order, whether the
step ran or came from the cache (a manifest lists its parts sorted by name): a consumer doing
`list(d.values())[0]` got `train` fresh and `test` from the cache, under the same cache key.
Checked on a local folder and on S3 (moto), on each executor, for a plain step, a `foreach`
step's items, a sub-pipeline's output, and what `Pipeline.result` and `pipeflow result` show.
A step returning a dict without `outputs:` keeps its key order through JSON and pickle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli.main import cli
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.servers import ObjectStore

STEPS = """
def split():
    return {"train": [1, 2, 3], "test": [4]}


def pair():
    return ("z", "a")  # a tuple: named by `outputs: [zeta, alpha]`


def plain():
    return {"zeta": 1, "alpha": 2, "mid": 3}


def item(x):
    return {"zeta": x, "alpha": -x}


def keys(d):
    return list(d)


def item_keys(items):
    return [list(one) for one in items]
"""

CHILD = """
name: child
steps:
  split: {run: orderstepsub.split, outputs: [train, test]}
outputs: {whole: "${steps.split}"}
"""

CONFIG = """
name: order
executor: {{type: {executor}}}
results: {results}
steps:
  split: {{run: ordersteps.split, outputs: [train, test]}}
  pair: {{run: ordersteps.pair, outputs: [zeta, alpha]}}
  as_json: {{run: ordersteps.plain, result: {{format: json}}}}
  as_pickle: {{run: ordersteps.plain, result: {{format: pickle}}}}
  items: {{run: ordersteps.item, foreach: [1, 2], as: x, outputs: [zeta, alpha]}}
  sp: {{pipeline: child.yaml}}
  k_split: {{run: ordersteps.keys, inputs: {{d: "${{steps.split}}"}}}}
  k_pair: {{run: ordersteps.keys, inputs: {{d: "${{steps.pair}}"}}}}
  k_json: {{run: ordersteps.keys, inputs: {{d: "${{steps.as_json}}"}}}}
  k_pickle: {{run: ordersteps.keys, inputs: {{d: "${{steps.as_pickle}}"}}}}
  k_items: {{run: ordersteps.item_keys, inputs: {{items: "${{steps.items}}"}}}}
  k_sub: {{run: ordersteps.keys, inputs: {{d: "${{steps.sp.whole}}"}}}}
"""

EXPECTED = {
    "k_split": ["train", "test"],
    "k_pair": ["zeta", "alpha"],
    "k_json": ["zeta", "alpha", "mid"],
    "k_pickle": ["zeta", "alpha", "mid"],
    "k_items": [["zeta", "alpha"], ["zeta", "alpha"]],
    "k_sub": ["train", "test"],
}
PRODUCERS = ["split", "pair", "as_json", "as_pickle", "items", "sp/split"]


def _project(make_project: ProjectFactory, tmp_path: Path, executor: str, results: str) -> Path:
    (tmp_path / "child.yaml").write_text(CHILD)
    (tmp_path / "orderstepsub.py").write_text(STEPS)
    return make_project(CONFIG.format(executor=executor, results=results), ordersteps=STEPS)


def _check_order(config: Path) -> None:
    pipe = pipeflow.load(config)
    first = pipe.run(history=False)
    assert first.ok, {name: outcome.error for name, outcome in first.outcomes.items()}
    assert {name: first.output(name) for name in EXPECTED} == EXPECTED
    # The consumers run again; every producer comes from the cache.
    second = pipe.run(force=list(EXPECTED), history=False)
    assert second.ok, {name: outcome.error for name, outcome in second.outcomes.items()}
    assert {name: second.state(name) for name in PRODUCERS} == dict.fromkeys(
        PRODUCERS, StepState.CACHED
    )
    assert {name: second.output(name) for name in EXPECTED} == EXPECTED
    assert list(second.output("split")) == ["train", "test"]
    assert [list(one) for one in second.output("items")] == [["zeta", "alpha"]] * 2
    # What the stored result shows: its parts, and its value, in `outputs:` order.
    stored = pipe.result("split")
    assert list(stored.locations) == ["train", "test"]
    assert list(stored.load()) == ["train", "test"]
    assert list(pipe.result("pair").load()) == ["zeta", "alpha"]
    assert [list(one) for one in pipe.result("items").load()] == [["zeta", "alpha"]] * 2
    assert list(pipe.result("as_json").load()) == ["zeta", "alpha", "mid"]
    assert list(pipe.result("as_pickle").load()) == ["zeta", "alpha", "mid"]
    assert [list(item) for item in pipe.result("items").item_locations] == [["zeta", "alpha"]] * 2
    shown = CliRunner().invoke(cli, ["result", str(config), "split", "--show"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["train", "test"], shown.output
    preview = shown.output.split("\n", 2)[2]
    assert preview.index("train") < preview.index("test"), shown.output


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_parts_keep_outputs_order_from_a_local_store(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    _check_order(_project(make_project, tmp_path, executor, "{root: out}"))


def test_parts_keep_outputs_order_from_s3(
    make_project: ProjectFactory, tmp_path: Path, s3_server: ObjectStore
) -> None:
    options = json.dumps(dict(s3_server.storage_options))
    results = f"{{root: {json.dumps(s3_server.unique_url('order'))}, storage_options: {options}}}"
    _check_order(_project(make_project, tmp_path, "sequential", results))
