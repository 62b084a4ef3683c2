"""Steps whose call gives a coroutine or a generator: run to their end where the step runs.

Calling an `async def` step gives a coroutine, which nothing would run; calling a generator
function gives a generator, which no store can hold and which only its first reader could
read. A step is called through `synchronous`, which gives its value instead:

- a coroutine's result, run with `asyncio.run` on the step's own thread (so its timeout and
  retries hold as for any step); where that thread already runs an event loop (a notebook's
  cell calling `pipe.run()` on the sequential executor), on a loop and a thread of its own;
- the list of what a generator yields (an async generator's too), in order.

A plain function that returns a coroutine or a generator has it run the same way, within the
same call: a step's timeout counts what it returns as well as its call.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

_WAKE = 0.1  # seconds


def synchronous(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, wrapped so that a call gives the step's value: what a coroutine or a
    generator that it returns comes to, or else what it returns."""

    def run_to_its_end(**inputs: Any) -> Any:
        return finished(function(**inputs))

    return run_to_its_end


def finished(value: Any) -> Any:
    """A coroutine's result, or the list a generator yields; any other value as it is."""
    if inspect.isgenerator(value):
        return list(value)
    if inspect.iscoroutine(value):
        return _run(value)
    if inspect.isasyncgen(value):
        return _run(_collected(value))
    return value


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    import asyncio  # only for async steps: not on every run's path

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_awake(coroutine))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="pipeflow-async-step") as pool:
        return pool.submit(asyncio.run, _awake(coroutine)).result()


async def _collected(generator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in generator]


async def _awake(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """The coroutine's result, with the loop's thread awake at least every `_WAKE` seconds.

    A step is stopped at its timeout by an exception raised in its thread
    (`timeouts.py`), which Python raises only when that thread runs Python code: an event
    loop waiting for a timer or a socket runs none until they are due. Each wake-up gives the
    stop a place to land, and it ends the loop; `asyncio.run` then cancels the step's task,
    whose `finally` blocks run."""
    import asyncio

    task = asyncio.ensure_future(coroutine)
    while True:
        done, _ = await asyncio.wait({task}, timeout=_WAKE)
        if done:
            return task.result()
