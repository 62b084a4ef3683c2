"""The history's schema, step by step: MIGRATIONS[n] upgrades a database from schema version n
to n + 1 (version 0: an empty file). Each runs inside the one transaction that also records the
new version (`database.migrate`), so a database is never left half-upgraded. Append new steps;
never edit a released one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

APPLICATION = "pipeflow"  # the history's `meta` names it: a file that does not is not ours

Migration = Callable[[sqlite3.Connection], None]


def _create_v1(conn: sqlite3.Connection) -> None:
    """The first schema: runs, their steps, and what the steps printed."""
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta (key, value) VALUES ('application', ?)", (APPLICATION,))
    conn.execute(
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            pipeline TEXT NOT NULL,
            config_path TEXT,
            config_hash TEXT,
            params TEXT NOT NULL DEFAULT '{}',
            trigger TEXT NOT NULL,
            state TEXT NOT NULL,
            started TEXT NOT NULL,
            finished TEXT,
            duration REAL
        )"""
    )
    conn.execute(
        """CREATE TABLE steps (
            run_id TEXT NOT NULL,
            step TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            duration REAL,
            cached INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            traceback TEXT,
            locations TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (run_id, step)
        )"""
    )
    conn.execute(
        """CREATE TABLE logs (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            step TEXT NOT NULL,
            stream TEXT NOT NULL,
            line INTEGER NOT NULL,
            time REAL NOT NULL,
            text TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX logs_run_step ON logs (run_id, step)")


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Order runs by the instant they started (the text of times in other offsets does not sort)."""
    conn.execute("ALTER TABLE runs ADD COLUMN started_at REAL")
    conn.execute("UPDATE runs SET started_at = (julianday(started) - 2440587.5) * 86400.0")
    conn.execute("CREATE INDEX runs_started ON runs (started_at)")
    conn.execute("CREATE INDEX runs_pipeline ON runs (pipeline, started_at)")


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Remember which process records each run, so a killed one can be told from a running one."""
    conn.execute("ALTER TABLE runs ADD COLUMN owner TEXT")


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    """Keep the error of each attempt that was retried (the last one's is the step's own)."""
    conn.execute(
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            step TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            error TEXT NOT NULL,
            time REAL NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX attempts_run_step ON attempts (run_id, step)")


def _v4_to_v5(conn: sqlite3.Connection) -> None:
    """Keep why each step ran beside its reason, which a failure replaces ("raised an error")."""
    conn.execute("ALTER TABLE steps ADD COLUMN ran_because TEXT NOT NULL DEFAULT ''")


def _v5_to_v6(conn: sqlite3.Connection) -> None:
    """Keep which schedule fired a run (`2 (every 15m)`); NULL for one no schedule fired."""
    conn.execute("ALTER TABLE runs ADD COLUMN schedule TEXT")


MIGRATIONS: list[Migration] = [
    _create_v1,
    _v1_to_v2,
    _v2_to_v3,
    _v3_to_v4,
    _v4_to_v5,
    _v5_to_v6,
]
SCHEMA_VERSION = len(MIGRATIONS)
