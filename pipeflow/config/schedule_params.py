"""A config's schedules' params: each schedule's `params` as a source of overrides (kept at its
index, where its problems are reported), the schedule `pipeflow serve` asks for by number, and
what a schedule's params break in the sub-pipelines they flow into."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeflow.config.build import Builder
from pipeflow.config.params import ParamSource
from pipeflow.config.reader import Document, read_document
from pipeflow.config.written import literal
from pipeflow.errors import ConfigError, Problem


def schedule_sources(document: Document) -> list[ParamSource]:
    """Each schedule's `params` (read from the document, so each keeps its index)."""
    raw = document.data.get("schedules") if isinstance(document.data, Mapping) else None
    if not isinstance(raw, list):
        return []
    return [
        ParamSource(
            values=literal(_params_of(item)),  # `${...}` is refused at `schedules`
            label=f"schedule {index + 1}",
            document=document,
            at=("schedules", index, "params"),
            unknown_hint="declare it under `params:` in the config",
        )
        for index, item in enumerate(raw)
    ]


def _params_of(schedule: Any) -> Mapping[str, Any]:
    params = schedule.get("params") if isinstance(schedule, Mapping) else None
    return params if isinstance(params, Mapping) else {}  # the schema check words the rest


def no_such_schedule(document: Document, number: int, count: int) -> Problem:
    has = f"it has {count}" if count else "it has none"
    return Problem(
        message=f"the config has no schedule {number} ({has})",
        file=document.file,
        hint=(
            f"`pipeflow schedule {os.path.basename(document.file)}` lists them, numbered from 1 "
            "(if `pipeflow serve` fired it, the config changed since serve started: restart it)"
        ),
    )


def fired_schedule(config: str | Path, number: int, key: str) -> int:
    """The number (from 1) of the config's schedule that `pipeflow serve` fired: the one whose
    `schedule_key` is `key`, as serve read the config when it started, and numbered `number`
    then; the config may have changed since (a schedule removed, or the list reordered), so a
    run takes the params of the schedule that fired, never of another one that took its place.
    ConfigError when the config no longer has that schedule; `number` itself when the config
    cannot be read (loading it says why)."""
    from pipeflow.schedule.triggers import describe, keyed_schedule, schedule_key

    document = read_document(config)
    raw = document.data.get("schedules") if isinstance(document.data, Mapping) else None
    if document.problems or not isinstance(raw, list):
        return number
    keys = [schedule_key(schedule) for schedule in Builder(document).schedules(raw)]
    if len(keys) != len(raw):  # a schedule that is no mapping: loading says so
        return number
    if number <= len(keys) and keys[number - 1] == key:
        return number
    if key in keys:
        return keys.index(key) + 1
    fired = keyed_schedule(key)
    what = f"`{describe(fired)}`" if fired is not None else key
    raise ConfigError(
        [
            document.problem(
                ["schedules"],
                f"the schedule `pipeflow serve` fires as schedule {number} ({what}) is no "
                "longer in the config: its schedules changed since serve started",
                hint="restart `pipeflow serve` to serve the schedules the config has now",
            )
        ]
    )


def through_children(
    document: Document,
    scheduled: Sequence[ParamSource],
    merged_with: Callable[[ParamSource], tuple[Mapping[str, Any], list[Problem]]],
    expand_with: Callable[[Mapping[str, Any]], list[Problem]],
    already: Sequence[Problem],
) -> list[Problem]:
    """What each schedule's params break in the sub-pipelines they flow into, as its runs get
    them, at the schedule: `expand_with` expands the sub-pipelines the way a run does, for a
    schedule's params merged over the defaults (`merged_with`; a schedule whose own params
    have problems, reported already, is skipped). A problem the config's params alone cause
    (`already`) is not said again."""
    seen = {_place(problem) for problem in already}
    found: list[Problem] = []
    for number, source in enumerate(scheduled, start=1):
        if not source.values:
            continue
        params, own = merged_with(source)
        if own:
            continue
        for problem in expand_with(params):
            if _place(problem) in seen:
                continue
            found.append(
                document.problem(
                    _at(source, problem),
                    f"a run of schedule {number} would be refused: {problem.message} "
                    f"(at {_where(problem)})",
                    hint=problem.hint,
                )
            )
    return found


def _place(problem: Problem) -> tuple[Any, ...]:
    return (problem.file, problem.line, problem.column, problem.message)


def _where(problem: Problem) -> str:
    line = f":{problem.line}" if problem.line is not None else ""
    path = f" `{problem.path}`" if problem.path else ""
    return f"{os.path.basename(problem.file or '')}{line}{path}".strip()


def _at(source: ParamSource, problem: Problem) -> list[str | int]:
    """The schedule's param that feeds the problem's value: the one a `${params.NAME}` in the
    sub-pipeline step's `params:` names (`steps.c.params.k: ${params.p}` -> `p`), when the
    schedule sets it; the one it sets, if it sets one (the defaults cause no such problem);
    else the schedule's `params`."""
    at: list[str | int] = list(source.at)
    if len(source.values) == 1:
        return [*at, next(iter(source.values))]
    document = source.document
    parts = problem.path.split(".")
    if document is None or problem.file != document.file or parts[:1] != ["steps"]:
        return at
    node: Any = document.data
    for part in parts:
        node = node.get(part) if isinstance(node, Mapping) else None
    for name in re.findall(r"\$\{\s*params\.([A-Za-z_][\w-]*)", str(node or "")):
        if name in source.values:
            return [*at, name]
    return at
