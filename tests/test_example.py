"""End to end: the README's main command on a copy of the Iris example, as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ProjectFactory


def pipeflow(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_readme_command_trains_reports_and_persists(iris_project: Path) -> None:
    done = pipeflow("run", "pipeline.yaml", "--param-file", "params/params.json", cwd=iris_project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report_accuracy | Model accuracy on test set: 96.67" in done.stdout
    processed = iris_project / "data" / "processed"
    [day] = [p for p in processed.iterdir() if p.name[:2] == "20"]
    assert sorted(p.name for p in day.iterdir()) == [
        "split_data_test_x.parquet",
        "split_data_test_y.parquet",
        "split_data_train_x.parquet",
        "split_data_train_y.parquet",
    ]
    assert len(pd.read_parquet(day / "split_data_test_x.parquet")) == 30
    assert (processed / "models" / "train_model.joblib").stat().st_size > 0
    # Not a terminal: one plain line per event, no escape codes.
    assert "\x1b[" not in done.stdout
    assert "load_data: started" in done.stdout


def test_param_changes_the_persisted_split(iris_project: Path) -> None:
    done = pipeflow("run", "pipeline.yaml", "--param", "test_data_ratio=0.5", cwd=iris_project)
    assert done.returncode == 0, done.stdout + done.stderr
    [test_x] = (iris_project / "data" / "processed").rglob("split_data_test_x.parquet")
    assert len(pd.read_parquet(test_x)) == 75


def test_toml_pipeline_gives_the_same_result(iris_project: Path) -> None:
    done = pipeflow("run", "pipeline.toml", "-q", cwd=iris_project)
    assert done.returncode == 0, done.stdout + done.stderr
    import pipeflow as api

    os.chdir(iris_project)
    yaml_run = api.load(iris_project / "pipeline.yaml").run(results=str(iris_project / "y"))
    toml_run = api.load(iris_project / "pipeline.toml").run(results=str(iris_project / "t"))
    assert yaml_run.output("report_accuracy") == toml_run.output("report_accuracy")


def test_params_schema_refuses_a_bad_ratio(iris_project: Path) -> None:
    done = pipeflow("run", "pipeline.yaml", "--param", "test_data_ratio=1.5", cwd=iris_project)
    assert done.returncode == 2
    assert "test_data_ratio" in done.stderr
    assert "fails params_schema" in done.stderr
    assert not (iris_project / "data" / "processed").exists()


def test_validate_does_not_import_pandas_or_sklearn(iris_project: Path) -> None:
    code = (
        "import sys; from pipeflow.cli import cli\n"
        "try:\n    cli(['validate', 'pipeline.yaml'])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'numpy', 'pyarrow') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=iris_project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout


def test_help_does_not_import_the_engine() -> None:
    code = (
        "import sys; from pipeflow.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('loaded:', [m for m in ('pipeflow.api', 'yaml', 'jsonschema', 'fsspec') "
        "if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "loaded: []" in done.stdout, done.stdout + done.stderr


def test_ctrl_c_exits_130_and_leaves_no_half_result(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: slow
        results: {root: out}
        steps:
          first: {run: slowsteps.first, result: {target: first.json}}
          second: {run: slowsteps.second, inputs: {value: "${steps.first}"}}
        """,
        slowsteps="""
        import time

        def first() -> list:
            return [1, 2, 3]

        def second(value: list) -> int:
            print("sleeping", flush=True)
            time.sleep(30)
            return 1
        """,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if "sleeping" in line or time.monotonic() > deadline:
            break
    os.killpg(process.pid, signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("pipeflow did not stop after Ctrl-C")
    assert process.returncode == 130, output
    assert "interrupted" in output
    out = config.parent / "out"
    assert (out / "first.json").exists()
    leftovers = [p.name for p in out.rglob("*") if ".tmp" in p.name]
    assert leftovers == []
