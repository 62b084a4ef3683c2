"""`foreach`: one run per item, the list of results in item order, each item cached alone."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import StepState
from tests.calls import calls_in_order as calls

STEPS = """
import time
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(text):
    with LOG.open("a") as log:
        log.write(text + "\\n")


def metric(name, scale=1):
    note(name)
    if name == "bad" and Path(__file__).with_name("broken").exists():
        raise ValueError("no such metric")
    return {"metric": name, "value": len(name) * scale}


def names(count):
    return [f"m{i}" for i in range(count)]


def nap(item):
    time.sleep(0.4)
    return item


def table(rows):
    return {row["metric"]: row["value"] for row in rows}
"""


def project(folder: Path, config: str) -> Path:
    (folder / "fsteps.py").write_text(textwrap.dedent(STEPS))
    path = folder / "pipeline.yaml"
    path.write_text(textwrap.dedent(config))
    return path


CONFIG = """
name: fan
params: {metrics: [mae, mse, r2], scale: 2}
results: {root: out}
steps:
  metric:
    run: fsteps.metric
    foreach: ${params.metrics}
    as: name
    inputs: {scale: "${params.scale}"}
  table: {run: fsteps.table, inputs: {rows: "${steps.metric}"}}
"""


def test_one_run_per_item_in_order_and_each_item_cached(tmp_path: Path) -> None:
    config = project(tmp_path, CONFIG)
    run = pipeflow.load(config).run()
    assert run.ok, run.outcomes
    assert [row["metric"] for row in run.output("metric")] == ["mae", "mse", "r2"]
    assert run.output("table") == {"mae": 6, "mse": 6, "r2": 4}
    assert sorted(calls(tmp_path)) == ["mae", "mse", "r2"]
    again = pipeflow.load(config).run()
    assert calls(tmp_path) == []
    assert again.state("metric") is StepState.CACHED
    assert again.outcomes["metric"].reason == "all 3 items are stored"
    assert again.output("metric")[2] == {"metric": "r2", "value": 4}


def test_a_new_item_runs_alone(tmp_path: Path) -> None:
    config = project(tmp_path, CONFIG)
    pipeflow.load(config).run()
    calls(tmp_path)
    run = pipeflow.load(config, params={"metrics": ["mae", "mse", "r2", "medae"]}).run()
    assert calls(tmp_path) == ["medae"]
    assert run.outcomes["metric"].reason == "4 items: 1 ran, 3 from the cache"
    assert run.output("table")["medae"] == 10


def test_after_one_item_fails_a_rerun_only_runs_that_item(tmp_path: Path) -> None:
    config = project(tmp_path, CONFIG)
    (tmp_path / "broken").write_text("the metric service is down")
    pipe = pipeflow.load(config, params={"metrics": ["mae", "bad", "r2"]})
    run = pipe.run(keep_going=True)  # without it, r2 would not start (test_nothing_new_...)
    assert run.state("metric") is StepState.FAILED
    assert "item 2 of 3 ('bad')" in (run.outcomes["metric"].error or "")
    assert run.state("table") is StepState.NOT_RUN
    calls(tmp_path)
    (tmp_path / "broken").unlink()
    run = pipe.run()
    assert run.ok
    assert calls(tmp_path) == ["bad"]  # mae and r2 were stored by the failed run
    assert run.outcomes["metric"].reason == "3 items: 1 ran, 2 from the cache"


def test_foreach_over_a_step_value_and_over_something_else(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        name: fan
        results: {persist: false}
        steps:
          names: {run: fsteps.names, inputs: {count: 3}}
          metric: {run: fsteps.metric, foreach: "${steps.names}", as: name}
          table: {run: fsteps.table, inputs: {rows: "${steps.metric}"}}
          wrong: {run: fsteps.metric, foreach: "${steps.table}", as: name}
        """,
    )
    run = pipeflow.load(config).run(keep_going=True)
    assert [row["metric"] for row in run.output("metric")] == ["m0", "m1", "m2"]
    assert run.state("wrong") is StepState.FAILED  # a dict, known only when `table` ran
    assert "must be a list, got dict" in (run.outcomes["wrong"].error or "")


def test_a_value_that_is_not_a_list_is_refused_at_validation(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        name: fan
        params: {metrics: mae}
        steps:
          metric: {run: fsteps.metric, foreach: "${params.metrics}", as: name}
        """,
    )
    with pytest.raises(pipeflow.ConfigError, match="`foreach` must be a list"):
        pipeflow.load(config)


def test_items_run_in_parallel_on_threads(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        name: fan
        executor: {type: threads, workers: 4}
        results: {persist: false}
        steps:
          nap: {run: fsteps.nap, foreach: [1, 2, 3, 4]}
        """,
    )
    started = time.monotonic()
    run = pipeflow.load(config).run()
    assert run.output("nap") == [1, 2, 3, 4]
    assert time.monotonic() - started < 1.3  # four 0.4 s items, not one after another


def test_a_long_list_is_handed_to_the_executor_a_window_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeflow.execute import fanout

    monkeypatch.setattr(fanout, "WINDOW", 3)
    (tmp_path / "windowsteps.py").write_text(
        textwrap.dedent(
            """
            import threading
            import time

            LOCK = threading.Lock()
            NOW = [0]
            MOST = [0]


            def work(item):
                with LOCK:
                    NOW[0] += 1
                    MOST[0] = max(MOST[0], NOW[0])
                time.sleep(0.02)
                with LOCK:
                    NOW[0] -= 1
                return item * 2


            def most(values):
                return MOST[0]
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "pipeline.yaml").write_text(
        textwrap.dedent(
            """
            name: window
            executor: {type: threads, workers: 8}
            results: {persist: false}
            params: {items: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]}
            steps:
              each: {run: windowsteps.work, foreach: "${params.items}"}
              most: {run: windowsteps.most, inputs: {values: "${steps.each}"}}
            """
        ),
        encoding="utf-8",
    )
    run = pipeflow.load(tmp_path / "pipeline.yaml").run(history=False)
    assert run.ok, run.outcomes
    assert run.output("each") == [2 * i for i in range(16)]
    assert 2 <= run.output("most") <= 3


@pytest.mark.parametrize("executor", ["threads", "sequential"])
def test_items_ending_out_of_order_give_the_step_the_version_of_its_items_in_order(
    tmp_path: Path, executor: str
) -> None:
    """The step's version is taken while items end; the items that end first are the last
    ones here, and what follows must still find it the same as the stored items give it."""
    (tmp_path / "ordersteps.py").write_text(
        textwrap.dedent(
            """
            import time


            def late_first(item):
                time.sleep(0.05 * (5 - item))
                return item * 10


            def total(values):
                return sum(values)
            """
        ),
        encoding="utf-8",
    )
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: order
            executor: {{type: {executor}, workers: 5}}
            results: {{root: out}}
            steps:
              each: {{run: ordersteps.late_first, foreach: [0, 1, 2, 3, 4]}}
              total: {{run: ordersteps.total, inputs: {{values: "${{steps.each}}"}}}}
            """
        ),
        encoding="utf-8",
    )
    first = pipeflow.load(config).run(history=False)
    assert first.ok, first.outcomes
    assert first.output("each") == [0, 10, 20, 30, 40]
    again = pipeflow.load(config).run(history=False)
    assert again.state("each") is StepState.CACHED
    assert again.state("total") is StepState.CACHED, again.outcomes["total"].reason


def test_a_cached_foreach_step_read_back_for_the_next_step_is_not_said_to_start(
    tmp_path: Path,
) -> None:
    config = project(tmp_path, CONFIG)
    first = CliRunner().invoke(cli, ["run", str(config)])
    assert first.exit_code == 0, first.output
    assert "metric: started" in first.stdout
    # `table` runs again (its code changed), so the stored items are read back for it.
    (tmp_path / "fsteps.py").write_text(
        (tmp_path / "fsteps.py").read_text() + "\n\ndef table(rows):\n    return len(rows)\n"
    )
    again = CliRunner().invoke(cli, ["run", str(config)])
    assert again.exit_code == 0, again.output
    assert "metric: cached (3 items: 0 ran, 3 from the cache)" in again.stdout
    assert "metric: started" not in again.stdout
    assert "table: started" in again.stdout


@pytest.mark.parametrize(("persist", "state"), [(True, "cached"), (False, "done")])
def test_an_empty_foreach_ends_as_the_plan_said(tmp_path: Path, persist: bool, state: str) -> None:
    config = project(
        tmp_path,
        f"""
        name: fan
        results: {{root: out, persist: {str(persist).lower()}}}
        steps:
          metric: {{run: fsteps.metric, foreach: [], as: name}}
          table: {{run: fsteps.table, inputs: {{rows: "${{steps.metric}}"}}}}
        """,
    )
    shown = CliRunner().invoke(cli, ["run", str(config)])
    assert shown.exit_code == 0, shown.output
    planned = "1 cached" if persist else "2 to run"
    assert planned in shown.stdout.splitlines()[0], shown.stdout
    assert f"metric: {state}" in shown.stdout
    assert ("metric: started" in shown.stdout) is not persist
    run = pipeflow.load(config).run()
    assert run.output("table") == {}
