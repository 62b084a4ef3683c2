"""A pipeline's schedules for an external runner: crontab lines, a GitHub Actions workflow."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipeflow.model import jsontext
from pipeflow.model.pipeline import Pipeline, Schedule
from pipeflow.schedule.convert import cron_in_utc, interval_as_cron, portable
from pipeflow.schedule.cron import cron_fields, days_or
from pipeflow.schedule.interval import duration_text
from pipeflow.schedule.triggers import ENDED, describe, ended
from pipeflow.schedule.zones import (
    UTC,
    describe_dates,
    offset_periods,
    offset_text,
    parse_moment,
    zone_for,
)

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}
_NO_LIMITS = "cron cannot enforce `start`/`end`: this runs from when it is installed, for good"


@dataclass(frozen=True)
class Project:
    """Where a pipeline lives, as the exported commands need it."""

    directory: str  # the project folder, absolute (crontab lines `cd` there)
    config: str  # the config file, relative to `directory`
    workdir: str  # `directory` relative to the repository root ("." at the root)
    install: str  # the command that installs the project on a CI runner

    @classmethod
    def of(cls, pipeline: Pipeline) -> Project:
        directory = Path(pipeline.project_dir).resolve()
        config = Path(pipeline.source).resolve()
        root = _up(directory, (".git",)) or directory
        found = _up(directory, ("pyproject.toml", "setup.py", "requirements.txt"), stop=root)
        if found is None:
            install = "pip install pipeflow-runner"
        elif (found / "requirements.txt").exists() and not (
            (found / "pyproject.toml").exists() or (found / "setup.py").exists()
        ):
            install = f"pip install -r {_relative(found / 'requirements.txt', root)}"
        else:
            install = "pip install -e " + _relative(found, root)
        return cls(
            directory=str(directory),
            config=_relative(config, directory),
            workdir=_relative(directory, root),
            install=install,
        )


def _up(start: Path, names: tuple[str, ...], stop: Path | None = None) -> Path | None:
    """The nearest folder, from `start` up to `stop`, holding one of `names`."""
    for folder in (start, *start.parents):
        if any((folder / name).exists() for name in names):
            return folder
        if folder == stop:
            break
    return None


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def run_command(project: Project, params: Mapping[str, Any]) -> str:
    """`pipeflow run CONFIG --param K=V ...`, quoted for a POSIX shell."""
    words = ["pipeflow", "run", project.config]
    for key, value in _flat(params):
        words += ["--param", f"{key}={_param_text(value)}"]
    return " ".join(shlex.quote(word) for word in words)


def param_options(params: Mapping[str, Any]) -> list[str]:
    """The `KEY=VALUE` texts of `--param` that give these params (nested ones dotted)."""
    return [f"{key}={_param_text(value)}" for key, value in _flat(params)]


def _flat(params: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested params as dotted keys (`--param model.depth=4`), as a schedule merges them."""
    for key, value in params.items():
        if isinstance(value, Mapping) and value:
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _param_text(value: Any) -> str:
    """A value `--param` reads back (as YAML) to the same value."""
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return jsontext.dumps(value)


def params_text(params: Mapping[str, Any]) -> str:
    """`test_data_ratio=0.3, model.depth=4`."""
    return ", ".join(f"{key}={_param_text(value)}" for key, value in _flat(params))


# -- crontab -----------------------------------------------------------------------------------


def crontab(
    pipeline: Pipeline, project: Project | None = None, *, now: datetime | None = None
) -> str:
    """Crontab lines that run the pipeline on its schedules (CRON_TZ sets each line's zone),
    but those that never fire again from `now` on. ValueError when none can be written."""
    project = project or Project.of(pipeline)
    now = now or datetime.now(UTC)
    skipped: list[str] = []
    lines = [
        f"# The schedules of the pipeflow pipeline `{pipeline.name}` ({project.config}).",
        "# CRON_TZ sets the time zone of the lines below it. cronie (Fedora, RHEL, Arch, ...)",
        "# supports it; other crons may ignore it (see `man 5 crontab`) and read every line",
        "# in the system's time zone.",
        "# cron runs with a short PATH: make sure `pipeflow` is on it, e.g.",
        "# PATH=/path/to/venv/bin:/usr/bin:/bin",
    ]
    for index, schedule in enumerate(pipeline.schedules, start=1):
        lines += ["", f"# schedule {index}: {describe(schedule)}"]
        run = f"cd {shlex.quote(project.directory)} && {run_command(project, schedule.params)}"
        run = run.replace("%", "\\%")  # `%` ends a crontab command
        if ended(schedule, now):  # cron would run it for good
            lines.append(f"# not exported: {ENDED}; `pipeflow serve` skips it")
            skipped.append(f"schedule {index}: {describe(schedule)}: {ENDED}")
            continue
        if schedule.cron is not None:
            zone = schedule.timezone or "UTC"
            if not schedule.timezone:
                lines.append("# (no `timezone`: pipeflow reads this cron in UTC)")
            expression = portable(cron_fields(schedule.cron))  # not every cron knows `@daily`
        else:
            zone = "UTC"
            found = _interval_cron(schedule)
            if found is None:
                lines.append(f"# {_interval_problem(schedule)}")
                skipped.append(
                    f"schedule {index}: {describe(schedule)}: {_interval_problem(schedule)}"
                )
                continue
            expression = found
        if schedule.start or schedule.end:
            lines.append(f"# note: {_NO_LIMITS}")
        lines += [f"CRON_TZ={zone}", f"{expression} {run}"]
    if len(skipped) == len(pipeline.schedules):  # a crontab of comments would never run
        raise ValueError(
            "none of the schedules can be written as a crontab line: " + "; ".join(skipped)
        )
    return "\n".join(lines) + "\n"


def _interval_cron(schedule: Schedule) -> str | None:
    anchor = None
    if schedule.start:
        anchor = parse_moment(schedule.start, zone_for(schedule.timezone))
    return interval_as_cron(schedule.interval or 0, anchor)


def _interval_problem(schedule: Schedule) -> str:
    every = duration_text(schedule.interval or 0)
    return (
        f"every {every} cannot be exported: cron can only say whole minutes that divide an "
        "hour (1m-30m), whole hours that divide a day (1h-12h) or 1d, from a whole minute; "
        "run it with `pipeflow serve`, or write a cron schedule"
    )


# -- GitHub Actions ----------------------------------------------------------------------------


@dataclass
class _Job:
    index: int
    schedule: Schedule
    entries: dict[str, list[str]]  # UTC cron entry -> the offsets (`+0100`) it was made for
    notes: dict[str, str]  # UTC cron entry -> the dates it is for, shown above it
    problem: str | None = None  # why the schedule cannot be exported

    @property
    def guarded(self) -> bool:
        every = {offset for offsets in self.entries.values() for offset in offsets}
        return any(set(offsets) != every for offsets in self.entries.values())


def github_actions(
    pipeline: Pipeline,
    *,
    now: datetime,
    project: Project | None = None,
    python_version: str = "3.12",
    runs_on: str = "ubuntu-latest",
) -> str:
    """A GitHub Actions workflow (YAML text) running the pipeline on its schedules, in UTC.

    A zone with daylight saving gets one entry per UTC offset it uses in the year after
    `now`; all of them fire all year, so the job's first step skips a run whose entry was
    made for another offset than the zone has at that moment. ValueError when no schedule
    can be written as cron.
    """
    project = project or Project.of(pipeline)
    jobs: list[_Job] = []
    skipped: list[str] = []
    for index, schedule in enumerate(pipeline.schedules, start=1):
        job = _job(index, schedule, now)
        if job.problem is None:
            jobs.append(job)
        else:
            skipped.append(f"schedule {index}: {describe(schedule)}: {job.problem}")
    if not jobs:
        raise ValueError(
            "none of the schedules can be written as a GitHub Actions cron: " + "; ".join(skipped)
        )
    out = [
        f"# GitHub Actions workflow for the pipeflow pipeline `{pipeline.name}` "
        f"({project.config}),",
        f"# written by `pipeflow schedule {project.config} --export github-actions`.",
        "# Save it under .github/workflows/ in the repository. GitHub reads these cron",
        "# entries in UTC, so each schedule's times are converted to UTC below. (GitHub.com",
        "# now also accepts a `timezone:` key on an entry; UTC entries work where it does not.)",
        f"name: {_quote('pipeflow ' + pipeline.name)}",
        '"on":',
        "  schedule:",
    ]
    for job in jobs:
        out.append(f"    # schedule {job.index}: {describe(job.schedule)}")
        for entry in job.entries:
            if entry in job.notes:
                out.append(f"    # {job.notes[entry]}")
            out.append(f"    - cron: {_quote(entry)}")
        if job.guarded:
            zone = job.schedule.timezone
            out += [
                "    # GitHub cannot switch entries by date: all of them fire all year, and the",
                f"    # job's first step skips a run made for another UTC offset than {zone}",
                "    # has at that moment.",
            ]
        if job.schedule.start or job.schedule.end:
            out.append(f"    # note: {_NO_LIMITS.replace('cron', 'GitHub')}")
    for line in skipped:
        out.append(f"    # not exported: {line}")
    out += [
        "  workflow_dispatch:",
        "permissions:",
        "  contents: read",
        "concurrency:  # one run of this workflow at a time",
        f"  group: {_quote('pipeflow-' + pipeline.name)}",
        "  cancel-in-progress: false",
        "jobs:",
    ]
    for job in jobs:
        out += _job_yaml(job, pipeline, project, python_version, runs_on, len(jobs) > 1)
    return "\n".join(out) + "\n"


def _job(index: int, schedule: Schedule, now: datetime) -> _Job:
    job = _Job(index, schedule, {}, {})
    if ended(schedule, now):  # GitHub would run it for good
        job.problem = f"{ENDED}; `pipeflow serve` skips it"
        return job
    if schedule.cron is None:
        found = _interval_cron(schedule)
        if found is None:
            job.problem = _interval_problem(schedule)
        else:
            job.entries[found] = ["+0000"]
        return job
    zone = zone_for(schedule.timezone)
    periods = offset_periods(zone, now)
    offsets = list(dict.fromkeys(period.offset for period in periods))
    notes: dict[str, str] = {}
    for offset in offsets:
        entries = cron_in_utc(portable(cron_fields(schedule.cron)), offset)  # no `@daily`
        if entries is None:
            job.problem = (
                f"`{schedule.cron}` has no exact UTC form at UTC{offset_text(offset)} "
                f"({_why_not_utc(cron_fields(schedule.cron))}); write a cron in UTC, or use "
                "`pipeflow serve`"
            )
            return job
        short = offset_text(offset).replace(":", "")  # as `date +%z` prints it
        season = ""
        if len(offsets) == 2:
            season = " (summer)" if offset == max(offsets) else " (winter)"
        notes[short] = f"UTC{offset_text(offset)}{season}: {describe_dates(periods, offset)}"
        for entry in entries:
            job.entries.setdefault(entry, []).append(short)
    for entry, used in job.entries.items():
        if offsets == [timedelta(0)]:
            continue  # UTC: nothing to explain
        if len(offsets) == 1:
            job.notes[entry] = f"{zone.key}, UTC{offset_text(offsets[0])} all year"
        elif len(used) == len(offsets):
            job.notes[entry] = f"{zone.key}, the same entry at every offset"
        else:
            job.notes[entry] = f"{zone.key}, " + "; ".join(notes[short] for short in used)
    return job


def _why_not_utc(expression: str) -> str:
    fields = expression.split()
    if not days_or(expression) and "*" not in (fields[2], fields[4]):
        return "a day must match both its day fields, which lists moved by a day cannot say"
    return "its days would cross a month's end"


def _job_yaml(
    job: _Job,
    pipeline: Pipeline,
    project: Project,
    python_version: str,
    runs_on: str,
    several: bool,
) -> list[str]:
    out = [f"  schedule-{job.index}:", f"    name: {_quote(describe(job.schedule))}"]
    if several:
        tests = [f"github.event.schedule == '{entry}'" for entry in job.entries]
        expression = " || ".join(["github.event_name != 'schedule'", *tests])
        out.append(f"    if: {_quote(expression, expression=True)}")
    out += [f"    runs-on: {runs_on}", "    steps:"]
    condition: list[str] = []
    if job.guarded:
        out += _guard(job)
        condition = ["        if: steps.local-time.outputs.run == 'true'"]
    run = run_command(project, job.schedule.params)
    out += [
        "      - name: Check out the repository",
        *condition,
        "        uses: actions/checkout@v4",
        "      - name: Set up Python",
        *condition,
        "        uses: actions/setup-python@v5",
        "        with:",
        f"          python-version: {_quote(python_version)}",
        "      - name: Install the project",
        *condition,
        f"        run: {_quote(project.install)}",
        f"      - name: {_quote('Run ' + pipeline.name)}",
        *condition,
    ]
    if project.workdir != ".":
        out.append(f"        working-directory: {_quote(project.workdir)}")
    out.append(f"        run: {_quote(run)}")
    return out


def _guard(job: _Job) -> list[str]:
    """The first step: is the zone at the offset the entry that fired was made for?"""
    zone = job.schedule.timezone or "UTC"
    script = [
        f'offset="$(TZ={zone} date +%z)"',
        f'local_time="$(TZ={zone} date +%H:%M)"',
        'case "$FIRED_BY" in',
    ]
    for entry, offsets in job.entries.items():
        script.append(f'  "{entry}") expected="{" ".join(offsets)}" ;;')
    script += [
        '  *) expected="$offset" ;;  # started by hand (workflow_dispatch)',
        "esac",
        'case " $expected " in',
        '  *" $offset "*)',
        f'    echo "{zone}: $local_time, UTC$offset: running"',
        '    echo "run=true" >> "$GITHUB_OUTPUT" ;;',
        "  *)",
        f'    echo "{zone}: $local_time, UTC$offset; this entry is for UTC$expected: skipping"',
        '    echo "run=false" >> "$GITHUB_OUTPUT" ;;',
        "esac",
    ]
    return [
        f"      - name: {_quote('Check the local time in ' + zone)}",
        "        id: local-time",
        "        shell: bash",
        "        env:",
        "          FIRED_BY: ${{ github.event.schedule }}",
        "        run: |",
        *(f"          {line}" for line in script),
    ]


def _quote(text: str, *, expression: bool = False) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML). GitHub evaluates
    `${{ ... }}` in a workflow's values before anything else reads them: unless the text is
    an expression (`if:`), each `${{` is written as the expression that gives it back."""
    if not expression:
        text = text.replace("${{", "${{ '${{' }}")
    return jsontext.dumps(text)
