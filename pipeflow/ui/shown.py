"""How the UI's pages show values: the templates' filters (durations, times, states as class
names) and what a page may print (text UTF-8 cannot encode, escaped)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePath
from typing import Any

from markupsafe import Markup

from pipeflow.model.durations import format_duration
from pipeflow.model.escaping import printable


def state_class(state: str) -> str:
    """A state as a class name, as the graph spells it: `not run` -> `not-run`."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", state.strip()) or "unknown"


def sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def page_text(value: Any) -> Any:
    """What a page shows, with what UTF-8 cannot encode escaped (a config path's surrogate)."""
    if isinstance(value, PurePath):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = printable(value)
    return value if text is value else Markup(text) if isinstance(value, Markup) else text


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return format_duration(round(seconds, 1)) if seconds >= 60 else f"{seconds:.1f}s"


# The states a step ends in without running: the history may hold 0 for them, yet no time was
# measured, so a page shows `-` as `pipeflow runs show` and the step's graph node do.
UNTIMED = frozenset({"cached", "skipped", "pending", "not run"})


def step_duration(seconds: float | None, state: str) -> str:
    """A step's duration as its row and `/api/runs/ID` show it."""
    return "-" if state in UNTIMED else duration(seconds)


def when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"
