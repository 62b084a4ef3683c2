"""A step may be an `async def` function (as Prefect's tasks may): its coroutine is run to its
end, on every executor, within its timeout, with its retries, and from inside a running event
loop (a notebook's). A step may be a generator function: its value is the list it yields. A
plain function that returns a coroutine or a generator has it run too. Before, the coroutine
was never awaited and a stored generator failed to pickle ("the pickle format could not hold
this coroutine"), and an unstored generator was read whole by its first reader only."""

from __future__ import annotations

import asyncio
import textwrap
import time
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
import asyncio
from pathlib import Path


async def fetch(x: int) -> int:
    await asyncio.sleep(0.01)
    return x + 1


async def combine(a: int, b: int) -> dict:
    await asyncio.sleep(0)
    return {"total": a + b, "loop": type(asyncio.get_running_loop()).__name__}


def deferred(x: int):
    return fetch(x * 10)  # a plain function that returns a coroutine


async def flaky(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text("tried")
        raise RuntimeError("the first attempt fails")
    return "second attempt"


async def slow(seconds: float, marker: str) -> str:
    try:
        await asyncio.sleep(seconds)
    finally:
        with open(marker, "a") as file:
            file.write("cleaned up\\n")
    return "late"


def slow_later(seconds: float, marker: str):
    return slow(seconds, marker)  # a plain function that returns a coroutine


def slow_items(seconds: float, marker: str):
    return _ticks(seconds, marker)  # a plain function that returns a generator


def _ticks(seconds: float, marker: str):
    import time

    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.02)
            yield 1
    finally:
        with open(marker, "a") as file:
            file.write("cleaned up\\n")


class Client:
    async def __call__(self, x: int) -> int:
        return x * 3


client = Client()
"""

CONFIG = """
name: async_steps
executor: {{type: {executor}}}
steps:
  a: {{run: asyncsteps.fetch, inputs: {{x: 1}}}}
  b: {{run: asyncsteps.fetch, inputs: {{x: "${{steps.a}}"}}}}
  both: {{run: asyncsteps.combine, inputs: {{a: "${{steps.a}}", b: "${{steps.b}}"}}}}
  later: {{run: asyncsteps.deferred, inputs: {{x: 2}}}}
  called: {{run: asyncsteps.client, inputs: {{x: 4}}}}
  again: {{run: asyncsteps.flaky, inputs: {{marker: "{marker}"}}, retries: 1}}
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_async_steps_run_to_their_end_on_every_executor(
    make_project: ProjectFactory, tmp_path: Path, executor: str
) -> None:
    config = make_project(
        CONFIG.format(executor=executor, marker=(tmp_path / "marker").as_posix()),
        asyncsteps=STEPS,
    )
    run = pipeflow.load(config).run()  # a coroutine never awaited warns: an error here
    assert run.ok, {name: outcome.error for name, outcome in run.outcomes.items()}
    assert run.output("a") == 2
    assert run.output("b") == 3
    assert run.output("both")["total"] == 5
    assert run.output("later") == 21
    assert run.output("called") == 12
    assert run.output("again") == "second attempt"
    assert run.outcomes["again"].attempts == 2
    # Stored as values, read back as values: cached on the next run.
    again = pipeflow.load(config).run()
    cached = {name for name, outcome in again.outcomes.items() if outcome.state.value == "cached"}
    assert cached == {"a", "b", "both", "later", "called"}  # `again` reads the marker it wrote
    assert again.output("both")["total"] == 5


@pytest.mark.parametrize("executor", ["sequential", "processes"])
@pytest.mark.parametrize("function", ["slow", "slow_later", "slow_items"])
def test_an_async_step_is_stopped_at_its_timeout(
    make_project: ProjectFactory, tmp_path: Path, executor: str, function: str
) -> None:
    """Stopped, not waited for: the retry starts (a call that cannot be stopped is not
    retried), and the coroutine is cancelled, so its `finally` runs. The same for a plain
    function that returns a coroutine or a generator: what it returns runs within the
    timeout too, not after it."""
    marker = tmp_path / "cleanups.txt"
    config = make_project(
        f"""
        name: async_timeout
        executor: {{type: {executor}}}
        steps:
          slow:
            run: asyncsteps.{function}
            inputs: {{seconds: 60, marker: "{marker.as_posix()}"}}
            timeout: 0.5s
            retries: 1
            retry_delay: 0.1s
        """,
        asyncsteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert not run.ok
    outcome = run.outcomes["slow"]
    assert "did not finish within its timeout of 0.50s" in (outcome.error or ""), outcome.error
    assert outcome.attempts == 2  # the first attempt was stopped: the retry could start
    assert outcome.duration < 30
    # Where the step was when it was stopped: for a coroutine, the line it awaited, in its
    # own frames (a suspended coroutine is on no thread's stack). Neither the event loop's
    # frames nor pipeflow's: where the loop waited says nothing.
    shown = outcome.traceback or ""
    waited = "time.sleep(0.02)" if function == "slow_items" else "await asyncio.sleep(seconds)"
    assert waited in shown, shown
    assert shown.count('File "') == 1, shown  # what `slow_later` returned runs after it
    assert "/asyncio/" not in shown, shown
    assert "selectors.py" not in shown, shown
    assert "pipeflow/execute" not in shown, shown
    deadline = time.monotonic() + 10
    while _cleanups(marker) < 2:
        assert time.monotonic() < deadline, "the cancelled coroutines' `finally` did not run"
        time.sleep(0.05)


def _cleanups(marker: Path) -> int:
    return marker.read_text().count("cleaned up") if marker.exists() else 0


def test_an_async_step_runs_from_inside_a_running_event_loop(
    make_project: ProjectFactory,
) -> None:
    """A notebook runs its cells inside an event loop: the step gets a loop of its own."""
    config = make_project(
        """
        name: async_in_loop
        steps:
          a: {run: asyncsteps.fetch, inputs: {x: 1}}
          both: {run: asyncsteps.combine, inputs: {a: "${steps.a}", b: 1}}
        """,
        asyncsteps=STEPS,
    )

    async def cell() -> pipeflow.api.Run:
        return pipeflow.load(config).run(no_cache=True)

    run = asyncio.run(cell())
    assert run.ok, {name: outcome.error for name, outcome in run.outcomes.items()}
    assert run.output("both")["total"] == 3


def test_an_async_step_s_code_counts_in_its_key(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: async_key
        steps:
          a: {run: asyncsteps.fetch, inputs: {x: 1}}
        """,
        asyncsteps=STEPS,
    )
    assert pipeflow.load(config).run().output("a") == 2
    module = config.parent / "asyncsteps.py"
    module.write_text(textwrap.dedent(STEPS).replace("return x + 1", "return x + 2"))
    (decision,) = pipeflow.load(config).status()
    assert decision.reason == "code of asyncsteps.py changed (`fetch`)"
    assert pipeflow.load(config).run().output("a") == 3


GENERATORS = """
import asyncio


def numbers(n: int):
    for i in range(n):
        yield i * i


async def later_numbers(n: int):
    for i in range(n):
        await asyncio.sleep(0)
        yield i + 100


def squares(n: int):
    return (i * i for i in range(n))  # a plain function that returns a generator


def total(values: list) -> int:
    return sum(values)


def count(values: list) -> int:
    return len(values)


def double(x: int) -> int:
    return 2 * x
"""


@pytest.mark.parametrize("persist", [True, False])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_generator_step_s_value_is_the_list_it_yields(
    make_project: ProjectFactory, executor: str, persist: bool
) -> None:
    """Every reader gets the whole list (a generator would be read by its first reader only,
    and no store could hold it), stored or not, and a `foreach` can go over it."""
    config = make_project(
        f"""
        name: generators
        results: {{persist: {str(persist).lower()}}}
        executor: {{type: {executor}}}
        steps:
          numbers: {{run: gensteps.numbers, inputs: {{n: 4}}}}
          total: {{run: gensteps.total, inputs: {{values: "${{steps.numbers}}"}}}}
          count: {{run: gensteps.count, inputs: {{values: "${{steps.numbers}}"}}}}
          doubled: {{run: gensteps.double, foreach: "${{steps.numbers}}", as: x}}
          later: {{run: gensteps.later_numbers, inputs: {{n: 2}}}}
          squares: {{run: gensteps.squares, inputs: {{n: 3}}}}
        """,
        gensteps=GENERATORS,
    )
    run = pipeflow.load(config).run()
    assert run.ok, {name: outcome.error for name, outcome in run.outcomes.items()}
    assert run.output("numbers") == [0, 1, 4, 9]
    assert run.output("total") == 14
    assert run.output("count") == 4
    assert run.output("doubled") == [0, 2, 8, 18]
    assert run.output("later") == [100, 101]
    assert run.output("squares") == [0, 1, 4]
    if persist:
        again = pipeflow.load(config).run()
        assert {outcome.state.value for outcome in again.outcomes.values()} == {"cached"}
        assert again.output("numbers") == [0, 1, 4, 9]
