"""A value is the same from memory and from the store (issue 11, item 5; SPEC section 12).

Prefect's API-sourced ETL example, ported: `extract` returns a frame with a list column and
`render` writes each row with str(). With the frame from memory `render` writes
"['python', 'ai']"; read back from parquet the cell was a numpy array and it wrote
"['python' 'ai']", under the same cache key. Now the value comes back as it was made (or the
explicit format refuses it, naming the column), whatever the executor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import numpy as np
import pandas as pd


def extract() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "title": ["pipelines", "agents"],
            "tags": [["python", "ai"], ["go"]],
            "meta": [{"stars": 3}, {"stars": 5, "fork": True}],
            "label": np.array(["a", "b"], dtype=object),
            "level": pd.Categorical(["low", "high"], categories=["low", "mid", "high"]),
        },
        index=pd.Index([10, 20], name="id"),
    )


def prices() -> pd.Series:
    return pd.Series([1.5, 2.5], name="price", index=pd.Index(["a", "b"], name="item"))


def render(frame) -> list:
    return [
        f"{index}: {row.tolist()} {type(row['tags']).__name__}" for index, row in frame.iterrows()
    ]


def describe(series) -> str:
    return f"{type(series).__name__} {series.name} {series.to_dict()} {series.index.name}"
"""


def config(executor: str, target: str = "") -> str:
    result = f"\n    result: {{target: {target}}}" if target else ""
    return f"""
name: etl
executor: {{type: {executor}}}
results: {{root: out}}
steps:
  extract:
    run: roundsteps.extract{result}
  render: {{run: roundsteps.render, inputs: {{frame: "${{steps.extract}}"}}}}
  prices: {{run: roundsteps.prices}}
  describe: {{run: roundsteps.describe, inputs: {{series: "${{steps.prices}}"}}}}
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("target", ["", "extract.pkl"])
def test_a_step_sees_the_same_value_from_memory_and_from_the_store(
    make_project: ProjectFactory, executor: str, target: str
) -> None:
    pipe = pipeflow.load(make_project(config(executor, target), roundsteps=STEPS))
    first = pipe.run(history=False)
    assert first.ok, first.outcomes
    rows = first.output("render")
    assert rows[0] == "10: ['pipelines', ['python', 'ai'], {'stars': 3}, 'a', 'low'] list"
    described = first.output("describe")
    assert described == "Series price {'a': 1.5, 'b': 2.5} item"
    # The consumers run again; the producers are cached and read back from the store.
    second = pipe.run(force=["render", "describe"], history=False)
    assert second.state("extract") is StepState.CACHED
    assert second.state("prices") is StepState.CACHED
    assert second.output("render") == rows
    assert second.output("describe") == described


def test_an_explicit_format_that_cannot_hold_the_value_fails_the_step_and_stores_nothing(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    pipe = pipeflow.load(make_project(config("sequential", "extract.parquet"), roundsteps=STEPS))
    run = pipe.run(history=False)
    assert run.state("extract") is StepState.FAILED
    error = run.outcomes["extract"].error or ""
    assert "the parquet format cannot hold this pandas.DataFrame exactly" in error
    assert "column `tags` holds list values (object dtype)" in error
    assert "formats that fit: pickle, joblib" in error
    assert not (tmp_path / "out" / "extract.parquet").exists()
    # Nothing was stored under its key: the next run tries again rather than taking a copy.
    assert pipe.run(history=False).state("extract") is StepState.FAILED


CSV_STEPS = """
import pandas as pd


def indexed() -> pd.DataFrame:
    return pd.DataFrame({"n": [1, 2]}, index=pd.Index(["a", "b"], name="key"))


def plain() -> pd.DataFrame:
    return pd.DataFrame({"n": [1, 2], "x": [0.5, 1.5], "name": ["a", "b"]})


def codes() -> pd.DataFrame:
    return pd.DataFrame({"zip": ["01234", "98765"]})
"""


def test_csv_targets_hold_plain_tables_and_refuse_what_they_would_change(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    pipe = pipeflow.load(
        make_project(
            """
            name: tables
            results: {root: out}
            steps:
              indexed: {run: csvsteps.indexed, result: {target: indexed.csv}}
              plain: {run: csvsteps.plain, result: {target: plain.csv}}
              codes: {run: csvsteps.codes, result: {target: codes.csv}}
            """,
            csvsteps=CSV_STEPS,
        )
    )
    run = pipe.run(history=False, keep_going=True)
    assert run.state("plain") is StepState.DONE
    assert (tmp_path / "out" / "plain.csv").read_text() == "n,x,name\n1,0.5,a\n2,1.5,b\n"
    indexed = run.outcomes["indexed"].error or ""
    assert "the index (named `key`, str) has no place in a CSV file" in indexed
    assert "`.reset_index()`" in indexed
    codes = run.outcomes["codes"].error or ""
    assert "column `zip` (str) would come back as int64" in codes
    assert not (tmp_path / "out" / "indexed.csv").exists()
    assert not (tmp_path / "out" / "codes.csv").exists()
