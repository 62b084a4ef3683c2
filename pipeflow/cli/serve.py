"""`pipeflow serve CONFIG...`: run the pipelines' schedules, with no server but this process."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from pipeflow.cli.main import cli


@cli.command()
@click.argument(
    "configs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="CONFIG..."
)
@click.option("-q", "--quiet", is_flag=True, help="only the serve log and failures")
def serve(configs: tuple[Path, ...], quiet: bool) -> None:
    """Fire the schedules of each CONFIG until stopped (SIGTERM or Ctrl-C).

    A pipeline never runs twice at once: a fire while its previous run is going is skipped
    and recorded as skipped. Fires missed while not serving are dropped (a schedule with
    `catch_up: true` runs once at start instead). Stopping lets the runs in progress finish.
    Each scheduled run is a normal run, recorded in the history with trigger `schedule`.
    """
    from pipeflow.api import load
    from pipeflow.config.loader import load as load_config
    from pipeflow.history import record_skipped_fire
    from pipeflow.report.console import NORMAL, QUIET, ConsoleReporter
    from pipeflow.schedule.serve import Server, Target

    targets: list[Target] = []
    for config in configs:
        loaded = load_config(config)  # every config checked before anything fires
        definition = loaded.pipeline
        targets.append(
            Target(
                name=definition.name,
                config=str(config),
                project_dir=definition.project_dir,
                schedules=definition.schedules,
            )
        )
    names = [t.name for t in targets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        from pipeflow.errors import UsageError

        raise UsageError(
            f"two configs name the same pipeline `{duplicates[0]}`",
            hint="give each pipeline its own `name:`",
        )
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock:
            click.echo(
                f"serve | {datetime.now().astimezone().isoformat(timespec='seconds')} {line}"
            )

    def run(target: Target, schedule: Any, when: datetime) -> object:
        reporter = ConsoleReporter(sys.stdout, verbosity=QUIET if quiet else NORMAL)
        pipeline = load(target.config, params=dict(schedule.params))
        result = pipeline.run(subscribers=[reporter], trigger="schedule")
        log(f"{target.name}: run {result.id} {'succeeded' if result.ok else 'failed'}")
        return result

    def skipped(target: Target, schedule: Any, when: datetime, reason: str) -> None:
        record_skipped_fire(
            target.project_dir,
            pipeline=target.name,
            when=when,
            reason=reason,
            config_path=target.config,
        )

    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        del frame
        log(f"received {signal.Signals(signum).name}; no new runs will start")
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        Server(targets, run=run, on_skip=skipped, log=log).serve(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
