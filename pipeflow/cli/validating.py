"""`pipeflow validate`: check a config and its params, report every problem at once."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeflow.cli.main import cli, config_argument, param_options, starting
from pipeflow.model import jsontext

if TYPE_CHECKING:
    from pipeflow.model.pipeline import Pipeline, Schedule


@cli.command()
@config_argument
@param_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def validate(
    config: Path,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    schedule: int | None,
    output_format: str,
) -> None:
    """Check CONFIG (and params) and report every problem at once; runs nothing."""

    from pipeflow.cli.running import annotate
    from pipeflow.errors import ConfigError

    try:
        with starting():
            from pipeflow.config.loader import load

            loaded = load(
                config,
                param_files=param_files,
                param_options=param_options,
                allow_extra_params=allow_extra_params,
                schedule=schedule,
            )
    except ConfigError as error:
        annotate(error, sys.stdout)
        if output_format == "json":
            problems = [problem.as_dict() for problem in error.problems]
            click.echo(jsontext.dumps({"valid": False, "problems": problems}, indent=2))
            sys.exit(error.exit_code)
        raise
    pipeline = loaded.pipeline
    steps = len(pipeline.steps)
    warnings = [*_ignored_targets(pipeline), *_ended_schedules(pipeline.schedules)]
    if output_format == "json":
        summary = {
            "valid": True,
            "pipeline": pipeline.name,
            "steps": steps,
            "problems": [],
            "warnings": warnings,
        }
        click.echo(jsontext.dumps(summary, indent=2))
    else:
        noun = "step" if steps == 1 else "steps"
        click.echo(f"{config}: pipeline `{pipeline.name}` is valid ({steps} {noun})")
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)


def _ignored_targets(pipeline: Pipeline) -> list[str]:
    """A warning for each step whose `result.target` is never written because the config
    stores nothing (`results.persist: false`): valid, but the file it names never appears."""
    if pipeline.results.persist:
        return []
    return [
        f"step `{name}` has `result.target: {step.result.target}`, but `results.persist: "
        "false` stores nothing, so that file is never written; remove `persist: false` (or "
        "the target)"
        for name, step in pipeline.steps.items()
        if step.origin is None and step.result.target is not None
    ]


def _ended_schedules(schedules: Sequence[Schedule]) -> list[str]:
    """A warning for each schedule with no fire time left (its `end` has passed, or comes
    before its next fire): valid, but `pipeflow serve` skips it, which a config kept for
    long may no longer mean."""
    from pipeflow.schedule.triggers import describe, next_at_or_after, trigger_for

    now = datetime.now(timezone.utc)
    said = []
    for number, schedule in enumerate(schedules, 1):
        if schedule.end and next_at_or_after(trigger_for(schedule, anchor=now), now) is None:
            said.append(
                f"schedule {number} ({describe(schedule)}) never fires again: no fire time is "
                "left before its `end`; `pipeflow serve` skips it"
            )
    return said
