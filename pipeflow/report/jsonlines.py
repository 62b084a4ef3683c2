"""`--log-format json`: one JSON object per event, for machines."""

from __future__ import annotations

import sys
from dataclasses import asdict, is_dataclass
from enum import Enum
from typing import Any, TextIO

from pipeflow.model import jsontext
from pipeflow.model.events import Event, StepFinished
from pipeflow.model.plain import json_value
from pipeflow.storage.journal import settle


class JsonLinesReporter:
    """Writes each event as a JSON line: `{"event": "StepFinished", ...}`."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    settles_results = True  # see `pipeflow.api.running`

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            settle()  # a step shown finished has its result written (`journal.py`)
        document = {"event": type(event).__name__, **_plain(event)}
        self.stream.write(jsontext.dumps(document, default=_default) + "\n")
        self.stream.flush()


def _plain(value: Any) -> dict[str, Any]:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else {}


def _default(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    return json_value(value)  # a date as ISO text, bytes as base64, as every channel shows them
