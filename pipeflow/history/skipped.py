"""A schedule's fire that started no run (overlap, `catch_up`), recorded as a `skipped` run."""

from __future__ import annotations

import os
import secrets
import sqlite3
import warnings
from datetime import datetime
from pathlib import Path

from pipeflow.history.database import HistoryError, HistoryWarning, connect, database_path
from pipeflow.history.recorder import params_json


def record_skipped_fire(
    folder: str | os.PathLike[str] | None,
    *,
    pipeline: str,
    when: datetime,
    reason: str,
    config_path: str | os.PathLike[str] | None = None,
    home: str | os.PathLike[str] | None = None,
) -> str | None:
    """Record a scheduled fire that did not start a run; its id, or None if not recorded.

    Like every history write, a failure is one HistoryWarning, never an error.
    """
    path = database_path(folder, home=home)
    run_id = f"{when:%Y%m%d-%H%M%S}-skipped-{secrets.token_hex(2)}"
    params = params_json({"skipped": reason})
    config = str(Path(config_path).resolve()) if config_path is not None else None
    try:
        conn = connect(path)
        try:
            with conn:
                conn.execute(
                    "INSERT INTO runs (id, pipeline, config_path, config_hash, params, trigger, "
                    "state, started, started_at, finished, duration) "
                    "VALUES (?, ?, ?, NULL, ?, 'schedule', 'skipped', ?, ?, ?, 0)",
                    (
                        run_id,
                        pipeline,
                        config,
                        params,
                        when.isoformat(),
                        when.timestamp(),
                        when.isoformat(),
                    ),
                )
        finally:
            conn.close()
    except (sqlite3.Error, OSError, HistoryError) as error:
        warnings.warn(
            f"could not record the skipped fire of `{pipeline}` in {path}: {error}; "
            "serving continues",
            HistoryWarning,
            stacklevel=2,
        )
        return None
    return run_id
