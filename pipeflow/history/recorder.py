"""The Recorder: an event subscriber that writes each run into the history as it goes.

The subscriber itself only turns events into rows and appends them to a list, which is cheap;
a writer thread owns the connection and commits the rows in batches (every half second, when a
batch is full, when a step finishes, and when the run finishes, which waits for the last write).
So a slow or locked database never slows the run; only the end of the run waits for it. The
writer thread is `writer.py`'s.

History is never a reason for a run to fail: whatever goes wrong with the database (locked for
longer than the busy timeout, a damaged or foreign file, a read-only folder) stops the recording
of that run and is reported once, as a HistoryWarning, from the thread that drives the run.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from datetime import datetime
from pathlib import Path

from pipeflow.history.database import (
    BUSY_TIMEOUT,
    HistoryWarning,
    database_path,
    this_process,
)
from pipeflow.history.statements import (
    FINISH_RUN,
    INSERT_ATTEMPT,
    INSERT_LOG,
    STEP_RUNNING,
    UPSERT_STEP,
    Budget,
    params_json,
    truncation_marker,
)
from pipeflow.history.writer import Op, Writer
from pipeflow.model import escaping, jsontext
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
)
from pipeflow.model.run import StepOutcome, StepState

TRIGGERS = ("manual", "schedule", "ci")
RUN_STATES = ("running", "succeeded", "failed", "interrupted", "skipped", "lost")
DEFAULT_MAX_OUTPUT = 1_000_000  # bytes stored per step and stream; the rest is only counted
FLUSH_INTERVAL = 0.5  # seconds; the longest a line waits before `logs --follow` can see it
START_WAIT = 0.25  # seconds a run that runs steps waits for its start to be committed


class _Session:
    """The recording of one run."""

    def __init__(self, recorder: Recorder, event: RunStarted) -> None:
        self.run_id = event.run_id
        self.recorder = recorder
        started = event.started if event.started.tzinfo else event.started.astimezone()
        self.clock = time.monotonic()
        self.thread = threading.get_ident()  # the thread that drives the run
        self.writer = Writer(recorder.path, recorder.timeout, recorder.flush_interval)
        self.warned = False
        self.budgets: dict[tuple[str, str], Budget] = {}
        self.lines: dict[str, int] = {}
        self.positions: dict[str, int] = {d.step: i for i, d in enumerate(event.plan)}
        self.finished: dict[str, StepOutcome] = {}  # the outcome each step's row was written for
        self.reasons: dict[str, str] = {}  # why each started step runs, as it started
        self.planned: dict[str, str] = {d.step: d.reason for d in event.plan}
        # The last step row's locations and their JSON: most steps of a run share them (the
        # run's journal), so most rows are written without encoding them again.
        self.locations: tuple[tuple[str, ...] | None, str] = (None, "[]")
        ops: list[Op] = [
            (
                "INSERT OR REPLACE INTO runs (id, pipeline, config_path, config_hash, params, "
                "trigger, schedule, state, started, started_at, owner) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    event.run_id,
                    event.pipeline,
                    recorder.config_path,
                    recorder.config_hash,
                    params_json(event.params),
                    recorder.trigger,
                    recorder.schedule,
                    started.isoformat(),
                    started.timestamp(),
                    this_process(),
                ),
            )
        ]
        for position, decision in enumerate(event.plan):
            ops.append(
                (
                    UPSERT_STEP,
                    (
                        event.run_id,
                        decision.step,
                        position,
                        StepState.PENDING.value,
                        decision.reason,
                        0,
                        None,
                        0,
                        None,
                        None,
                        "[]",
                        "",
                    ),
                )
            )
        self.committed = threading.Event()  # the rows above are (or cannot be) committed
        self.writer.add_many([*ops, self.committed])
        self.writer.start()
        self.writer.wake()  # the run shows up in `runs` at once

    # -- events ---------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if self.writer.error is not None:
            return
        if isinstance(event, StepOutput):
            self.output(event)
        elif isinstance(event, StepStarted | StepRetrying):
            if isinstance(event, StepRetrying):  # the error of the attempt before this one
                failed = (self.run_id, event.step, event.attempt - 1, event.error, time.time())
                self.writer.add((INSERT_ATTEMPT, failed))
            # A retry's row says all the first attempt's row says: one still queued is not
            # written; the step's final row may replace this one in turn.
            if isinstance(event, StepStarted) and event.reason:
                self.reasons[event.step] = event.reason
            reason = self.reasons.get(event.step, "")  # a retry's row may replace the start's
            position = self.position(event.step)
            row = (self.run_id, event.step, position, event.attempt, reason, self.why(event.step))
            self.writer.add((STEP_RUNNING, row), replaces=event.step, replaceable=event.step)
        elif isinstance(event, StepFinished):
            self.markers(event.outcome.step)
            self.finished[event.outcome.step] = event.outcome
            # Says all a `running` row says: one still queued is not written.
            self.writer.add(self.step_row(event.outcome), urgent=True, replaces=event.outcome.step)

    def output(self, event: StepOutput) -> None:
        limit = self.recorder.max_output
        key = (event.step, event.stream)
        budget = self.budgets.get(key)
        if budget is None:
            budget = self.budgets[key] = Budget()
        text = event.text
        if text.isascii():
            size = len(text) + 1  # and its newline
        else:
            data = text.encode("utf-8", "backslashreplace")  # lone surrogates cannot be stored
            size = len(data) + 1
            text = data.decode("utf-8")
        if budget.full or (limit is not None and budget.stored + size > limit):
            # The first line past the limit is counted whole, as every later one: a part of
            # it stored would read as a line the step printed.
            budget.full = True
            budget.dropped += size
            budget.dropped_lines += 1
            return
        budget.stored += size
        self.log(event.step, event.stream, text)

    def log(self, step: str, stream: str, text: str) -> None:
        line = self.lines.get(step, 0) + 1
        self.lines[step] = line
        self.writer.add((INSERT_LOG, (self.run_id, step, stream, line, time.time(), text)))

    def markers(self, step: str | None = None) -> None:
        """One line per stream that went past the limit since the last marker."""
        for (name, stream), budget in self.budgets.items():
            if (step is None or name == step) and budget.dropped:
                self.log(name, stream, truncation_marker(budget.dropped))
                budget.dropped = 0
                budget.dropped_lines = 0

    def position(self, step: str) -> int:
        if step not in self.positions:
            self.positions[step] = len(self.positions)
        return self.positions[step]

    def why(self, step: str) -> str:
        """Why `step` runs: the reason it started with, else the plan's."""
        return self.reasons.get(step) or self.planned.get(step, "")

    def step_row(self, outcome: StepOutcome) -> Op:
        """The row of a step that ended; one that ran (done or failed) keeps why it ran,
        which a failure's reason ("raised an error") does not say."""
        ran = outcome.state in (StepState.DONE, StepState.FAILED)
        last, text = self.locations
        if outcome.locations != last:
            text = jsontext.dumps(list(outcome.locations))
            self.locations = (tuple(outcome.locations), text)
        return (
            UPSERT_STEP,
            (
                self.run_id,
                outcome.step,
                self.position(outcome.step),
                str(outcome.state.value),
                outcome.reason,
                outcome.attempts,
                outcome.duration,
                int(outcome.state is StepState.CACHED),
                outcome.error,
                outcome.traceback,
                text,
                self.why(outcome.step) if ran else "",
            ),
        )

    def finish(self, event: RunFinished | None) -> None:
        """Write the end of the run and wait until everything is committed."""
        if self.writer.error is None:
            self.markers()
            finished = datetime.now().astimezone()
            if event is None:  # closed without a RunFinished: the run was cut short
                state, duration = "interrupted", time.monotonic() - self.clock
            else:
                for outcome in event.outcomes:  # those not written as they finished
                    written = self.finished.get(outcome.step)
                    if written is not outcome and written != outcome:
                        self.writer.add(self.step_row(outcome))
                if event.interrupted:
                    state = "interrupted"
                else:
                    state = "succeeded" if event.ok else "failed"
                duration = event.duration
            self.writer.add((FINISH_RUN, (state, finished.isoformat(), duration, self.run_id)))
        self.writer.close()

    def warn(self, *, anywhere: bool = False) -> None:
        """Say once that this run is not (fully) recorded.

        Only from the thread that drives the run: a warning printed from a step's thread would
        be captured as that step's output, an event sent back to us while the engine holds its
        lock.
        """
        error = self.writer.error
        if error is None or self.warned:
            return
        self.recorder.last_error = error
        if not anywhere and threading.get_ident() != self.thread:
            return
        self.warned = True
        warnings.warn(
            f"run history: could not record run {self.run_id}: {error}; "
            "the run continues without being recorded",
            HistoryWarning,
            stacklevel=4,
        )


class Recorder:
    """Records runs into the history; subscribe it to a run (`subscribers=[recorder]`).

    `folder` is the project folder (the config's folder): the database is
    `FOLDER/.pipeflow/runs.db`, or `$PIPEFLOW_HOME/runs.db` when that is set, or
    `HOME/runs.db` for an explicit `home`. `params` in RunStarted must already be redacted.
    One recorder records one run at a time; it may be reused for the next run.
    """

    settles_results = True  # its writer does, before each commit (see `pipeflow.api.running`)

    def __init__(
        self,
        folder: str | os.PathLike[str] | None = None,
        *,
        home: str | os.PathLike[str] | None = None,
        trigger: str = "manual",
        config_path: str | os.PathLike[str] | None = None,
        config_hash: str | None = None,
        schedule: str | None = None,
        max_output: int | None = DEFAULT_MAX_OUTPUT,
        timeout: float = BUSY_TIMEOUT,
        flush_interval: float = FLUSH_INTERVAL,
    ) -> None:
        if trigger not in TRIGGERS:
            raise ValueError(f"trigger must be one of {', '.join(TRIGGERS)}, not {trigger!r}")
        if max_output is not None and max_output < 0:
            raise ValueError(f"max_output cannot be negative, got {max_output}")
        self.path = database_path(folder, home=home)
        self.trigger = trigger
        # A folder whose name is not UTF-8 is stored as its escape (`model/escaping.py`).
        self.config_path = (
            escaping.printable(str(Path(config_path).resolve()))
            if config_path is not None
            else None
        )
        self.config_hash = config_hash
        self.schedule = schedule  # the schedule that fired the run: `2 (every 15m)`
        self.max_output = max_output
        self.timeout = timeout
        self.flush_interval = flush_interval
        self._session: _Session | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None  # why the last run was not (fully) recorded

    def __call__(self, event: Event) -> None:
        try:
            # A run's events come escaped already; events from elsewhere may hold what
            # SQLite's UTF-8 cannot take (a lone surrogate): stored as its escape instead.
            self._handle(escaping.event(event))
        except Exception as error:  # a bug here must not fail the run either
            self._broken(error)

    def _handle(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            with self._lock:
                previous, self._session = self._session, None
            if previous is not None:
                previous.finish(None)
                previous.warn()
            session = _Session(self, event)
            with self._lock:
                self._session = session
            if any(decision.action.value == "run" for decision in event.plan):
                # A step that crashes the process (C code, the OOM killer) must not come before
                # the run's first commit: the run would never be recorded.
                session.committed.wait(START_WAIT)
            return
        with self._lock:
            current = self._session
            if current is None or event.run_id != current.run_id:
                return
            if isinstance(event, RunFinished):
                self._session = None
            else:
                current.handle(event)
        session = current
        if isinstance(event, RunFinished):
            session.finish(event)
            session.warn(anywhere=True)
        elif isinstance(event, StepFinished | StepStarted):
            session.warn()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until what the current run queued so far is committed (False on timeout)."""
        with self._lock:
            session = self._session
        if session is None:
            return True
        done = threading.Event()
        session.writer.add(done, urgent=True)
        return done.wait(timeout)

    def close(self) -> None:
        """End the current run's recording; a run without RunFinished counts as interrupted.

        Call it in a `finally` around the run: after a RunFinished it does nothing.
        """
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            try:
                session.finish(None)
            except Exception as error:  # pragma: no cover - defensive
                session.writer.abandon(f"{type(error).__name__}: {error} ({self.path})")
            session.warn(anywhere=True)

    def _broken(self, error: Exception) -> None:
        """A failure of the recorder itself: stop recording this run, warn from its thread."""
        reason = f"{type(error).__name__}: {error} ({self.path})"
        with self._lock:
            session = self._session
        if session is None:
            warnings.warn(
                f"run history: could not record a run: {reason}; "
                "the run continues without being recorded",
                HistoryWarning,
                stacklevel=3,
            )
            return
        session.writer.abandon(reason)
        session.warn()
