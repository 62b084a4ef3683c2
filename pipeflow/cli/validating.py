"""`pipeflow validate`: check a config and its params, report every problem at once."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    warnings = [
        *_ignored_targets(pipeline),
        *_missing_reads(pipeline, loaded.params),
        *_ended_schedules(pipeline.schedules),
    ]
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


def _missing_reads(pipeline: Pipeline, params: Mapping[str, Any]) -> list[str]:
    """A warning for each local file a step's `reads:` names that does not exist and that no
    step writes (`writes:`, a `result.target`): valid, since something else may make it
    before the run (a download in CI), but as it stands the run fails at that step, after
    the steps before it ran."""
    from pipeflow.plan.files import WriteIndex, load_time_lookup, pipeline_files, step_files

    files = pipeline_files(pipeline, params)
    index = WriteIndex(files)
    targets = [target for found in files.values() for target in found.targets]
    lookup = load_time_lookup(params)
    said = []
    for name, step in pipeline.steps.items():
        if step.origin is not None or not step.reads:
            continue
        for read in step_files(pipeline, step, lookup, declared_only=True).reads:
            if read.remote or read.pattern or os.path.lexists(read.key):
                continue
            if next(index.writers(read), None) or any(read.overlaps(t) for t in targets):
                continue
            said.append(
                f"step `{name}` reads {read.text} (`reads:`), which does not exist, and no "
                "step writes it: the run fails at that step unless something makes it first; "
                "name the step that makes it in its `writes:`, or fix the path"
            )
    return said


def _ended_schedules(schedules: Sequence[Schedule]) -> list[str]:
    """A warning for each schedule with no fire time left (its `end` has passed, or comes
    before its next fire): valid, but `pipeflow serve` skips it, which a config kept for
    long may no longer mean."""
    from pipeflow.schedule.triggers import describe, ended

    now = datetime.now(timezone.utc)
    said = []
    for number, schedule in enumerate(schedules, 1):
        if ended(schedule, now):
            said.append(
                f"schedule {number} ({describe(schedule)}) never fires again: no fire time is "
                "left before its `end`; `pipeflow serve` skips it"
            )
    return said
