"""The model-evaluation example runs on its configured Dask cluster, then comes from the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("sklearn")

import pipeflow
from pipeflow.model.run import StepState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "model_evaluation"
STEPS = ["make_tickets", "predict", "score", "summary"]


def test_model_evaluation_on_dask_then_cached(tmp_path: Path) -> None:
    project = tmp_path / "model_evaluation"
    shutil.copytree(
        EXAMPLE, project, ignore=shutil.ignore_patterns("data", ".pipeflow", "__pycache__")
    )
    pipe = pipeflow.load(project / "pipeline.yaml")
    assert pipe.definition.executor.type == "dask"

    run = pipe.run()
    assert run.ok, run.outcomes
    assert {step: run.state(step) for step in STEPS} == dict.fromkeys(STEPS, StepState.DONE)

    tickets = run.output("make_tickets")
    assert len(tickets) == 2000
    assert set(tickets["priority"]) == {"low", "medium", "high", "urgent"}
    scores = run.output("score")
    assert [entry["metric"] for entry in scores] == ["mae", "medae", "mse", "r2"]
    values = {entry["metric"]: entry["value"] for entry in scores}
    assert 0 < values["medae"] < values["mae"] < values["mse"]
    assert 0.5 < values["r2"] < 1
    summary = run.output("summary")
    assert summary["tickets"] == 2000
    assert summary["metrics"] == {name: round(value, 4) for name, value in values.items()}

    again = pipeflow.load(project / "pipeline.yaml").run()
    assert again.ok, again.outcomes
    assert {step: again.state(step) for step in STEPS} == dict.fromkeys(STEPS, StepState.CACHED)
    assert again.output("summary") == summary
