"""`pipeflow schedule`: the next fire times of a pipeline's schedules, or an export of them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeflow.cli.main import cli, config_argument

if TYPE_CHECKING:
    from pipeflow.model.pipeline import Schedule

DEFAULT_COUNT = 5
MAX_COUNT = 10_000  # fire times are listed whole: a bound keeps memory and output sane


@cli.command()
@config_argument
@click.option(
    "--next",
    "count",
    type=click.IntRange(min=1, max=MAX_COUNT),
    metavar="N",
    help=f"how many fire times to list per schedule (default {DEFAULT_COUNT}, "
    f"at most {MAX_COUNT:,})",
)
@click.option(
    "--export",
    "export",
    type=click.Choice(["crontab", "github-actions"]),
    help="write the schedules for an external runner instead",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="write the export to FILE")
@click.option(
    "--after",
    metavar="TIME",
    help="count from this ISO 8601 time instead of now (no offset: UTC)",
)
def schedule(
    config: Path,
    count: int | None,
    export: str | None,
    output: Path | None,
    after: str | None,
) -> None:
    """List the next fire times of CONFIG's schedules, or export them (crontab, GitHub Actions).

    Times are shown in the schedule's time zone and in UTC. An interval without `start`
    counts from TIME (or now) here; `pipeflow serve` counts it from when it starts.
    """
    from pipeflow.config.loader import load

    if export is not None and count is not None:
        raise click.UsageError("--next lists fire times; it does not go with --export")
    if export is None and output is not None:
        raise click.UsageError("-o/--output writes an export: add --export crontab|github-actions")
    from pipeflow.report.outputs import check_output_file, write_output

    check_output_file(output, "-o", config=config)
    moment = _moment(after)
    pipeline = load(config, check_code=False).pipeline
    if not pipeline.schedules:
        if export is not None:  # an empty export, or this text in it, would be no schedule
            from pipeflow.errors import UsageError

            raise UsageError(
                f"{config}: pipeline `{pipeline.name}` has no schedules to export",
                'add `schedules:` to the config (`- cron: "0 6 * * *"`)',
            )
        click.echo(f"{config}: pipeline `{pipeline.name}` has no schedules (add `schedules:`)")
        return
    if export is None:
        click.echo(_listing(pipeline.name, pipeline.schedules, moment, count or DEFAULT_COUNT))
        return
    from pipeflow.errors import UsageError
    from pipeflow.schedule.export import crontab, github_actions

    try:
        if export == "crontab":
            text = crontab(pipeline, now=moment)
        else:
            text = github_actions(pipeline, now=moment)
    except ValueError as error:  # none of the schedules can be written
        raise UsageError(str(error)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text)
        click.echo(f"wrote {output}", err=True)  # stdout may be where it wrote


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 time, e.g. 2026-05-11T06:00:00+02:00",
            param_hint="--after",
        ) from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    from pipeflow.model.durations import FIRST_YEAR, LAST_YEAR

    try:  # the years a schedule's `start` and `end` may take (on every zone's clock)
        year = moment.astimezone(timezone.utc).year
    except OverflowError:
        year = 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise click.BadParameter(
            f"{text!r} is not between the years {FIRST_YEAR} and {LAST_YEAR} (in UTC), the "
            "years fire times are counted in",
            param_hint="--after",
        )
    return moment


def _listing(name: str, schedules: tuple[Schedule, ...], moment: datetime, count: int) -> str:
    from pipeflow.schedule.export import params_text
    from pipeflow.schedule.triggers import describe, next_times, shown_moment, trigger_for

    plural = "s" if len(schedules) != 1 else ""
    lines = [f"{name}: {len(schedules)} schedule{plural}, times after {_iso(moment)}"]
    for index, schedule in enumerate(schedules, start=1):
        lines += ["", f"schedule {index}: {describe(schedule)}"]
        if schedule.interval is not None and not schedule.start:
            lines.append(
                "  no `start`: counted here from the time above; `serve` counts from its start"
            )
        if schedule.params:
            lines.append(f"  params: {params_text(schedule.params)}")
        trigger = trigger_for(schedule, anchor=moment)
        times = next_times(trigger, moment, count)
        for fire in times:
            lines.append(f"  {_iso(fire)}  = {_iso(fire.astimezone(timezone.utc))}")
        if len(times) < count:
            end = shown_moment(schedule.end, schedule.timezone) if schedule.end else ""
            ended = f" (`end` is {end})" if end else ""
            lines.append(f"  no {'more ' if times else ''}fire times{ended}")
    return "\n".join(lines)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
