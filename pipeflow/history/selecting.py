"""The SQL of the history's queries: the columns of a run as `records.py` reads them, their
order, which runs a listing's filters take, which runs `prune` deletes, and the counts LIMIT
and OFFSET can take."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

RUN_COLUMNS = """
    r.id, r.pipeline, r.state, r.trigger, r.started, r.finished, r.duration, r.config_path,
    r.config_hash, r.params, r.schedule,
    (SELECT count(*) FROM steps s WHERE s.run_id = r.id AND s.state = 'done'),
    (SELECT count(*) FROM steps s WHERE s.run_id = r.id AND s.state = 'cached'),
    (SELECT count(*) FROM steps s WHERE s.run_id = r.id AND s.state = 'failed'),
    (SELECT count(*) FROM steps s WHERE s.run_id = r.id AND s.state = 'not run')
"""
NEWEST_FIRST = "ORDER BY r.started_at DESC, r.rowid DESC"


LARGEST = 2**63 - 1  # SQLite's INTEGER is 64-bit


def bounded(number: int) -> int:
    """A count for LIMIT or OFFSET: at least 0, and at most SQLite's largest integer (a
    bigger one, `--last 10**30`, means as many as there are; SQLite cannot take it)."""
    return min(max(0, number), LARGEST)


def run_filter(
    pipeline: str | None, state: str | None, config: str | os.PathLike[str] | None
) -> tuple[str, list[Any]]:
    """The WHERE clause (with its leading space, or empty) and its arguments."""
    where: list[str] = []
    args: list[Any] = []
    if pipeline is not None:
        where.append("r.pipeline = ?")
        args.append(pipeline)
    if state is not None:
        where.append("r.state = ?")
        args.append(state)
    if config is not None:
        where.append("(r.config_path = ? OR r.config_path IS NULL)")
        args.append(str(Path(config).resolve()))
    return (" WHERE " + " AND ".join(where) if where else ""), args


def pruned(
    conn: sqlite3.Connection, keep: int | None, older_than: timedelta | None
) -> tuple[str, list[Any]]:
    """The DELETE of `prune`. A fire `serve` skipped is no run: it counts for none of the
    `keep` newest, and goes with the runs older than the oldest kept (all, for 0)."""
    where = ["state != 'running'"]
    args: list[Any] = []
    if keep is not None:
        ran = "SELECT r.id, r.started_at FROM runs r WHERE r.state != 'skipped' "
        ran += NEWEST_FIRST
        where.append(f"id NOT IN (SELECT id FROM ({ran} LIMIT ?))")
        args.append(bounded(keep))
        oldest_kept = conn.execute(f"{ran} LIMIT 1 OFFSET ?", (bounded(keep - 1),)).fetchone()
        if keep and oldest_kept is None:  # fewer runs than kept: every fire stays
            where.append("state != 'skipped'")
        elif keep:
            where.append("(state != 'skipped' OR started_at < ?)")
            args.append(oldest_kept[1])
    if older_than is not None:
        where.append("started_at < ?")
        args.append(time.time() - older_than.total_seconds())
    return f"DELETE FROM runs WHERE {' AND '.join(where)}", args
