"""`Pipeline.gc`: what to keep, and the sweep of everything else, refused while a run of the
pipeline is going on (a run writes objects before the manifest that makes them wanted)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeflow.cache.collect import survey, sweep
from pipeflow.cache.retention import Report, Retention, age
from pipeflow.errors import PipeflowError, UsageError
from pipeflow.plan.current import current_keys
from pipeflow.plan.planner import Planner


class RunInProgress(PipeflowError):
    """`pipeflow gc` was refused: a run of the pipeline is going on."""


def retention(
    *,
    keep_last: int,
    older_than: str | float | timedelta | None,
    grace: str | float | timedelta,
    now: datetime | None,
    removed_steps: bool = False,
) -> Retention:
    """The checked options of `Pipeline.gc` (a naive `now` is local time)."""
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 0:
        raise UsageError(f"keep_last: expected a whole number of 0 or more, got {keep_last!r}")
    if not isinstance(removed_steps, bool):
        raise UsageError(f"removed_steps: expected True or False, got {removed_steps!r}")
    return Retention(
        keep_last=keep_last,
        older_than=age(older_than, "older_than"),
        grace=age(grace, "grace") or timedelta(0),
        now=(now or datetime.now()).astimezone(timezone.utc),
        removed_steps=removed_steps,
    )


def collect(
    planner: Planner, retention: Retention, *, project_dir: str | Path, dry_run: bool
) -> Report:
    """Survey every store the planner uses, then (unless `dry_run`) sweep what no current key,
    recent run or age keeps. The history is asked twice: a run may start while gc looks."""
    stores = current_keys(planner)
    names = {pipeline for found in stores for pipeline in found.current}
    refuse_running(project_dir, names)
    report = Report(
        tuple(
            survey(
                found.store,
                found.current,
                retention,
                keep_all=found.keep_all,
                owner=planner.pipeline.name,
                latest_items=found.latest_items,
                targets=found.targets,
            )
            for found in stores
        ),
        dry_run=dry_run,
    )
    if not dry_run:
        refuse_running(project_dir, names)
        for collection in report.collections:
            sweep(collection)
    return report


def refuse_running(project_dir: str | Path, pipelines: set[str]) -> None:
    """RunInProgress when the project's history shows a run of one of `pipelines` going."""
    from pipeflow.history import open_history

    with open_history(project_dir) as history:
        going = [run for run in history.runs(state="running") if run.pipeline in pipelines]
    if going:
        run = going[0]
        raise RunInProgress(
            f"gc refused: run {run.id} of pipeline `{run.pipeline}` is in progress (started "
            f"{run.started:%Y-%m-%d %H:%M:%S %z}) and may need stored results gc would "
            "delete. Run gc again once it has finished (`pipeflow runs` shows it)."
        )
