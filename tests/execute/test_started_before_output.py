"""A step is said started before anything it prints or logs, and before the notice of its
retry, on every executor: the console's lines, the JSON lines and the history read "s1:
started", then "s1 | ...". Before, on the threads executor a step that printed at once could
show its lines before its start ("s1 | hello" then "s1: started"), and one that failed at
once its "attempt 1 failed; retrying": the worker ran it as it was handed over, before the
run's thread announced it, and a step a worker took from the queue did the same."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.events import Event, StepFinished, StepOutput, StepRetrying, StepStarted
from tests.conftest import ProjectFactory
from tests.executors import EXECUTORS, executor_spec

STEPS = """
import logging
import sys


def fail(i):
    print("failing", i)
    raise ValueError(i)


def speak(i):
    print("hello from", i)
    print("to stderr", i, file=sys.stderr)
    logging.getLogger("speaker").warning("logged %s", i)
    return i
"""

COUNT = 12


def config(executor: str, request: pytest.FixtureRequest) -> str:
    steps = "\n".join(f"  s{i}: {{run: speaker.speak, inputs: {{i: {i}}}}}" for i in range(COUNT))
    spec = executor_spec(executor, request).rstrip("}") + ", workers: 2}"
    if executor == "dask":
        spec = executor_spec(executor, request)
    return f"name: speak\nexecutor: {spec}\nresults: {{root: out}}\nsteps:\n{steps}\n"


def out_of_order(events: list[Event]) -> list[str]:
    """Each step's events that come before its start or after its end."""
    started: set[str] = set()
    finished: set[str] = set()
    wrong = []
    for event in events:
        if isinstance(event, StepStarted):
            started.add(event.step)
        elif isinstance(event, StepOutput | StepRetrying):
            if event.step not in started or event.step in finished:
                wrong.append(f"{event.step}: {event}")
        elif isinstance(event, StepFinished):
            finished.add(event.outcome.step)
    return wrong


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_step_is_said_started_before_what_it_prints(
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    executor: str,
    tmp_path: Path,
) -> None:
    path = make_project(config(executor, request), speaker=STEPS)
    for _ in range(3):  # the race, when there is one, is lost most times: try a few runs
        events: list[Event] = []
        run = pipeflow.load(path).run(force=True, subscribers=[events.append])
        assert run.ok
        said = [event for event in events if isinstance(event, StepOutput)]
        assert len(said) == 3 * COUNT, said
        assert sum(isinstance(event, StepStarted) for event in events) == COUNT
        assert out_of_order(events) == []


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_step_is_said_started_before_its_retry(
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    executor: str,
) -> None:
    text = (
        config(executor, request)
        .replace("speaker.speak", "speaker.fail")
        .replace("}}", "}, retries: 1, retry_delay: 0s}")
    )
    path = make_project(text, speaker=STEPS)
    for _ in range(3):
        events: list[Event] = []
        run = pipeflow.load(path).run(keep_going=True, subscribers=[events.append])
        assert not run.ok
        assert sum(isinstance(event, StepRetrying) for event in events) == COUNT
        assert sum(isinstance(event, StepStarted) for event in events) == COUNT
        assert out_of_order(events) == []
