"""A folder input that holds the results store, or the project's `.pipeflow/`, counts by the
data in it, never by pipeflow's own files there.

The Iris layout keeps its results under `data/processed`: a step that reads all of `data/`
(or the project folder `./`) must not count the store's manifests and run journals, which
every run adds to, nor the history database beside the config. Else it never stays cached,
and its first run fails with "data changed while the step ran" when a journal is written
beside it. Its data, a target in the store included, still counts. On every executor, for a
path input and a `reads:` entry.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState

STEPS = """
from pathlib import Path


def value(n):
    return {"n": n}


def count(src):
    return sorted(
        path.relative_to(src).as_posix()
        for path in Path(src).rglob("*")
        if path.is_file() and ".pipeflow" not in path.parts
    )


def count_data():
    return count(Path(__file__).with_name("data"))
"""

# A folder around the results root waits for the steps that store their targets there
# (`tests/plan/test_root_readers.py`); the readers here say so with `after:` too, as configs
# written before that did.
AFTER = "after: [summary, other]"
READERS = {
    "data-input": f'reader: {{run: foldersteps.count, inputs: {{src: "data/"}}, {AFTER}}}',
    "data-bare-read": f"reader: {{run: foldersteps.count_data, reads: [data], {AFTER}}}",
    "project-input": f'reader: {{run: foldersteps.count, inputs: {{src: "./"}}, {AFTER}}}',
}


def _project(folder: Path, reader: str, executor: str) -> Path:
    (folder / "data" / "raw").mkdir(parents=True)
    (folder / "data" / "raw" / "rows.csv").write_text("a\n1\n")
    (folder / "foldersteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        "name: holder\nparams: {n: 1}\nresults: {root: data/processed}\n"
        f"executor: {{type: {executor}}}\nsteps:\n"
        '  summary: {run: foldersteps.value, inputs: {n: "${params.n}"}, '
        "result: {target: summary.json}}\n"
        '  other: {run: foldersteps.value, inputs: {n: 0}, result: {target: "other.json"}}\n'
        f"  {reader}\n"
    )
    return config


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_folder_holding_the_store_counts_by_its_data(
    tmp_path: Path, reader: str, executor: str
) -> None:
    config = _project(tmp_path, READERS[reader], executor)

    first = pipeflow.load(config).run()
    assert first.ok, {name: outcome.error for name, outcome in first.outcomes.items()}
    assert "processed/summary.json" in " ".join(first.output("reader"))
    for _ in range(2):  # every run adds a journal and the history grows: still cached
        again = pipeflow.load(config).run()
        assert again.state("reader") is StepState.CACHED, again.outcomes["reader"]
    status = {decision.step: decision for decision in pipeflow.load(config).status()}
    assert status["reader"].action.value == "cached", status["reader"].reason

    (tmp_path / "data" / "raw" / "rows.csv").write_text("a\n2\n")
    assert pipeflow.load(config).run().state("reader") is StepState.DONE
    changed = pipeflow.load(config, params={"n": 2}).run()  # a target in the store changes
    assert changed.state("reader") is StepState.DONE
