"""Reading the history: runs, one run with its steps, what steps printed, and pruning.

The records it returns, and the errors for an unknown run or step, are `records.py`'s.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from pipeflow.errors import did_you_mean
from pipeflow.history.database import (
    BUSY_TIMEOUT,
    HistoryError,
    connect_reader,
    database_path,
    mark_lost,
    owned_by,
    owner_gone,
    remedy,
    writable,
)
from pipeflow.history.records import (
    FailedAttempt,
    LogLine,
    RunRecord,
    StepRecord,
    UnknownRun,
    UnknownStep,
    log_line,
    run_record,
    step_record,
)
from pipeflow.history.run_ids import nothing_recorded, resolved
from pipeflow.history.selecting import NEWEST_FIRST, RUN_COLUMNS, bounded, pruned, run_filter

__all__ = [
    "FailedAttempt",
    "History",
    "LogLine",
    "RunRecord",
    "StepRecord",
    "UnknownRun",
    "UnknownStep",
    "open_history",
]

T = TypeVar("T")


def open_history(
    folder: str | os.PathLike[str] | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
    timeout: float = BUSY_TIMEOUT,
) -> History:
    """The history of the project in `folder` (see `database_path` for where it lives).

    A missing database reads as an empty history; nothing is created until a run is recorded.
    """
    return History(database_path(folder, home=home), timeout=timeout)


class History:
    """Queries on one history database; use it from the thread that opened it."""

    def __init__(self, path: Path, *, timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        if path.exists():
            self._conn = self._guard(lambda: connect_reader(path, timeout=timeout))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> History:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- queries --------------------------------------------------------------------------

    def runs(
        self,
        pipeline: str | None = None,
        state: str | None = None,
        last: int | None = None,
        *,
        config: str | os.PathLike[str] | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Recorded runs, newest first; `last` keeps the newest N after skipping `offset`.

        `config` keeps the runs of that config file (and runs recorded without a config path).
        """
        conn = self._conn
        if conn is None:
            return []
        self._reap()
        where, args = run_filter(pipeline, state, config)
        sql = f"SELECT {RUN_COLUMNS} FROM runs r{where} {NEWEST_FIRST}"
        if last is not None or offset > 0:
            sql += " LIMIT ? OFFSET ?"
            args += [-1 if last is None else bounded(last), bounded(offset)]
        rows = self._guard(lambda: conn.execute(sql, args).fetchall())
        return [run_record(row) for row in rows]

    def run_of_process(self, pid: int, pipeline: str, since: float) -> str | None:
        """The id of the run of `pipeline` that process `pid` of this host recorded, started
        at `since` (a timestamp) or later; None when none is recorded (`serve` asks it of
        each run it started, once its process has ended)."""
        conn = self._conn
        if conn is None:
            return None
        rows = self._guard(
            lambda: conn.execute(
                "SELECT id, owner FROM runs WHERE pipeline = ? AND started_at >= ? "
                "AND owner IS NOT NULL ORDER BY started_at DESC",
                (pipeline, since),
            ).fetchall()
        )
        return next((str(found) for found, owner in rows if owned_by(str(owner), pid)), None)

    def count(self, pipeline: str | None = None, state: str | None = None) -> int:
        """How many runs `runs()` would list with the same filters."""
        conn = self._conn
        if conn is None:
            return 0
        self._reap()
        where, args = run_filter(pipeline, state, None)
        row = self._guard(
            lambda: conn.execute(f"SELECT count(*) FROM runs r{where}", args).fetchone()
        )
        return int(row[0])

    def pipelines(self) -> dict[str, str | None]:
        """Each recorded pipeline's name and the config path of its newest run, by name."""
        conn = self._conn
        if conn is None:
            return {}
        # SQLite takes the bare column `config_path` from the row that holds the max().
        rows = self._guard(
            lambda: conn.execute(
                "SELECT pipeline, config_path, max(started_at) FROM runs GROUP BY pipeline "
                "ORDER BY pipeline"
            ).fetchall()
        )
        return {str(name): path for name, path, _ in rows}

    def run(self, run_id: str) -> RunRecord:
        """One run with its steps (in plan order); `run_id` may be a unique prefix."""
        conn = self._conn
        full = self.resolve(run_id)
        assert conn is not None  # resolve() found the run
        self._reap()
        row = self._guard(
            lambda: conn.execute(
                f"SELECT {RUN_COLUMNS} FROM runs r WHERE r.id = ?", (full,)
            ).fetchone()
        )
        if row is None:  # pruned meanwhile
            raise UnknownRun(f"no run `{run_id}` in {self.path}")
        steps = self._guard(
            lambda: conn.execute(
                "SELECT step, state, reason, attempts, duration, cached, error, traceback, "
                "locations, ran_because FROM steps WHERE run_id = ? ORDER BY position, step",
                (full,),
            ).fetchall()
        )
        failed: dict[str, list[FailedAttempt]] = {}
        for name, attempt, error in self._guard(
            lambda: conn.execute(
                "SELECT step, attempt, error FROM attempts WHERE run_id = ? ORDER BY id", (full,)
            ).fetchall()
        ):
            failed.setdefault(str(name), []).append(FailedAttempt(int(attempt), str(error)))
        records = (step_record(step, tuple(failed.get(str(step[0]), ()))) for step in steps)
        return replace(run_record(row), steps=tuple(records))

    def resolve(self, run_id: str) -> str:
        """The full id of a run from its id, a unique prefix of it, or `latest` (the run that
        started last); UnknownRun otherwise."""
        conn = self._conn
        if conn is None:
            raise nothing_recorded(run_id, self.path)
        return resolved(
            run_id,
            lambda sql, values: self._guard(lambda: conn.execute(sql, values).fetchall()),
            self.path,
        )

    def logs(self, run_id: str, step: str | None = None, *, skip: int = 0) -> list[LogLine]:
        """What the run's steps printed and logged, in the order it arrived; `skip`: without
        the first so many (those a reader following the run has: lines are only added)."""
        full = self.resolve(run_id)
        steps = None if step is None else self._steps_named(full, step)
        return [line for _, line in self._lines(full, steps, after=0, skip=skip)]

    def follow(
        self,
        run_id: str,
        step: str | None = None,
        *,
        poll: float = 0.25,
        timeout: float | None = None,
    ) -> Iterator[LogLine]:
        """Yield the run's lines, then new ones as they come, until the run has finished.

        Stops after `timeout` seconds when given; stops when the run's process is found gone
        (the run is then marked `lost`).
        """
        full = self.resolve(run_id)
        steps = None if step is None else self._steps_named(full, step)
        conn = self._conn
        assert conn is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        after = 0
        while True:
            # The state first: lines are committed before the run is marked finished, so once
            # it reads finished, the query below sees every line.
            row = self._guard(
                lambda: conn.execute("SELECT state FROM runs WHERE id = ?", (full,)).fetchone()
            )
            for line_id, line in self._lines(full, steps, after=after):
                after = line_id
                yield line
            if row is None or row[0] != "running":
                return
            if self._reap(full):
                continue  # read the state again: it is `lost` now, and the last lines with it
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(poll)

    def prune(
        self,
        keep: int | None = None,
        *,
        older_than: timedelta | None = None,
        vacuum: bool = False,
    ) -> int:
        """Delete old runs with their steps and logs; returns how many.

        A run goes when it is not among the newest `keep` and (if given) started more than
        `older_than` ago. A run still going is never deleted: its process is still writing it.
        """
        if keep is None and older_than is None:
            raise ValueError("say what to delete: keep or older_than")
        if keep is not None and keep < 0:
            raise ValueError(f"keep must be 0 or more, got {keep}")
        conn = self._conn
        if conn is None:
            return 0
        if not writable(self.path):
            raise HistoryError(
                f"cannot prune the history at {self.path}: its folder is read-only; prune it "
                "where it can be written"
            )
        self._reap()  # a killed run is `lost` now, and may go

        def delete() -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                sql, args = pruned(conn, keep, older_than)
                count = conn.execute(sql, args).rowcount
                conn.execute("DELETE FROM steps WHERE run_id NOT IN (SELECT id FROM runs)")
                conn.execute("DELETE FROM logs WHERE run_id NOT IN (SELECT id FROM runs)")
                conn.execute("DELETE FROM attempts WHERE run_id NOT IN (SELECT id FROM runs)")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return int(count)

        deleted = self._guard(delete)
        if vacuum:
            self._guard(lambda: conn.execute("VACUUM"))
        return deleted

    # -- helpers --------------------------------------------------------------------------

    def _lines(
        self, run_id: str, steps: Sequence[str] | None, *, after: int, skip: int = 0
    ) -> Iterator[tuple[int, LogLine]]:
        conn = self._conn
        assert conn is not None
        sql = "SELECT id, step, stream, line, time, text FROM logs WHERE run_id = ? AND id > ?"
        args: list[Any] = [run_id, after]
        if steps is not None:
            sql += f" AND step IN ({', '.join('?' * len(steps))})"
            args.extend(steps)
        sql += " ORDER BY id LIMIT -1 OFFSET ?"
        rows = self._guard(lambda: conn.execute(sql, [*args, bounded(skip)]).fetchall())
        for row in rows:
            yield int(row[0]), log_line(run_id, row[1:])

    def _steps_named(self, run_id: str, step: str) -> list[str]:
        """The steps of the run that `step` names: itself, or, for a step that runs a
        sub-pipeline (`data`), all of that sub-pipeline's (`data/load`, `data/split`), as
        `--only` takes it; UnknownStep when it names none."""
        conn = self._conn
        assert conn is not None
        names = [
            str(row[0])
            for row in self._guard(
                lambda: conn.execute(
                    "SELECT step FROM steps WHERE run_id = ? ORDER BY position", (run_id,)
                ).fetchall()
            )
        ]
        if step in names:
            return [step]
        inside = [name for name in names if name.startswith(f"{step}/")]
        if inside:
            return inside
        # A sub-pipeline's step by its own name too (`sub` for `sub/gen`), as a suggestion.
        groups = {name.rsplit("/", 1)[0] for name in names if "/" in name}
        hint = did_you_mean(step, [*names, *sorted(groups)]) or (
            f"its steps: {', '.join(names)}" if names else None
        )
        raise UnknownStep(f"run {run_id} has no step `{step}`", hint)

    def _reap(self, run_id: str | None = None) -> bool:
        """Mark `running` runs whose recording process is gone as `lost`; True if any was.

        The step that was running fails with a note, the pending ones are `not run`. Only runs
        recorded on this host can be judged; a database that cannot be written stays as it is.
        """
        conn = self._conn
        if conn is None:
            return False
        sql = "SELECT id, owner FROM runs WHERE state = 'running' AND owner IS NOT NULL"
        args: tuple[str, ...] = ()
        if run_id is not None:
            sql, args = sql + " AND id = ?", (run_id,)
        rows = self._guard(lambda: conn.execute(sql, args).fetchall())
        gone = [str(found) for found, owner in rows if owner_gone(str(owner))]
        return bool(gone) and mark_lost(conn, gone)

    def _guard(self, action: Callable[[], T]) -> T:
        """Run a query; a database error becomes a HistoryError that names the file."""
        try:
            return action()
        except sqlite3.Error as error:
            said = f"{error}{remedy(error)}"
            raise HistoryError(f"cannot read the history at {self.path}: {said}") from error
        except OSError as error:
            raise HistoryError(f"cannot open the history at {self.path}: {error}") from error
