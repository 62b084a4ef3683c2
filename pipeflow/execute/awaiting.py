"""Steps written as `async def`: their coroutine is run to its end where the step runs.

A coroutine function called as a step returns a coroutine, which nothing would run: the step
is called through `synchronous`, which runs it with `asyncio.run` on the step's own thread (so
its timeout and retries hold as for any step). Where that thread already runs an event loop (a
notebook's cell calling `pipe.run()` on the sequential executor), the coroutine gets a loop of
its own on a thread of its own. A plain function that returns a coroutine has it run by
`finished` after the call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

_WAKE = 0.1  # seconds


def is_async(function: Callable[..., Any]) -> bool:
    """Whether calling `function` gives a coroutine: an `async def`, or an object whose
    `__call__` is one."""
    if inspect.iscoroutinefunction(function):
        return True
    return not inspect.isroutine(function) and inspect.iscoroutinefunction(type(function).__call__)


def synchronous(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as it is, or for a coroutine function, one that runs its coroutine."""
    if not is_async(function):
        return function

    def run_to_its_end(**inputs: Any) -> Any:
        return finished(function(**inputs))

    return run_to_its_end


def finished(value: Any) -> Any:
    """A coroutine's result, once it has run to its end; any other value as it is."""
    if not inspect.iscoroutine(value):
        return value
    import asyncio  # only for async steps: not on every run's path

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_awake(value))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="pipeflow-async-step") as pool:
        return pool.submit(asyncio.run, _awake(value)).result()


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
