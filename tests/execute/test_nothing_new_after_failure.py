"""After a failure the run starts nothing new (SPEC 6): not a step waiting for a worker, not
a step handed to a pool ahead of its turn, not the next item of a `foreach` step.

Before, a threads or processes pool kept taking the steps waiting for a worker after one
failed, and a `foreach` step kept starting its items after one of them failed, until the
whole list had run. `--keep-going` still runs all of them.

One worker per pool makes the order certain: the failing task is the first that worker
takes, and everything else was handed over behind it (or waits for a place).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.events import Event, StepStarted
from pipeflow.model.run import StepState
from tests.calls import calls, calls_in_order
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import executor_spec

STEPS = """
import time
from pathlib import Path

HERE = Path(__file__).parent


def note(text):
    with (HERE / "calls.log").open("a") as log:
        log.write(f"{text}\\n")


def boom():
    note("boom")
    time.sleep(0.2)
    if (HERE / "broken").exists():
        raise ValueError("boom is broken")
    return 0


def other(n):
    note(f"other{n}")
    return n


def work(item):
    note(f"item{item}")
    if item == 1 and (HERE / "broken").exists():
        time.sleep(0.2)  # item 0's end is handled first, and item 2 handed over meanwhile
        raise ValueError("item 1 is broken")
    return item * 10


def slow_fail(n):
    time.sleep(0.4)
    raise RuntimeError("nope")


def slow_work(item):
    time.sleep(0.3)
    return work(item)


def count(values):
    note("total")
    return len(values)


def slow_item(item):
    note(f"item{item}")
    time.sleep(0.3)
    return item
"""

POOLS = ["sequential", "threads", "processes"]
__all__ = ["dask_address"]  # the fixture of the Dask test


def executor_line(executor: str) -> str:
    if executor == "sequential":
        return ""
    return f"executor: {{type: {executor}, workers: 1}}"


def steps_config(executor: str, *, spelling: str = "yaml") -> str:
    if spelling == "toml":
        pool = f'[executor]\ntype = "{executor}"\nworkers = 1\n' if executor != "sequential" else ""
        return f"""
name = "stops"
{pool}
[steps.a]
run = "stopsteps.boom"
[steps.b]
run = "stopsteps.other"
inputs = {{n = 1}}
[steps.c]
run = "stopsteps.other"
inputs = {{n = 2}}
[steps.d]
run = "stopsteps.other"
inputs = {{n = 3}}
"""
    return f"""
        name: stops
        {executor_line(executor)}
        steps:
          a: {{run: stopsteps.boom}}
          b: {{run: stopsteps.other, inputs: {{n: 1}}}}
          c: {{run: stopsteps.other, inputs: {{n: 2}}}}
          d: {{run: stopsteps.other, inputs: {{n: 3}}}}
        """


def foreach_config(executor: str) -> str:
    return f"""
        name: fan
        {executor_line(executor)}
        steps:
          work: {{run: stopsteps.work, foreach: [0, 1, 2, 3, 4, 5, 6, 7]}}
          total: {{run: stopsteps.count, inputs: {{values: "${{steps.work}}"}}}}
        """


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", POOLS)
def test_no_step_starts_after_a_failure(
    make_project: ProjectFactory, tmp_path: Path, executor: str, spelling: str
) -> None:
    config = make_project(
        steps_config(executor, spelling=spelling), name=f"pipeline.{spelling}", stopsteps=STEPS
    )
    (tmp_path / "broken").touch()
    run = pipeflow.load(config).run()
    assert not run.ok
    assert calls(tmp_path) == ["boom"]  # b was handed to the pool behind a; c and d waited
    for name in "bcd":
        assert run.state(name) is StepState.NOT_RUN, run.outcomes[name]
        assert run.outcomes[name].reason == "the run stopped after `a` failed"
    (tmp_path / "broken").unlink()
    again = pipeflow.load(config).run()  # resumes: a runs, and what never started
    assert again.ok, again.outcomes
    assert calls(tmp_path) == ["boom", "other1", "other2", "other3"]


@pytest.mark.parametrize("executor", POOLS)
def test_keep_going_still_starts_every_step_that_does_not_need_the_failure(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = make_project(steps_config(executor), stopsteps=STEPS)
    (tmp_path / "broken").touch()
    run = pipeflow.load(config).run(keep_going=True)
    assert calls(tmp_path) == ["boom", "other1", "other2", "other3"]
    assert [run.state(name) for name in "bcd"] == [StepState.DONE] * 3


@pytest.mark.parametrize("executor", POOLS)
def test_a_foreach_step_starts_no_item_after_one_fails(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = make_project(foreach_config(executor), stopsteps=STEPS)
    (tmp_path / "broken").touch()
    run = pipeflow.load(config).run()
    assert calls_in_order(tmp_path) == ["item0", "item1"]
    outcome = run.outcomes["work"]
    assert outcome.state is StepState.FAILED
    assert outcome.error == ("item 2 of 8 (1) (6 items not started): ValueError: item 1 is broken")
    assert run.state("total") is StepState.NOT_RUN
    (tmp_path / "broken").unlink()
    again = pipeflow.load(config).run()
    assert again.ok, again.outcomes
    assert calls(tmp_path) == [*sorted(f"item{n}" for n in range(1, 8)), "total"]
    assert again.outcomes["work"].reason == "8 items: 7 ran, 1 from the cache"
    assert again.output("work") == [n * 10 for n in range(8)]


@pytest.mark.parametrize("executor", POOLS)
def test_keep_going_runs_every_item_of_a_foreach_step(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = make_project(foreach_config(executor), stopsteps=STEPS)
    (tmp_path / "broken").touch()
    run = pipeflow.load(config).run(keep_going=True)
    assert calls(tmp_path) == sorted(f"item{n}" for n in range(8))
    assert run.outcomes["work"].error == "item 2 of 8 (1): ValueError: item 1 is broken"


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_foreach_step_stops_starting_items_when_another_step_fails(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = make_project(
        f"""
        name: fan
        executor: {{type: {executor}, workers: 2}}
        steps:
          a: {{run: stopsteps.boom}}
          slow: {{run: stopsteps.slow_item, foreach: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}}
        """,
        stopsteps=STEPS,
    )
    (tmp_path / "broken").touch()
    run = pipeflow.load(config).run()
    started = [name for name in calls(tmp_path) if name.startswith("item")]
    assert 0 < len(started) < 10, started  # a fails after 0.2 s; each item takes 0.3 s
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.NOT_RUN, outcome
    assert outcome.reason == (
        f"the run stopped after `a` failed: {len(started)} of 10 items ended"
        f" ({10 - len(started)} not started)"
    )
    (tmp_path / "broken").unlink()
    again = pipeflow.load(config).run()
    assert again.ok
    ran = [name for name in calls(tmp_path) if name.startswith("item")]
    assert len(ran) == 10 - len(started)  # what ran was stored
    assert not set(ran) & set(started)


def test_the_console_says_which_items_were_not_started(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(foreach_config("threads"), stopsteps=STEPS)
    (tmp_path / "broken").touch()
    result = CliRunner().invoke(cli, ["run", str(config)])
    assert result.exit_code == 1, result.output
    assert (
        "work: FAILED after 2 calls over its items: item 2 of 8 (1) (6 items not started):"
        " ValueError: item 1 is broken"
    ) in result.output
    assert "total: not run" in result.output


def test_on_dask_no_item_starts_once_the_run_hears_of_the_failure(
    make_project: ProjectFactory, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The cluster's scheduler has every item at once: the items it had not begun when the run
    heard of the failure never start (two workers, one thread each, 0.3 s per item)."""
    config = make_project(
        f"""
        name: fan
        executor: {executor_spec("dask", request)}
        steps:
          work: {{run: stopsteps.slow_work, foreach: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}}
        """,
        stopsteps=STEPS,
    )
    (tmp_path / "broken").touch()
    run = pipeflow.load(config).run()
    started = calls(tmp_path)
    assert "item1" in started
    assert len(started) < 12, started
    outcome = run.outcomes["work"]
    assert outcome.state is StepState.FAILED
    assert outcome.error == (
        f"item 2 of 12 (1) ({12 - len(started)} items not started): ValueError: item 1 is broken"
    )
    (tmp_path / "broken").unlink()
    again = pipeflow.load(config).run()
    assert again.ok, again.outcomes
    assert len(calls(tmp_path)) == 12 - len(started) + 1  # the failed item, and the others


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_step_that_never_began_is_never_said_started(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    """What a busy pool was handed and did not begin ends `not run` without a `started`
    event (the console's "x: started"), and every step that ran was said started first."""
    config = make_project(
        f"""
        name: said
        executor: {{type: {executor}, workers: 2}}
        steps:
          work:
            run: stopsteps.slow_work
            foreach: [0, 1, 2, 3, 4, 5]
            retries: 1
            retry_delay: 0.1s
          f: {{run: stopsteps.slow_fail, inputs: {{n: 1}}}}
          o1: {{run: stopsteps.other, inputs: {{n: 1}}}}
          o2: {{run: stopsteps.other, inputs: {{n: 2}}}}
          o3: {{run: stopsteps.other, inputs: {{n: 3}}}}
        """,
        stopsteps=STEPS,
    )
    (tmp_path / "broken").touch()
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    said = [e.step for e in events if isinstance(e, StepStarted)]
    for name, outcome in run.outcomes.items():
        if outcome.state is StepState.NOT_RUN:
            assert name not in said, (name, said)
        elif outcome.state in (StepState.DONE, StepState.FAILED):
            assert said.count(name) == 1, (name, said)
    assert any(o.state is StepState.NOT_RUN for o in run.outcomes.values()), run.outcomes
