"""A Dask worker that dies under a step (`os._exit`, killed, out of memory): each death is said
as it is heard, and what it says is what happens next. Until Dask's
`distributed.scheduler.allowed-failures` is passed the step starts again on another worker;
the death that passes it fails the step, and says so, with the count in the step's error. The
scheduler's own ERROR line about it is not printed beside pipeflow's (a cluster pipeflow
started logs in the run's process). The limit is the scheduler's, asked of it: a scheduler at
an address may have another than this machine's Dask config."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import os


def die(deaths):
    with open(deaths, "a") as told:
        told.write("x\\n")
    os._exit(7)
"""


def _run(config: Path, allowed: int) -> subprocess.CompletedProcess[str]:
    limit = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed)}
    return pipeflow_in(config.parent, "run", str(config), timeout=180, env=limit)


def _said(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if "died" in line]


def test_each_death_says_what_follows_and_the_last_one_fails_the_step(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(
        """
        name: deaths
        executor: {type: dask, workers: 1}
        results: {root: out}
        steps:
          bad: {run: deathsteps.die, inputs: {deaths: DEATHS}}
        """.replace("DEATHS", str(tmp_path / "deaths")),
        deathsteps=STEPS,
    )
    deaths = tmp_path / "deaths"
    result = _run(config, allowed=1)
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(deaths.read_text().splitlines()) == 2  # once, then once more after a death
    said = _said(result)
    assert len(said) == 2, result.stderr
    assert "the Dask worker running `bad` (tcp://" in said[0]
    assert "the step starts again on another worker" in said[0], said[0]
    assert "1 of the 1 death Dask allows" in said[0], said[0]
    assert "starts again" not in said[1], said[1]
    assert "2 workers have died running it" in said[1], said[1]
    assert "so the step fails" in said[1], said[1]
    assert "distributed.scheduler.allowed-failures" in said[1], said[1]
    # Not the scheduler's own log line beside pipeflow's words.
    assert "distributed.scheduler" not in result.stderr.replace(
        "`distributed.scheduler.allowed-failures`", ""
    ), result.stderr
    assert "marked as failed" not in result.stderr, result.stderr
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    assert failed, result.stdout
    assert "WorkerDied: 2 Dask workers died running `bad` (the last: tcp://" in failed[0]
    assert "os._exit" in failed[0], failed[0]


@pytest.fixture
def strict_scheduler() -> Iterator[str]:
    """A cluster at an address whose scheduler gives a task no second chance, whatever the
    run's own Dask config says."""
    import dask
    import distributed  # noqa: F401  (its defaults in dask's config before the change below)

    from tests.execute.conftest import local_cluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = local_cluster()
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_the_limit_is_the_schedulers_not_this_machines_config(
    make_project: ProjectFactory, tmp_path: Path, strict_scheduler: str
) -> None:
    config = make_project(
        f"""
        name: deaths
        executor: {{type: dask, address: "{strict_scheduler}", shared_filesystem: true}}
        results: {{root: out}}
        steps:
          bad: {{run: deathsteps.die, inputs: {{deaths: "{tmp_path / "deaths"}"}}}}
        """,
        deathsteps=STEPS,
    )
    deaths = tmp_path / "deaths"
    result = _run(config, allowed=3)  # this machine's config: 3
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(deaths.read_text().splitlines()) == 1
    said = _said(result)
    assert len(said) == 1, result.stderr
    assert "starts again" not in said[0], said[0]
    assert "so the step fails" in said[0], said[0]
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    assert "WorkerDied: the Dask worker running `bad` (tcp://" in failed[0], result.stdout


ONCE = """
import os
import time
from pathlib import Path


def once(deaths):
    told = Path(deaths)
    if not told.exists():
        told.write_text("x")
        time.sleep(2)  # what the step's duration must count, though its worker dies after it
        os._exit(7)
    return "done"
"""

DONE_IN = re.compile(r"^once: done in (\d+(?:\.\d+)?)s$", re.MULTILINE)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_step_started_again_after_a_death_takes_as_long_as_both_runs(
    make_project: ProjectFactory, tmp_path: Path, kind: str
) -> None:
    """The "done in" of the console, and the step's `duration`, count from its first start,
    not from its run on the worker that finished it: the 2 s before the first one died too."""
    deaths = tmp_path / "deaths"
    configs = {
        "yaml": f"""
            name: deaths
            executor: {{type: dask, workers: 1}}
            results: {{root: out}}
            steps:
              once: {{run: oncesteps.once, inputs: {{deaths: "{deaths}"}}}}
            """,
        "toml": f"""
            name = "deaths"
            executor = {{type = "dask", workers = 1}}
            results = {{root = "out"}}
            [steps.once]
            run = "oncesteps.once"
            inputs = {{deaths = "{deaths}"}}
            """,
    }
    config = make_project(configs[kind], name=f"pipeline.{kind}", oncesteps=ONCE)
    result = _run(config, allowed=3)
    assert result.returncode == 0, result.stdout + result.stderr
    said = DONE_IN.search(result.stdout)
    assert said is not None, result.stdout
    assert float(said.group(1)) >= 2.0, result.stdout
    deaths.unlink()
    run = pipeflow.load(config).run(force=True)
    assert run.ok, run.outcomes["once"].error
    assert run.outcomes["once"].duration >= 2.0


FAN_STEPS = """
import os


def die_on_b(letter, deaths):
    if letter == "b":
        with open(deaths, "a") as told:
            told.write("x\\n")
        os._exit(7)
    return letter
"""


def test_a_death_under_a_foreach_item_names_the_item(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """Before, the warning named the step alone: of a `foreach` of 500 items, which one
    killed its worker (the one to look at, or to leave out) was not said."""
    config = make_project(
        """
        name: deaths
        executor: {type: dask, workers: 1}
        results: {root: out}
        steps:
          fan:
            run: deathsteps.die_on_b
            foreach: [a, b, c]
            as: letter
            inputs: {deaths: DEATHS}
        """.replace("DEATHS", str(tmp_path / "deaths")),
        deathsteps=FAN_STEPS,
    )
    result = _run(config, allowed=1)
    assert result.returncode == 1, result.stdout + result.stderr
    said = _said(result)
    assert len(said) == 2, result.stderr
    for line in said:
        assert "the Dask worker running `fan` item 2 (tcp://" in line, line
