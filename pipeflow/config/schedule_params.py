"""A config's schedules' params: each schedule's `params` as a source of overrides (kept at its
index, where its problems are reported), and the schedule `pipeflow serve` asks for by number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.config.params import ParamSource
from pipeflow.config.reader import Document
from pipeflow.errors import Problem


def schedule_sources(document: Document) -> list[ParamSource]:
    """Each schedule's `params` (read from the document, so each keeps its index)."""
    raw = document.data.get("schedules") if isinstance(document.data, Mapping) else None
    if not isinstance(raw, list):
        return []
    return [
        ParamSource(
            values=_params_of(item),
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
        hint="it may have changed since `pipeflow serve` started: restart `pipeflow serve`",
    )
