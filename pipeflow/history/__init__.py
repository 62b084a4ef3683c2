"""Run history: every run, its steps and what they printed, in an embedded SQLite database.

`Recorder` is the event subscriber that writes a run as it goes; `open_history()` returns a
`History` to list, show, follow and prune runs. The database is `.pipeflow/runs.db` beside the
config, or `$PIPEFLOW_HOME/runs.db`. A broken history never fails a run: it is reported once, as
a `HistoryWarning`, and the run goes on unrecorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeflow.model.lazy import lazy_exports

if TYPE_CHECKING:
    from pipeflow.history.database import (
        BUSY_TIMEOUT,
        DB_NAME,
        HOME_ENV,
        HistoryError,
        HistoryWarning,
        connect,
        database_path,
        history_home,
        migrate,
        schema_version,
    )
    from pipeflow.history.migrations import MIGRATIONS, SCHEMA_VERSION
    from pipeflow.history.query import (
        FailedAttempt,
        History,
        LogLine,
        RunRecord,
        StepRecord,
        UnknownRun,
        UnknownStep,
        open_history,
    )
    from pipeflow.history.recorder import (
        DEFAULT_MAX_OUTPUT,
        RUN_STATES,
        TRIGGERS,
        Recorder,
    )
    from pipeflow.history.skipped import record_failed_fire, record_skipped_fire
    from pipeflow.history.statements import truncation_marker

_HOMES = {
    "BUSY_TIMEOUT": "database",
    "DB_NAME": "database",
    "HOME_ENV": "database",
    "MIGRATIONS": "migrations",
    "SCHEMA_VERSION": "migrations",
    "HistoryError": "database",
    "HistoryWarning": "database",
    "connect": "database",
    "database_path": "database",
    "history_home": "database",
    "migrate": "database",
    "schema_version": "database",
    "FailedAttempt": "query",
    "History": "query",
    "LogLine": "query",
    "RunRecord": "query",
    "StepRecord": "query",
    "UnknownRun": "query",
    "UnknownStep": "query",
    "open_history": "query",
    "DEFAULT_MAX_OUTPUT": "recorder",
    "RUN_STATES": "recorder",
    "TRIGGERS": "recorder",
    "Recorder": "recorder",
    "truncation_marker": "statements",
    "record_failed_fire": "skipped",
    "record_skipped_fire": "skipped",
}

__all__ = [
    "BUSY_TIMEOUT",
    "DB_NAME",
    "DEFAULT_MAX_OUTPUT",
    "HOME_ENV",
    "MIGRATIONS",
    "RUN_STATES",
    "SCHEMA_VERSION",
    "TRIGGERS",
    "FailedAttempt",
    "History",
    "HistoryError",
    "HistoryWarning",
    "LogLine",
    "Recorder",
    "RunRecord",
    "StepRecord",
    "UnknownRun",
    "UnknownStep",
    "connect",
    "database_path",
    "history_home",
    "migrate",
    "open_history",
    "record_failed_fire",
    "record_skipped_fire",
    "schema_version",
    "truncation_marker",
]

# Imported on first use: a run needs the recorder, not the queries.
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
