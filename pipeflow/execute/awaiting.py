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
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from types import FrameType
from typing import Any

_WAKE = 0.1  # seconds
_AWAITED_LIMIT = 200  # frames followed down a chain of awaits

# thread id -> the coroutine or async generator that thread runs to its end
_RUNNING: dict[int, Any] = {}


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
        return _run(value, value)
    if inspect.isasyncgen(value):
        return _run(_collected(value), value)
    return value


def suspended_in(ident: int | None) -> list[tuple[FrameType, int]]:
    """Where the coroutine (or async generator) that thread `ident` runs to its end waits:
    its frame and those of the coroutines it awaits, outermost first, each with its line.
    A suspended coroutine is on no thread's stack, so a step stopped at its timeout would
    otherwise show only the event loop's frames. Empty when the thread runs none."""
    found: list[tuple[FrameType, int]] = []
    awaited = _RUNNING.get(ident) if ident is not None else None
    while awaited is not None and len(found) < _AWAITED_LIMIT:
        if hasattr(awaited, "get_coro"):  # an asyncio Task: where its coroutine is
            awaited = awaited.get_coro()
        frame = _first(awaited, "cr_frame", "ag_frame", "gi_frame")
        if frame is None:  # finished, or a future: nothing of the step's own below
            break
        found.append((frame, frame.f_lineno))
        awaited = _first(awaited, "cr_await", "ag_await", "gi_yieldfrom")
    return found


def _first(value: Any, *names: str) -> Any:
    for name in names:
        found = getattr(value, name, None)
        if found is not None:
            return found
    return None


def _run(coroutine: Coroutine[Any, Any, Any], shown: Any) -> Any:
    """`coroutine`'s result; `shown` (the step's coroutine or async generator) is where
    `suspended_in` looks while it runs."""
    import asyncio  # only for async steps: not on every run's path

    ident = threading.get_ident()  # the step's thread, which a timeout stops
    _RUNNING[ident] = shown
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_awake(coroutine))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="pipeflow-async-step") as pool:
            return pool.submit(asyncio.run, _awake(coroutine)).result()
    finally:
        _RUNNING.pop(ident, None)


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
