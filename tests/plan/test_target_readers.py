"""A step that reads another step's `result.target` in the workspace (SPEC 12).

A target under a local results root is a file the step writes: a step that reads it (a path
input, `reads:`, a glob, the folder holding it) runs after it, and its key is computed from
the target as this run leaves it: written, or put back from the store when the writer is
cached, never the file an earlier run left."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
import glob, json
from pathlib import Path

def metrics(v):
    return {"accuracy": v}

def report(path):
    return json.loads(Path(path).read_text())["accuracy"]

def report_all(pattern, folder=None):
    return [json.loads(Path(p).read_text())["accuracy"] for p in sorted(glob.glob(pattern))]
"""

CONFIG = """
name: targets
params: {v: 1}
results: {root: data/processed}
executor: {type: %s}
steps:
  metrics:
    run: steps.metrics
    inputs: {v: "${params.v}"}
    result: {target: %s}
  report: %s
"""

READERS = {  # how the reader names the target
    "path input": "{run: steps.report, inputs: {path: data/processed/r/metrics.json}}",
    "reads": "{run: steps.report, inputs: {path: data/processed/r/metrics.json}, "
    "reads: [data/processed/r/metrics.json]}",
    "glob input": "{run: steps.report_all, inputs: {pattern: data/processed/r/*.json}}",
    "folder input": "{run: steps.report_all, inputs: {pattern: data/processed/r/*.json, "
    "folder: data/processed/r/}}",
}

TARGETS = {"literal": "r/metrics.json", "a field": "'r/{step}.json'"}


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_reader_of_a_target_follows_it(
    make_project: ProjectFactory,
    monkeypatch: pytest.MonkeyPatch,
    executor: str,
    reader: str,
    target: str,
) -> None:
    config = make_project(CONFIG % (executor, TARGETS[target], READERS[reader]), steps=STEPS)
    monkeypatch.chdir(config.parent)
    for v in (1, 2, 1, 3, 3):  # back to 1: the writer is cached, its target put back
        run = pipeflow.load(config).run(params={"v": v})
        assert run.ok, run.outcomes
        got = run.output("report")
        assert got == (v if "report_all" not in READERS[reader] else [v]), (v, got)
