"""A file beside a `result.target` in its results root is not the target (SPEC 12).

A target's fields stand for text within one folder name (`{step}`, `{output}`, `{date:%Y-%m-%d}`)
or, where a value may hold `/` (`{params.*}`, `{item}`, a date spec with `/`), for any path.
So a step that reads `data/raw/iris.csv` does not wait for a step whose target is
`{step}.parquet` under the results root `data`: before, it did, and with the writer after the
reader (as in every pipeline that loads its data first) the config was refused as a cycle."""

from __future__ import annotations

from datetime import datetime

import pytest

import pipeflow
from pipeflow.model.locations import Location
from pipeflow.model.target_match import target_meets
from tests.conftest import ProjectFactory

STEPS = """
import json
from pathlib import Path

def load(path):
    return Path(path).read_text()

def count(text):
    return len(text)

def report(path):
    return json.loads(Path(path).read_text())

def value(v):
    return v
"""

NEIGHBOURS = """
name: neighbours
results: {root: %s}
steps:
  load:
    run: steps.load
    inputs: {path: data/raw/iris.csv}
  count:
    run: steps.count
    inputs: {text: "${steps.load}"}
    result: {target: "%s"}
"""

TEMPLATES = [
    "{step}.json",
    "{date:%Y-%m-%d}/{step}.json",
    "{pipeline}-{step}_{output}.json",
    "runs/{run_id}/{step}.{ext}",
    "{key}.json",
    "{step:>12}.json",
]


@pytest.mark.parametrize("root", [".", "data", "data/raw/.."])
@pytest.mark.parametrize("template", TEMPLATES)
def test_a_file_beside_a_target_is_not_the_target(
    make_project: ProjectFactory, root: str, template: str
) -> None:
    config = make_project(NEIGHBOURS % (root, template), steps=STEPS)
    (config.parent / "data" / "raw").mkdir(parents=True)
    (config.parent / "data" / "raw" / "iris.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    pipeline = pipeflow.load(config)
    assert pipeline.graph.upstream["load"] == ()
    assert pipeline.graph.upstream["count"] == ("load",)
    run = pipeline.run()
    assert run.ok, run.outcomes
    assert run.output("count") == 8
    again = pipeflow.load(config).run()
    assert again.state("count").value == "cached"


SPANNING = """
name: spanning
params: {sub: "a/b", v: 1}
results: {root: data}
steps:
  write:
    run: steps.value
    inputs: {v: "${params.v}"}
    result: {target: "%s"}
  report:
    run: steps.report
    inputs: {path: "%s"}
"""


@pytest.mark.parametrize(
    ("template", "read"),
    [
        ("{params.sub}/metrics.json", "data/a/b/metrics.json"),
        ("{date:%Y/%m}/metrics.json", "data/{year}/{month}/metrics.json"),
        ("{date:%Y/%m}/{step}.json", "data/{year}/{month}/write.json"),
    ],
)
def test_a_field_that_may_hold_a_slash_still_reaches_any_depth(
    make_project: ProjectFactory, template: str, read: str
) -> None:
    today = datetime.now().astimezone()
    read = read.format(year=f"{today:%Y}", month=f"{today:%m}")
    config = make_project(SPANNING % (template, read), steps=STEPS)
    assert pipeflow.load(config).graph.upstream["report"] == ("write",)
    for v in (1, 2, 1):
        run = pipeflow.load(config).run(params={"v": v})
        assert run.ok, run.outcomes
        assert run.output("report") == v


def test_a_folder_around_a_spanning_target_is_read_after_it(make_project: ProjectFactory) -> None:
    config = make_project(SPANNING % ("{params.sub}/metrics.json", "data/a/"), steps=STEPS)
    assert pipeflow.load(config).graph.upstream["report"] == ("write",)
    beside = make_project(SPANNING % ("{step}/metrics.json", "data/a/b"), steps=STEPS)
    assert pipeflow.load(beside).graph.upstream["report"] == ()


@pytest.mark.parametrize(
    ("read", "target", "meets"),
    [
        ("/p/data/a.json", "/p/data/*.json", True),  # the target itself
        ("/p/data/a.json/part-0", "/p/data/*.json", True),  # inside a target folder
        ("/p/data", "/p/data/*.json", True),  # a folder holding it
        ("/p", "/p/data/*/*.json", True),
        ("/p/data/raw/iris.csv", "/p/data/*.json", False),
        ("/p/data/raw", "/p/data/*.json", False),
        ("/p/data/x.csv", "/p/data/*.json", False),
        ("/p/data/raw/iris.csv", "/p/data/**.json", True),  # as a folder, it may hold one
        ("/p/model/iris.csv", "/p/data/**.json", False),
        ("/p/data/raw/iris.json", "/p/data/**.json", True),
        ("/p/data/raw/iris.csv", "/p/data/**/x.json", True),  # a folder that may hold it
        ("/p/data/2026/12/x.json", "/p/data/*/x.json", False),
        ("/p/data/r1/x.json", "/p/data/r?/x.json", True),
        ("/p/data/r1/x.json", "/p/data/r[0-9]/x.json", True),
        ("/p/data/r12/x.json", "/p/data/r[0-9]/x.json", False),
        ("s3://bucket/data/x.json", "/p/data/*.json", False),
    ],
)
def test_where_a_read_meets_a_target(read: str, target: str, meets: bool) -> None:
    found = target_meets(Location(read, read), Location(target, target))
    assert found is meets
