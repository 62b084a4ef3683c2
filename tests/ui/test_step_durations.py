"""A step that did not run (cached, skipped, not run, a run that could not start) has no
duration: the run page's table and `/api/runs/ID` show `-` for it, as its graph node and
`pipeflow runs show` do, never a measured-looking `0ms`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import PipeflowError
from tests.conftest import ProjectFactory
from tests.servers import closed_port
from tests.ui.conftest import ClientFactory

STEPS = """
import time


def make() -> int:
    time.sleep(0.01)
    return 1


def boom(value: int, flag: bool) -> int:
    raise ValueError(f"bad {value}")


def after(value: int) -> int:
    return value


def never(value: int) -> int:
    return value
"""

CONFIG = """
name: timed
params: {{flag: false, bump: 0}}
{executor}
steps:
  make: {{run: timedsteps.make}}
  skipped:
    run: timedsteps.never
    when: "${{params.flag}}"
    inputs: {{value: "${{steps.make}}"}}
  boom:
    run: timedsteps.boom
    inputs: {{value: "${{steps.make}}", flag: "${{params.flag}}"}}
  after:
    run: timedsteps.after
    inputs: {{value: "${{steps.boom}}"}}
"""


def step_durations(page: str) -> dict[str, str]:
    """Each step row's duration cell, by step, from the run page's table."""
    rows = re.findall(
        r'<tr class="step-row[^"]*" data-step="([^"]+)".*?data-role="duration">([^<]*)</td>',
        page,
        flags=re.DOTALL,
    )
    return dict(rows)


def shown(make_client: ClientFactory, config: Path, run_id: str) -> tuple[dict, dict]:
    client = make_client({"timed": config})
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    api = client.get(f"/api/runs/{run_id}")
    assert api.status_code == 200
    table = step_durations(page.text)
    polled = {step["step"]: step["duration"] for step in api.json()["steps"]}
    return table, polled


def test_steps_that_did_not_run_show_no_duration(
    make_project: ProjectFactory, make_client: ClientFactory
) -> None:
    config = make_project(CONFIG.format(executor=""), timedsteps=STEPS)
    pipeline = pipeflow.load(config)
    first = pipeline.run()
    second = pipeline.run()  # `make` is cached now
    for run, made in ((first, "done"), (second, "cached")):
        assert not run.ok
        table, polled = shown(make_client, config, run.id)
        assert table == polled, (table, polled)
        states = {name: run.state(name).value for name in table}
        assert states == {"make": made, "skipped": "skipped", "boom": "failed", "after": "not run"}
        for name, state in states.items():
            if state in ("done", "failed"):
                assert re.fullmatch(r"\d+ms|\d+\.\ds", table[name]), (name, table[name])
            else:
                assert table[name] == "-", (name, state, table[name])


def test_a_run_that_could_not_start_shows_no_durations(
    make_project: ProjectFactory, make_client: ClientFactory
) -> None:
    executor = f"executor: {{type: dask, address: 'tcp://127.0.0.1:{closed_port()}'}}\n"
    executor += "results: {persist: false}"
    config = make_project(CONFIG.format(executor=executor), timedsteps=STEPS)
    with pytest.raises(PipeflowError, match="no Dask scheduler answers"):
        pipeflow.load(config).run()
    from pipeflow.history import open_history

    with open_history(config.parent) as history:
        [run] = history.runs(pipeline="timed")
    table, polled = shown(make_client, config, run.id)
    assert table == polled == {"make": "-", "skipped": "-", "boom": "-", "after": "-"}
