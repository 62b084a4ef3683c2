"""How `pipeflow runs` and `pipeflow runs show` print the history: a table of runs, and one
run's fields, params and steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeflow.model import jsontext
from pipeflow.model.durations import format_duration

if TYPE_CHECKING:
    from pipeflow.history import RunRecord, StepRecord


def runs_table(records: Sequence[RunRecord]) -> str:
    """The table `pipeflow runs` prints."""
    header = [
        "ID",
        "PIPELINE",
        "STATE",
        "TRIGGER",
        "STARTED",
        "DURATION",
        "DONE",
        "CACHED",
        "FAILED",
        "NOT RUN",
    ]
    rows = [
        [
            record.id,
            record.pipeline,
            record.state,
            record.trigger,
            record.started.isoformat(timespec="seconds"),
            format_duration(record.duration) if record.duration is not None else "-",
            str(record.done),
            str(record.cached),
            str(record.failed),
            str(record.not_run),
        ]
        for record in records
    ]
    return _table([header, *rows])


def run_details(record: RunRecord, *, tracebacks: bool = False) -> str:
    """What `pipeflow runs show` prints."""
    fields = [
        ("run", record.id),
        ("pipeline", record.pipeline),
        ("state", record.state),
        ("trigger", f"schedule {record.schedule}" if record.schedule else record.trigger),
        ("started", record.started.isoformat(timespec="seconds")),
    ]
    if record.finished is not None:
        fields.append(("finished", record.finished.isoformat(timespec="seconds")))
    if record.duration is not None:
        fields.append(("duration", format_duration(record.duration)))
    if record.config_path:
        fields.append(("config", record.config_path))
    if record.config_hash:
        fields.append(("config hash", record.config_hash))
    width = max(len(name) for name, _ in fields)
    lines = [f"{name.ljust(width)}  {value}" for name, value in fields]
    lines.append("params" + ("" if record.params else "  (none)"))
    for key, value in sorted(record.params.items()):
        lines.append(f"  {key}: {jsontext.dumps(value, default=str)}")
    lines.append("steps" + ("" if record.steps else "  (none)"))
    rows = [_step_row(step) for step in record.steps]
    table = _table(rows).splitlines() if rows else []
    for step, row in zip(record.steps, table, strict=True):
        lines.append("  " + row)
        if step.ran_because and step.ran_because != step.reason:  # a failure's reason
            lines.append(f"      ran because: {step.ran_because}")
        for failed in step.failed_attempts:
            said = f"attempt {failed.attempt} failed: {failed.error}"
            lines.extend("      " + text for text in said.splitlines())
        for location in step.locations:
            lines.append(f"      stored {location}")
        if step.error:
            lines.extend("      " + text for text in f"error: {step.error}".splitlines())
        if tracebacks and step.traceback:
            lines.extend("      " + text for text in step.traceback.rstrip().splitlines())
    return "\n".join(lines) + "\n"


def _step_row(step: StepRecord) -> list[str]:
    if step.cached:
        attempts = "cache hit"
    elif step.attempts:
        attempts = f"{step.attempts} attempt" + ("s" if step.attempts > 1 else "")
    else:
        attempts = "-"
    duration = format_duration(step.duration) if step.duration else "-"
    return [step.step, step.state, duration, attempts, step.reason]


def _table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart; the last column is not padded."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"
