"""A schedule's fire that started no run: skipped (overlap, a stop while it waited), recorded
as a `skipped` run, or refused by the run (its config or params have problems), recorded as
a `failed` one. Either has no steps; the reason is kept in its params."""

from __future__ import annotations

import os
import secrets
import sqlite3
import warnings
from datetime import datetime
from pathlib import Path

from pipeflow.history.database import HistoryError, HistoryWarning, connect, database_path
from pipeflow.history.statements import params_json


def record_skipped_fire(
    folder: str | os.PathLike[str] | None,
    *,
    pipeline: str,
    when: datetime,
    reason: str,
    config_path: str | os.PathLike[str] | None = None,
    home: str | os.PathLike[str] | None = None,
    schedule: str | None = None,
) -> str | None:
    """Record a scheduled fire that did not start a run; its id, or None if not recorded.

    Like every history write, a failure is one HistoryWarning, never an error.
    """
    return _record_fire(
        folder, pipeline, when, reason, config_path, home, schedule, state="skipped", key="skipped"
    )


def record_failed_fire(
    folder: str | os.PathLike[str] | None,
    *,
    pipeline: str,
    when: datetime,
    reason: str,
    config_path: str | os.PathLike[str] | None = None,
    home: str | os.PathLike[str] | None = None,
    schedule: str | None = None,
) -> str | None:
    """Record a scheduled fire whose run could not start (its config or params have problems)
    as a `failed` run without steps; its id, or None if not recorded (one HistoryWarning)."""
    return _record_fire(
        folder,
        pipeline,
        when,
        reason,
        config_path,
        home,
        schedule,
        state="failed",
        key="not started",
    )


def _record_fire(
    folder: str | os.PathLike[str] | None,
    pipeline: str,
    when: datetime,
    reason: str,
    config_path: str | os.PathLike[str] | None,
    home: str | os.PathLike[str] | None,
    schedule: str | None,
    *,
    state: str,
    key: str,
) -> str | None:
    path = database_path(folder, home=home)
    when = when.astimezone()  # on this machine's clock, as every run's id and start are
    run_id = f"{when:%Y%m%d-%H%M%S}-{key.replace(' ', '-')}-{secrets.token_hex(2)}"
    params = params_json({key: reason})
    config = str(Path(config_path).resolve()) if config_path is not None else None
    try:
        conn = connect(path)
        try:
            with conn:
                conn.execute(
                    "INSERT INTO runs (id, pipeline, config_path, config_hash, params, trigger, "
                    "schedule, state, started, started_at, finished, duration) "
                    "VALUES (?, ?, ?, NULL, ?, 'schedule', ?, ?, ?, ?, ?, 0)",
                    (
                        run_id,
                        pipeline,
                        config,
                        params,
                        schedule,
                        state,
                        when.isoformat(),
                        when.timestamp(),
                        when.isoformat(),
                    ),
                )
        finally:
            conn.close()
    except (sqlite3.Error, OSError, HistoryError) as error:
        what = "skipped fire" if state == "skipped" else "fire that could not start"
        warnings.warn(
            f"could not record the {what} of `{pipeline}` in {path}: {error}; serving continues",
            HistoryWarning,
            stacklevel=3,
        )
        return None
    return run_id
