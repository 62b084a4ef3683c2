"""`pipeflow serve CONFIG...`: run the pipelines' schedules, with no server but this process."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeflow.cli.main import cli, one_pipeline_each
from pipeflow.errors import Interrupted, UsageError

if TYPE_CHECKING:
    from pipeflow.schedule.serve import Target


@cli.command()
@click.argument(
    "configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG..."
)
@click.option("-q", "--quiet", is_flag=True, help="only the serve log and failures")
def serve(configs: tuple[Path, ...], quiet: bool) -> None:
    """Fire the schedules of each CONFIG until stopped (SIGTERM or Ctrl-C).

    A pipeline never runs twice at once: a fire while the same schedule's previous run is
    going is skipped and recorded as skipped; a fire while another schedule's run is going
    waits for it to end. Fires missed while not serving are dropped (a schedule with
    `catch_up: true` runs once at start instead). The first SIGTERM or SIGINT lets the runs in
    progress finish (exit 0); a second one stops them, failing their running steps (exit 130).
    Each scheduled run is a normal run in its own process (`pipeflow run`), recorded in the
    history with trigger `schedule`.
    """
    from pipeflow.cli.serving import (
        NOT_STARTED,
        Ended,
        Runs,
        ServeLog,
        StillGoing,
        ended_as,
        signals,
    )
    from pipeflow.config.loader import load as load_config
    from pipeflow.history import record_failed_fire, record_skipped_fire
    from pipeflow.schedule.serve import Server, Target
    from pipeflow.schedule.triggers import numbered, schedule_key

    targets: list[Target] = []
    named: dict[str, Path] = {}
    for config in configs:
        loaded = load_config(config)  # every config checked before anything fires
        definition = loaded.pipeline
        one_pipeline_each(named, definition.name, config)
        targets.append(
            Target(
                name=definition.name,
                config=str(config),
                project_dir=definition.project_dir,
                schedules=definition.schedules,
            )
        )
    if not any(target.schedules for target in targets):  # a supervisor would see it succeed
        which = targets[0].config if len(targets) == 1 else "none of the configs given"
        raise UsageError(
            f"nothing to serve: {which} has no schedules",
            'add `schedules:` to the config (`- cron: "0 6 * * *"`, `- interval: 1h`)',
        )
    stop, abort = threading.Event(), threading.Event()
    # A closed stdout (its reader went away) stops serve as SIGTERM does (docs/schedules.md).
    log = ServeLog(on_closed=lambda: server.request_stop(stop, "stdout was closed"))
    runs = Runs(quiet=quiet, flush=log.flush)

    def run(target: Target, schedule: Any, when: datetime) -> object:
        number = target.schedules.index(schedule) + 1
        label = f"schedule {numbered(number, schedule)}"
        try:
            ended = runs.run(target, number, schedule_key(schedule))
        except StillGoing as going:
            log(f"{target.name} {label}: skipped the fire at {when.isoformat()}: {going}")
            skipped(target, schedule, when, str(going))
            return None
        code = ended.code
        if code == NOT_STARTED:
            reason = (
                f"{label}: the run could not start: the config or its params have problems "
                f"(exit code {code}; the run's output lists them)"
            )
            log(f"{target.name} {reason}; recorded as failed")
            # With what the run said of them: the history keeps why, after serve's log is gone.
            record_failed_fire(
                target.project_dir,
                pipeline=target.name,
                when=when,
                reason=f"{reason}:\n{ended.said}" if ended.said else reason,
                config_path=target.config,
                schedule=numbered(number, schedule),
            )
        else:
            log(f"{target.name} {label}: {ended_as(code, recorded(target, ended))}")
        return code

    def recorded(target: Target, ended: Ended) -> str | None:
        """The id of the run the fire's process recorded (None if the history has none)."""
        from pipeflow.history import HistoryError, open_history

        try:
            with open_history(target.project_dir) as history:
                return history.run_of_process(ended.pid, target.name, ended.started - 1)
        except (HistoryError, OSError):  # the run said so itself; serve goes on
            return None

    def skipped(target: Target, schedule: Any, when: datetime, reason: str) -> None:
        record_skipped_fire(
            target.project_dir,
            pipeline=target.name,
            when=when,
            reason=reason,
            config_path=target.config,
            schedule=numbered(target.schedules.index(schedule) + 1, schedule),
        )

    server = Server(targets, run=run, on_skip=skipped, log=log, interrupt=runs.interrupt)
    with signals(server, stop, abort, log):
        aborted = server.serve(stop, abort)
    if aborted:
        raise Interrupted(
            "serve was stopped by a second signal; the runs in progress were interrupted "
            "(their running steps failed); run them again to resume"
        )
