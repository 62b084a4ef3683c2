"""The history's recorder of a run, and the record of a run that could not start.

A run whose executor cannot be opened (a Dask scheduler nobody answers at) or whose store
cannot be read as it plans (an S3 endpoint that is down) ran no step, yet it is a run the
user started: the history keeps it as a failed run whose steps did not run, the first with
why, so `pipeflow runs` and the UI show the nightly job that failed. Its subscribers hear of
it as of any run (its start and its end, no step), so the console, JSON lines, the CI
reports and the UI's Run button all name the id the history holds it under. A check that
ran nothing is not a run: a config's or an option's problems (exit 2) and `--frozen`'s stale
steps (exit 3)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from pipeflow.api.listeners import Listeners, Subscriber
from pipeflow.errors import PipeflowError
from pipeflow.model import escaping
from pipeflow.model.events import Event, RunFinished, RunStarted
from pipeflow.model.run import Action, Decision, StepOutcome, StepState

if TYPE_CHECKING:
    from pipeflow.api.pipeline import Pipeline
    from pipeflow.execute.starting import RunStart
    from pipeflow.history import Recorder


def recorder(pipeline: Pipeline, trigger: str) -> Recorder:
    """The recorder of one run of `pipeline`, into the history beside its config."""
    from pipeflow.history import Recorder

    definition = pipeline.definition
    return Recorder(
        definition.project_dir,
        trigger=trigger,
        config_path=definition.source,
        config_hash=definition.config_hash,
        schedule=_fired(pipeline),
    )


def _fired(pipeline: Pipeline) -> str | None:
    """The schedule whose params the pipeline was loaded with (`serve`'s runs, `schedule=`),
    as the history names it: "2 (every 15m)"."""
    number = pipeline.options.get("schedule")
    schedules = pipeline.definition.schedules
    if not number or number > len(schedules):
        return None
    from pipeflow.schedule.triggers import numbered

    return numbered(number, schedules[number - 1])


@contextmanager
def recorded_if_unstarted(
    pipeline: Pipeline,
    start: RunStart,
    *,
    trigger: str,
    history: bool,
    subscribers: Sequence[Subscriber],
) -> Iterator[None]:
    """Around what a run does before its first step: an error that stops it ends a run, which
    is recorded (with `history`) and told to the subscribers."""
    try:
        yield
    except Exception as error:
        if getattr(error, "exit_code", 1) == 1:
            _record(pipeline, start, trigger, error, history=history, subscribers=subscribers)
        raise


def _record(
    pipeline: Pipeline,
    start: RunStart,
    trigger: str,
    error: Exception,
    *,
    history: bool,
    subscribers: Sequence[Subscriber],
) -> None:
    secrets = pipeline.loaded.secrets
    said = (
        error.format() if isinstance(error, PipeflowError) else f"{type(error).__name__}: {error}"
    )
    order = pipeline.graph.order()
    # The first step says why; the others point to it (`runs show` lists them one per line).
    reason = f"the run could not start: {said}"
    elsewhere = f"the run could not start (why: see `{order[0]}`)" if order else ""
    events: list[Event] = [
        RunStarted(
            run_id=start.run_id,
            pipeline=pipeline.name,
            started=start.started,
            params=secrets.redact(start.params),
            plan=tuple(Decision(name, Action.RUN, "") for name in order),
        ),
        RunFinished(
            run_id=start.run_id,
            pipeline=pipeline.name,
            ok=False,
            duration=(datetime.now().astimezone() - start.started).total_seconds(),
            outcomes=tuple(
                StepOutcome(name, StepState.NOT_RUN, reason if i == 0 else elsewhere)
                for i, name in enumerate(order)
            ),
        ),
    ]
    recording = recorder(pipeline, trigger) if history else None
    listeners: list[Subscriber] = list(subscribers)
    if recording is not None:
        listeners.append(recording)
    emit = Listeners(listeners, settling=False)  # a subscriber that raises is reported
    try:
        for event in events:  # masked and escaped, as the engine sends a run's events
            emit(escaping.event(secrets.event(event)))
    finally:
        if recording is not None:
            recording.close()
        emit.close(start.run_id)
