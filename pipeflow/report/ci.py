"""Reports for CI: the run as one JSON document (`--json`) and as JUnit XML (`--junit`).

`RunReport` is an event subscriber that gathers a run into a plain document; the JUnit
writer works from that same document (plus the steps' captured output), so both reports
always agree. A run that never starts (an invalid config, `--frozen` finding stale steps)
gets a document too, with no steps and the reason, so a CI job always has a report to
upload. Everything here comes from the run's events, which the engine has already masked
(secret values and params from `${env.*}` are `***`), or from errors the API and the loader
masked.

The document's fields are described by `run-report.schema.json` beside this module; the
JUnit XML is written from it by `junit.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from pipeflow._version import __version__
from pipeflow.errors import Problem
from pipeflow.model import jsontext
from pipeflow.model.escaping import printable_data, takes_utf8
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
)
from pipeflow.model.plain import json_value
from pipeflow.model.run import StepOutcome, StepState

REPORT_VERSION = 1
SCHEMA_FILE = Path(__file__).with_name("run-report.schema.json")
MAX_OUTPUT = 100_000  # characters of a step's output kept (for the JUnit system-out)


class RunReport:
    """Gathers one run's events into the document `--json` writes and `--junit` formats."""

    settles_results = True  # tells nobody before the run ends (see `pipeflow.api.running`)

    def __init__(self, *, config: str) -> None:
        self.config = config
        self._started: RunStarted | None = None
        self._finished: RunFinished | None = None
        self._outcomes: dict[str, StepOutcome] = {}
        self._output: dict[str, list[str]] = {}
        self._output_size: dict[str, int] = {}
        self._failed_attempts: dict[str, list[dict[str, Any]]] = {}  # before each retry
        self._started_for: dict[str, str] = {}  # why each step that started runs, as it started
        self._stepped = False  # a step started or ended
        self.foreach: frozenset[str] = frozenset()  # `foreach` steps: attempts count calls

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started = event
        elif isinstance(event, StepStarted):
            self._stepped = True
            if event.reason:
                self._started_for[event.step] = event.reason
        elif isinstance(event, StepFinished):
            self._stepped = True
            self._outcomes[event.outcome.step] = event.outcome
        elif isinstance(event, StepOutput):
            self._keep_output(event)
        elif isinstance(event, StepRetrying):  # the error of the attempt before this one
            failed = {"attempt": event.attempt - 1, "error": event.error}
            self._failed_attempts.setdefault(event.step, []).append(failed)
        elif isinstance(event, RunFinished):
            self._finished = event
            self._outcomes.update((o.step, o) for o in event.outcomes)

    @property
    def finished(self) -> bool:
        return self._started is not None and self._finished is not None

    @property
    def unstarted(self) -> tuple[RunStarted, RunFinished] | None:
        """The start and end of a run that ended before any step (it could not start)."""
        if self._started is None or self._finished is None or self._stepped:
            return None
        return self._started, self._finished

    @property
    def output(self) -> Mapping[str, list[str]]:
        """What each step printed or logged, as captured (capped per step)."""
        return self._output

    def document(self) -> dict[str, Any]:
        """The report of the finished run, as JSON-able data."""
        started, finished = self._started, self._finished
        if started is None or finished is None:
            raise RuntimeError("the run has not finished: there is nothing to report yet")
        if finished.interrupted:
            state = "interrupted"
        else:
            state = "succeeded" if finished.ok else "failed"
        planned = {d.step: d.reason for d in started.plan}  # a dict keeps the order
        order = [*planned, *(name for name in self._outcomes if name not in planned)]
        steps = [
            _step_document(
                self._outcomes[name],
                self._failed_attempts.get(name, []),
                self._started_for.get(name) or planned.get(name, ""),
            )
            for name in order
            if name in self._outcomes
        ]
        return _document(
            pipeline=started.pipeline,
            run_id=started.run_id,
            config=self.config,
            state=state,
            started=started.started,
            duration=finished.duration,
            params=started.params,
            steps=steps,
        )

    def _keep_output(self, event: StepOutput) -> None:
        size = self._output_size.get(event.step, 0)
        if size > MAX_OUTPUT:
            return
        lines = self._output.setdefault(event.step, [])
        text = event.text if event.stream != "stderr" else f"[stderr] {event.text}"
        size += len(text) + 1
        self._output_size[event.step] = size
        lines.append(text if size <= MAX_OUTPUT else "[... more output not kept in the report]")


def not_run_document(
    *,
    config: str,
    pipeline: str | None,
    state: str,
    message: str,
    problems: Iterable[Problem] = (),
    run: tuple[RunStarted, RunFinished] | None = None,
    params: Mapping[str, Any] | None = None,
    planned: Iterable[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """The report of a run that never started: `invalid` (exit 2), `stale` (3) or `error` (1;
    with `run`, the id and params of the run the error stopped before its first step; else
    `params`, those it was to run with, when they are known). `planned`: the steps as the
    refused plan had them, (name, state, reason): `stale` ones are failures."""
    document = _document(
        pipeline=run[0].pipeline if run is not None else pipeline,
        run_id=run[0].run_id if run is not None else None,
        config=config,
        state=state,
        started=run[0].started if run is not None else datetime.now().astimezone(),
        duration=run[1].duration if run is not None else 0.0,
        params=run[0].params if run is not None else params or {},
        steps=[_planned_step(*step) for step in planned],
    )
    document["message"] = message
    document["problems"] = [problem.as_dict() for problem in problems]
    return document


def _document(
    *,
    pipeline: str | None,
    run_id: str | None,
    config: str,
    state: str,
    started: datetime,
    duration: float,
    params: Mapping[str, Any],
    steps: list[dict[str, Any]],
) -> dict[str, Any]:
    started = started if started.tzinfo is not None else started.astimezone()
    finished = started + timedelta(seconds=duration)
    summary: dict[str, int] = {}
    for step in steps:
        summary[step["state"]] = summary.get(step["state"], 0) + 1
    return {
        "report_version": REPORT_VERSION,
        "pipeflow_version": __version__,
        "pipeline": pipeline,
        "run_id": run_id,
        "config": config,
        "state": state,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "duration": round(duration, 6),
        "params": _plain(params),
        "summary": summary,
        "steps": steps,
        "message": None,
        "problems": [],
    }


def _step_document(
    outcome: StepOutcome, failed_attempts: list[dict[str, Any]], why: str
) -> dict[str, Any]:
    """A step that ended; `why`: why it ran (as it started, else as planned), which a failed
    step's reason ("raised an error") does not say."""
    error = None
    if outcome.state is StepState.FAILED:
        error = {"message": outcome.error or outcome.reason, "traceback": outcome.traceback}
    ran = outcome.state in (StepState.DONE, StepState.FAILED)
    return {
        "name": outcome.step,
        "state": outcome.state.value,
        "reason": outcome.reason,
        "ran_because": (why or None) if ran else None,
        "duration": round(outcome.duration, 6),
        "attempts": outcome.attempts,
        "cached": outcome.state is StepState.CACHED,
        "locations": list(outcome.locations),
        "error": error,
        "failed_attempts": failed_attempts,
    }


def _planned_step(name: str, state: str, reason: str) -> dict[str, Any]:
    """A step of a run refused before it started: nothing of it was called."""
    return {
        "name": name,
        "state": state,
        "reason": reason,
        "ran_because": None,
        "duration": 0.0,
        "attempts": 0,
        "cached": state == StepState.CACHED.value,
        "locations": [],
        "error": None,
        "failed_attempts": [],
    }


def _plain(value: Any) -> Any:
    """Params in their one JSON form (`model/plain.py`: dates, times as ISO text, bytes as
    base64), as the manifests and `runs show` have them."""
    return json_value(value)


# -- writing ----------------------------------------------------------------------------------


def json_text(document: Mapping[str, Any]) -> str:
    # A lone surrogate (a file name that is not UTF-8, in an error the loader raised) written
    # as the text of its escape, as the run's events have it: UTF-8 has no bytes for it.
    return jsontext.dumps(printable_data(document), indent=2, ensure_ascii=False) + "\n"


def write_text(
    target: str | TextIO, text: str, *, stdout: TextIO, in_ascii: Callable[[str], str]
) -> None:
    """Write a report to a file (creating its folder), to a text stream, or to `stdout` when
    target is `-`. Programs read a report as UTF-8: on a stream of another encoding (an ASCII
    or Latin-1 terminal) it is written as `in_ascii` gives it, which is UTF-8 too."""
    if not isinstance(target, str) or target == "-":
        stream = stdout if isinstance(target, str) else target
        stream.write(text if takes_utf8(stream) else in_ascii(text))
        if callable(getattr(stream, "flush", None)):
            stream.flush()
        return
    from pipeflow.report.outputs import write_output

    write_output(target, text)


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def json_ascii(text: str) -> str:
    """A JSON text in ASCII: each other character (only a string can hold one) as its
    `\\u` escape, as `ensure_ascii` writes it."""
    return _NOT_ASCII.sub(lambda match: jsontext.dumps(match.group())[1:-1], text)
