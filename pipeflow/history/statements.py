"""The rows the history's recorder writes: its SQL statements, the marker stored in place of
output past the limit, what one step wrote to one stream, and params in their stored form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.model import jsontext
from pipeflow.model.plain import json_value
from pipeflow.records import record

INSERT_LOG = "INSERT INTO logs (run_id, step, stream, line, time, text) VALUES (?, ?, ?, ?, ?, ?)"
INSERT_ATTEMPT = "INSERT INTO attempts (run_id, step, attempt, error, time) VALUES (?, ?, ?, ?, ?)"
UPSERT_STEP = """
    INSERT INTO steps (run_id, step, position, state, reason, attempts, duration, cached, error,
                       traceback, locations, ran_because)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, step) DO UPDATE SET
        state = excluded.state, reason = excluded.reason, attempts = excluded.attempts,
        duration = excluded.duration, cached = excluded.cached, error = excluded.error,
        traceback = excluded.traceback, locations = excluded.locations,
        ran_because = excluded.ran_because
"""
# The reason a step started with replaces the plan's ("`load` runs first"); a retry keeps it.
STEP_RUNNING = """
    INSERT INTO steps (run_id, step, position, state, attempts, reason, ran_because)
    VALUES (?, ?, ?, 'running', ?, ?, ?)
    ON CONFLICT (run_id, step) DO UPDATE SET state = 'running', attempts = excluded.attempts,
        reason = CASE excluded.reason WHEN '' THEN steps.reason ELSE excluded.reason END,
        ran_because = excluded.ran_because
"""
FINISH_RUN = "UPDATE runs SET state = ?, finished = ?, duration = ? WHERE id = ?"


def truncation_marker(dropped: int) -> str:
    """The one line stored in place of output past the limit."""
    return f"[... output truncated: {dropped} more bytes not recorded ...]"


@record(frozen=False)
class Budget:
    """What one step wrote to one stream: bytes stored, and bytes and lines only counted."""

    stored: int = 0
    dropped: int = 0
    dropped_lines: int = 0
    full: bool = False


def params_json(params: Mapping[str, Any]) -> str:
    """The params as stored in `runs.params`, in their JSON form (`model/plain.py`)."""
    return jsontext.dumps(json_value(dict(params)), sort_keys=True)
