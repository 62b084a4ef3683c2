"""The history's writer thread: it owns the connection and commits queued rows in batches.

The recorder (the event subscriber) only appends rows here, which is cheap; the thread
commits them every `interval` seconds, when a batch is full, or when woken (a step or the
run finished). Any database failure stops the recording: `error` says why, queued rows are
dropped and everyone waiting in a flush is released, so the run never waits on a broken
database.

After each commit the thread rests for `PACE` seconds unless someone waits on it (a flush, the
end of the run) or a batch is full: steps finishing in quick succession then share a commit.
Without the rest it woke for every finished step, and each time the run's thread let go of
the interpreter (a stored result's write), the writer took it for its own small commit: about
70 us per stored step of a chain of short steps (issue 13). A finished step still shows in
the history within PACE.

A row queued as replaceable (a step's `running` row) is not written when a row that says all
it says (the step's next `running` row, after a retry, or its final row) replaces it before
the commit: a chain of short steps then writes one row a step, not two, and the history ends
the same.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Any

from pipeflow.history.database import HistoryError, connect, remedy
from pipeflow.storage.journal import settle

BATCH_ROWS = 500  # wake the writer once this many rows wait
PACE = 0.05  # seconds the writer rests after a commit, unless someone waits on it

Op = tuple[str, tuple[Any, ...]] | threading.Event  # a statement, or a flush() waiting for it


class Writer(threading.Thread):
    """Owns the connection; commits what the subscriber queued, in order, in batches."""

    def __init__(self, path: Path, timeout: float, interval: float) -> None:
        super().__init__(name="pipeflow-history", daemon=True)
        self.path = path
        self.timeout = timeout
        self.interval = interval
        self.error: str | None = None
        self._ops: list[Op | None] = []  # None: a row a later one replaced before its commit
        # Where a row that a later one may replace waits in `_ops`, by the name it was given.
        self._replaceable: dict[Any, int] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._now = threading.Event()  # cuts the rest after a commit short
        self._closing = False

    def add(
        self, op: Op, *, urgent: bool = False, replaces: Any = None, replaceable: Any = None
    ) -> None:
        """Queue `op`. It `replaces` the row queued as `replaceable` under the same name, if that
        one still waits for its commit (only this one is written then: it says all the other
        says); `replaceable`: a later row may replace this one so (a step's `running` row, by
        the step's next `running` row or its final row)."""
        with self._lock:
            if self.error is not None or self._closing:
                if isinstance(op, threading.Event):
                    op.set()
                return
            if replaces is not None:
                earlier = self._replaceable.pop(replaces, None)
                if earlier is not None:
                    self._ops[earlier] = None
            if replaceable is not None:
                self._replaceable[replaceable] = len(self._ops)
            self._ops.append(op)
            full = len(self._ops) >= BATCH_ROWS
        # Not set again while set (only the writer clears them, before it takes the rows or
        # once its rest ends): a run of cached steps queues a row each, faster than it writes.
        if (urgent or full) and not self._wake.is_set():
            self._wake.set()
        if (full or isinstance(op, threading.Event)) and not self._now.is_set():
            self._now.set()  # a batch to write, or a flush waiting: the rest ends

    def add_many(self, ops: list[Op]) -> None:
        """Queue several rows at once, without waking the writer."""
        with self._lock:
            if self.error is None and not self._closing:
                self._ops.extend(ops)

    def wake(self) -> None:
        self._wake.set()

    def abandon(self, reason: str) -> None:
        """Stop recording: drop what is queued; the thread ends at its next wake-up."""
        with self._lock:
            if self.error is None:
                self.error = reason
        self._release()
        self._wake.set()
        self._now.set()

    def close(self) -> None:
        """Write what is queued, then stop; returns once the thread has ended."""
        with self._lock:
            self._closing = True
        self._wake.set()
        self._now.set()
        if self.is_alive():
            self.join()

    def run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path, timeout=self.timeout)
            while True:
                self._wake.wait(self.interval)
                self._wake.clear()
                with self._lock:
                    ops, self._ops = self._ops, []
                    self._replaceable.clear()
                    closing = self._closing
                if ops:
                    self._write(conn, ops)
                if closing:
                    return
                if ops:  # rest: the next steps' rows go in one commit (see the docstring)
                    self._now.wait(PACE)
                    self._now.clear()
        except Exception as error:  # history never fails a run: remember it, warn once
            self._fail(error)
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._release()

    def _write(self, conn: sqlite3.Connection, ops: list[Op | None]) -> None:
        waiting: list[threading.Event] = []
        # A step the history shows finished has its stored result written: the records this
        # process still holds go first (`storage/journal.py`).
        settle()
        conn.execute("BEGIN IMMEDIATE")
        try:
            sql: str | None = None
            rows: list[tuple[Any, ...]] = []
            for op in ops:
                if op is None:
                    continue  # replaced by a later row
                if isinstance(op, threading.Event):
                    waiting.append(op)
                    continue
                if op[0] != sql:  # consecutive rows of one statement go in one call
                    if sql is not None:
                        conn.executemany(sql, rows)
                    sql, rows = op[0], []
                rows.append(op[1])
            if sql is not None:
                conn.executemany(sql, rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        finally:
            for event in waiting:
                event.set()

    def _fail(self, error: BaseException) -> None:
        if isinstance(error, HistoryError):
            reason = str(error)
        elif isinstance(error, sqlite3.Error):
            reason = f"{error} ({self.path}){remedy(error)}"
        elif isinstance(error, OSError):
            reason = f"{error} ({self.path})"
        else:
            reason = f"{type(error).__name__}: {error} ({self.path})"
        with self._lock:
            self.error = reason
        self._release()

    def _release(self) -> None:
        """Drop what is still queued; wake everyone waiting in flush()."""
        with self._lock:
            ops, self._ops = self._ops, []
            self._replaceable.clear()
            self._closing = True
        for op in ops:
            if isinstance(op, threading.Event):
                op.set()
