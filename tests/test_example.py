"""End to end: the README's main command on a copy of the Iris example, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import ProjectFactory
from tests.interrupting import interrupted


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


def test_validate_does_not_import_pandas_or_sklearn_when_nothing_changed(
    iris_project: Path,
) -> None:
    """The first `validate` imports the step module to check it imports cleanly (and so pandas
    and scikit-learn); it remembers that under `.pipeflow/`, and later ones import nothing
    heavy until the code changes."""
    code = (
        "import sys; from pipeflow.cli import cli\n"
        "try:\n    cli(['validate', 'pipeline.yaml'])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('pandas', 'sklearn', 'numpy', 'pyarrow') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )

    def validate() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=iris_project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "'pandas'" in validate()
    assert "heavy: []" in validate()
    assert "heavy: []" in validate()
    steps = iris_project / "steps" / "iris.py"
    steps.write_text(steps.read_text(encoding="utf-8") + "\nCHANGED = True\n", encoding="utf-8")
    assert "'pandas'" in validate()
    assert "heavy: []" in validate()


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
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        marker="sleeping",
    )
    assert code == 130, output
    assert "interrupted" in output
    out = config.parent / "out"
    assert (out / "first.json").exists()
    leftovers = [p.name for p in out.rglob("*") if ".tmp" in p.name]
    assert leftovers == []


def _states(output: str) -> dict[str, str]:
    """Step -> final state, from the plain lines of a run."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        name, _, rest = line.partition(": ")
        if rest.startswith(("done", "cached", "skipped", "FAILED")):
            found[name] = rest.split()[0]
    return found


def test_the_cache_reruns_exactly_what_changed(iris_project: Path) -> None:
    first = pipeflow("run", "pipeline.yaml", cwd=iris_project)
    assert first.returncode == 0, first.stdout + first.stderr
    again = pipeflow("run", "pipeline.yaml", cwd=iris_project)
    assert set(_states(again.stdout).values()) == {"cached"}, again.stdout

    steps_file = iris_project / "steps" / "iris.py"
    steps_file.write_text(
        steps_file.read_text().replace(
            "random_state=seed, stratify", "random_state=seed + 1, stratify"
        )
    )
    status = pipeflow("status", "pipeline.yaml", cwd=iris_project)
    assert "split_data" in status.stdout
    assert "code of steps/iris.py changed (`split_data`)" in status.stdout
    edited = pipeflow("run", "pipeline.yaml", cwd=iris_project)
    states = _states(edited.stdout)
    assert states == {
        "load_data": "cached",
        "get_classes": "cached",
        "encode_categorical_columns": "cached",
        "split_data": "done",
        "train_model": "done",
        "predict": "done",
        "report_accuracy": "done",
    }, edited.stdout

    data = iris_project / "data" / "raw" / "iris.csv"
    data.write_text(data.read_text().replace("5.1,3.5,1.4,0.2", "5.2,3.5,1.4,0.2", 1))
    status = pipeflow("status", "pipeline.yaml", cwd=iris_project)
    assert "input file data/raw/iris.csv changed" in status.stdout
    changed = pipeflow("run", "pipeline.yaml", cwd=iris_project)
    assert _states(changed.stdout)["load_data"] == "done"
    assert _states(changed.stdout)["encode_categorical_columns"] == "done"
    assert _states(changed.stdout)["split_data"] == "done"
    frozen = pipeflow("run", "pipeline.yaml", "--frozen", cwd=iris_project)
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr


def test_every_executor_gives_the_same_iris_results(iris_project: Path) -> None:
    import pipeflow as api

    results = {}
    for executor in ("sequential", "threads", "processes"):
        run = api.load(iris_project / "pipeline.yaml").run(
            executor=executor, no_cache=True, history=False
        )
        assert run.ok, (executor, run.outcomes)
        split = run.output("split_data")
        results[executor] = (
            run.output("report_accuracy"),
            {name: frame.shape for name, frame in split.items()},
            run.output("predict")["prediction"].tolist(),
        )
    assert results["threads"] == results["sequential"]
    assert results["processes"] == results["sequential"]
