"""The options of a run, as the Python API takes them: the CLI's options as natural keywords.

`pipe.run(force=True)`, `force="train"`, `force=["train", "test"]`, `only="train"`: each option
takes what a Python user would write for it, and every value is normalised here, in one place,
to what the planner and the engine use. Nonsense (`only=3`, `keep_going="yes"`) is a TypeError
that names the option and what it takes.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from pipeflow.model.run import ALL

Function = TypeVar("Function", bound=Callable[..., Any])


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if len(repr(value)) <= 40 else type(value).__name__


def step_names(value: Any, option: str, *, what: str = "step") -> tuple[str, ...]:
    """A step name (or, `what="tag"`, a tag), or an iterable of them (None: none)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        names = tuple(value)
        if all(isinstance(name, str) for name in names):
            return names
    raise TypeError(f"`{option}` takes a {what} name or a list of {what} names, got {_kind(value)}")


def forced(value: Any) -> tuple[str, ...]:
    """`force`: True (every step), False or None (none), a step name or a list of them."""
    if value is True:
        return (ALL,)
    if value is False:
        return ()
    try:
        return step_names(value, "force")
    except TypeError:
        raise TypeError(
            "`force` takes True (every step), a step name or a list of step names, got "
            + _kind(value)
        ) from None


def one_step(value: Any, option: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"`{option}` takes one step name, got {_kind(value)}")


def choice(value: Any, option: str, choices: Iterable[str]) -> str:
    """One of `choices` (`trigger`: what started the run)."""
    allowed = ", ".join(choices)
    if not isinstance(value, str):
        raise TypeError(f"`{option}` takes one of {allowed}, got {_kind(value)}")
    if value not in choices:
        raise ValueError(f"`{option}` takes one of {allowed}, got {value!r}")
    return value


def mapping(value: Any, option: str) -> Mapping[str, Any] | None:
    """Params given in Python: a mapping of names to values, or None."""
    if value is None or isinstance(value, Mapping):
        return value
    raise TypeError(f"`{option}` takes a mapping of param names to values, got {_kind(value)}")


def flag(value: Any, option: str) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"`{option}` takes True or False, got {_kind(value)}")


def text(value: Any, option: str) -> str | None:
    """A string, or a path (made a string); None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        path: str = os.fspath(value)
        return path
    raise TypeError(f"`{option}` takes a string, got {_kind(value)}")


def count(value: Any, option: str) -> int | None:
    """A whole number of at least 1, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`{option}` takes a whole number, got {_kind(value)}")
    if value < 1:
        raise ValueError(f"`{option}` must be at least 1, got {value}")
    return value


def path(value: Any, option: str) -> str | Path:
    """The path of one file: text, or a path object (as a `pathlib.Path`)."""
    if isinstance(value, str | Path):
        return value
    if isinstance(value, os.PathLike) and isinstance(os.fspath(value), str):
        return Path(value)
    raise TypeError(
        f"`{option}` takes the path of a config file (text or a pathlib.Path), got {_kind(value)}"
    )


def paths(value: Any, option: str) -> list[str | os.PathLike[str]]:
    """A path, or an iterable of paths."""
    if value is None:
        return []
    items = [value] if isinstance(value, str | os.PathLike) else None
    if items is None and isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        items = list(value)
    if items is None or not all(isinstance(item, str | os.PathLike) for item in items):
        raise TypeError(f"`{option}` takes a path or a list of paths, got {_kind(value)}")
    if any(isinstance(item, str) and not item.strip() for item in items):  # not the cwd
        raise ValueError(f"`{option}` takes paths of files, got an empty one")
    return items


def assignments(value: Any, option: str) -> list[str]:
    """`KEY=VALUE` text, or an iterable of them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        items = list(value)
        if all(isinstance(item, str) for item in items):
            return items
    raise TypeError(
        f"`{option}` takes `KEY=VALUE` text or a list of them, got {_kind(value)}; "
        "pass a mapping as `params=`"
    )


def callables(value: Any, option: str) -> tuple[Any, ...]:
    """A callable, or an iterable of them (None: none)."""
    if value is None:
        return ()
    if callable(value):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | dict):
        items = tuple(value)
        wrong = [item for item in items if not callable(item)]
        if not wrong:
            return items
        raise TypeError(f"`{option}` takes callables, got {_kind(wrong[0])} among them")
    raise TypeError(f"`{option}` takes a callable or a list of callables, got {_kind(value)}")


def unknown(method: str, given: Iterable[str], known: Iterable[str]) -> None:
    """A TypeError naming the method and the first keyword it does not take, the keyword
    meant where one is (`from_` is `start`, the CLI's `--from`), and those it takes."""
    known = sorted(known)
    wrong = sorted(set(given) - set(known))
    if wrong:
        takes = ", ".join(f"`{name}`" for name in known)
        advice = _meant(wrong[0], known)
        if advice is None:
            raise TypeError(f"{method} has no option `{wrong[0]}`; it takes {takes}")
        stop = "" if advice.endswith("?") else "."
        raise TypeError(f"{method} has no option `{wrong[0]}`; {advice}{stop} It takes {takes}")


# Keywords as the CLI's options or other tools say them, and what to write instead.
_ELSEWHERE = {
    "dry_run": "`Pipeline.plan()` says what a run would do (`--dry-run`)",
    "allow_extra_params": "give it to `pipeflow.load()`, which reads the params",
    "schedule": "give it to `pipeflow.load()`, which reads the params",
    **dict.fromkeys(
        ("verbose", "quiet", "log_format"),
        "`run()` prints nothing: its events go to the callables of `subscribers=`",
    ),
}


def _meant(keyword: str, known: list[str]) -> str | None:
    if keyword.rstrip("_") == "from" and "start" in known:
        return "did you mean `start` (`--from`)?"
    if keyword in _ELSEWHERE and keyword not in known:
        return _ELSEWHERE[keyword]
    from pipeflow.errors import did_you_mean  # a mistake's path: kept off the import of runs

    close = did_you_mean(keyword, known)
    if close is None and "params" in known:  # `run(test_data_ratio=0.3)`: a param
        return f"a param goes in the mapping `params`: `params={{{keyword!r}: ...}}`"
    return close


def keywords_checked(name: str) -> Callable[[Function], Function]:
    """The keywords `name` (a function or method) takes, checked before it is called: one it
    does not take is `unknown`'s TypeError rather than Python's "unexpected keyword"."""

    def decorate(function: Function) -> Function:
        parameters = inspect.signature(function).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            return function  # it checks its `**options` itself
        takes = [p.name for p in parameters if p.kind in _BY_NAME and p.name != "self"]

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            for keyword in kwargs:
                if keyword not in takes:
                    unknown(name, kwargs, takes)
            return function(*args, **kwargs)

        return cast(Function, checked)

    return decorate


_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def selection(
    *,
    force: Any = (),
    no_cache: Any = False,
    only: Any = (),
    start: Any = None,
    until: Any = None,
    tags: Any = (),
    results: Any = None,
) -> dict[str, Any]:
    """The options that choose what runs, normalised (shared by run, plan, status, ...)."""
    return {
        "force": forced(force),
        "no_cache": flag(no_cache, "no_cache"),
        "only": step_names(only, "only"),
        "start": one_step(start, "start"),
        "until": one_step(until, "until"),
        "tags": step_names(tags, "tags", what="tag"),
        "results": text(results, "results"),
    }


def frozen_alone(frozen: bool, *, force: Any, no_cache: Any) -> None:
    """`frozen` with `force` or `no_cache` refused, as `run --frozen --force` is."""
    if frozen and (force or no_cache):
        which = "force" if force else "no_cache"
        raise ValueError(
            f"`frozen=True` fails on any step that would run, and `{which}` makes steps run "
            "whatever is stored: they cannot go together"
        )
