"""`pipeflow run` and `pipeflow validate`."""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from pipeflow.cli.completion import complete_step, complete_tag
from pipeflow.cli.main import (
    VERBOSITY_HELP,
    cli,
    config_argument,
    load_with_params,
    param_options,
)
from pipeflow.errors import StaleResults, StepFailed

if TYPE_CHECKING:
    from pipeflow.errors import ConfigError


def _no_config_forced(context: click.Context, _: Any, values: tuple[str, ...]) -> Any:
    """`run --force pipeline.yaml`: --force took the config as its STEP (a step's name has no
    dot), and click would only say that CONFIG is missing."""
    for value in values:
        if "." in value and os.path.isfile(value):
            raise click.UsageError(
                f"`--force {value}` takes `{value}` as the step to force, not as the config; "
                f"give the config first (`pipeflow {context.info_name} {value} --force`), or "
                "a step after --force (`--force STEP`)",
                context,
            )
    return values


def _one_step(context: click.Context, parameter: click.Parameter, values: tuple[str, ...]) -> Any:
    """--from and --until take one step: given twice, click would keep the last one and drop
    the other without a word."""
    steps = list(dict.fromkeys(values))
    if len(steps) > 1:
        from pipeflow.errors import UsageError

        option = parameter.opts[0]
        listed = ", ".join(f"`{step}`" for step in steps)
        raise UsageError(
            f"{option} takes one step, and it is given {len(steps)}: {listed}",
            hint=f"give {option} once; to run chosen steps, name each with --only STEP",
        )
    return steps[0] if steps else None


def selection_options(function: Any) -> Any:
    """--force, --no-cache, --only, --from, --until, --tag: shared by run, status."""
    for option in reversed(
        [
            click.option(
                "--force",
                "force",
                multiple=True,
                is_flag=False,
                flag_value="*",  # model.run.ALL, not imported for --help (a test checks)
                metavar="[STEP]",
                shell_complete=complete_step,
                callback=_no_config_forced,
                help="ignore the cache: for every step, or for STEP and all after it",
            ),
            click.option("--no-cache", is_flag=True, help="neither read nor write the cache"),
            click.option(
                "--only",
                multiple=True,
                metavar="STEP",
                shell_complete=complete_step,
                help="run only this step (repeatable; a sub-pipeline's name: all its steps)",
            ),
            click.option(
                "--from",
                "start",
                multiple=True,
                callback=_one_step,
                metavar="STEP",
                shell_complete=complete_step,
                help="run STEP and all after it",
            ),
            click.option(
                "--until",
                multiple=True,
                callback=_one_step,
                metavar="STEP",
                shell_complete=complete_step,
                help="run STEP and all it needs",
            ),
            click.option(
                "--tag",
                "tags",
                multiple=True,
                metavar="TAG",
                shell_complete=complete_tag,
                help="run the steps that have this tag (repeatable: any of them); with "
                "--only/--from/--until, the steps that all of them select",
            ),
            click.option(
                "--results", metavar="URL", help="use this store instead of `results.root`"
            ),
        ]
    ):
        function = option(function)
    return function


@cli.command()
@config_argument
@param_options
@selection_options
@click.option(
    "--executor",
    type=click.Choice(["sequential", "threads", "processes", "dask"]),
    help="where steps run (default: the config's `executor`)",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="how many threads or processes run steps, or (dask) the workers of the local cluster "
    "started for the run (not with an address or a `cluster` class)",
)
@click.option(
    "--address",
    metavar="URL",
    help="the Dask scheduler to run on, e.g. tcp://host:8786 (with `--executor dask`; "
    "default: the config's `executor.address`, else a local cluster started for the run)",
)
@click.option("--keep-going", is_flag=True, help="after a failure, run all that does not need it")
@click.option("--dry-run", is_flag=True, help="print the plan (what runs, what is cached, why)")
@click.option("--frozen", is_flag=True, help="fail (exit 3) if any step would have to run")
@click.option("-v", "--verbose", count=True, help=VERBOSITY_HELP)
@click.option("-q", "--quiet", is_flag=True, help=VERBOSITY_HELP)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "plain", "json"]),
    default="auto",
    show_default=True,
    help="auto: live progress on a terminal, one plain line per event otherwise",
)
@click.option(
    "--json",
    "json_report",
    metavar="FILE|-",
    help="write a JSON report of the run to FILE at the end (`-`: stdout, and the progress "
    "goes to stderr)",
)
@click.option("--junit", "junit_report", metavar="FILE", help="write a JUnit XML report to FILE")
@click.option(
    "--trigger",
    type=click.Choice(["manual", "schedule", "ci"]),
    hidden=True,  # `serve` runs each scheduled run as `pipeflow run --trigger schedule`
    help="what started the run, as the history records it",
)
@click.option(
    "--schedule-key",
    hidden=True,  # ... and what its `--schedule N` was when serve read the config
    help="the trigger of the schedule that fired, should the config's schedules have changed",
)
def run(
    config: Path,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    force: tuple[str, ...],
    no_cache: bool,
    only: tuple[str, ...],
    start: str | None,
    until: str | None,
    tags: tuple[str, ...],
    results: str | None,
    executor: str | None,
    workers: int | None,
    address: str | None,
    keep_going: bool,
    dry_run: bool,
    frozen: bool,
    verbose: int,
    quiet: bool,
    log_format: str,
    json_report: str | None,
    junit_report: str | None,
    trigger: str | None,
    schedule: int | None,
    schedule_key: str | None,
) -> None:
    """Validate CONFIG, then run its steps (taking what is up to date from the cache)."""
    from pipeflow.cli.stdout import kept_stdout, unseen_when_closed
    from pipeflow.errors import ConfigError, UsageError
    from pipeflow.report.ci_files import ReportFiles
    from pipeflow.report.console import NORMAL, QUIET, VERBOSE
    from pipeflow.report.drawing import plan_table

    if frozen and (force or no_cache):
        # --frozen proves the stored results current; these ask to run steps whatever is stored.
        which = "--force" if force else "--no-cache"
        raise UsageError(
            f"--frozen fails on any step that would run, and {which} makes steps run whatever "
            "is stored: they cannot go together",
            hint=f"drop {which} to check the stored results, or --frozen to run",
        )
    if verbose and quiet:
        raise UsageError(
            "-v asks for more detail and -q for less: they cannot go together",
            hint="keep one of them",
        )
    reports = ReportFiles(str(config), json_report, junit_report, names=("--json", "--junit"))
    if dry_run and reports.wanted:
        raise UsageError(
            "--json and --junit report a run; --dry-run runs nothing",
            hint="for the plan as JSON, use `pipeflow status CONFIG --json`",
        )
    # A document on stdout (the JSON report, or JSON lines) stays alone there: while the run
    # goes, descriptor 1 points at stderr, for what steps write below `sys.stdout`.
    report_out = "-" in (json_report, junit_report)
    machine = report_out or log_format == "json"
    with kept_stdout() if machine else nullcontext(sys.stdout) as shown_on:
        stdout = unseen_when_closed(shown_on)  # `| head -1`: the run goes on unseen
        reports.stdout = stdout
        # With `--json -` (or `--junit -`) stdout carries the report alone: progress and
        # annotations on stderr.
        stream = sys.stderr if report_out else stdout
        try:
            pipeline = load_with_params(
                config,
                param_files,
                param_options,
                allow_extra_params,
                results,
                schedule,
                schedule_key,
                executor,
            )
        except ConfigError as error:
            annotate(error, stream)
            if reports.wanted:
                from pipeflow.config.reader import declared_name  # the config names its pipeline

                reports.not_run(declared_name(config), error)
            raise
        selection: dict[str, Any] = {
            "force": force,
            "no_cache": no_cache,
            "only": only,
            "start": start,
            "until": until,
            "tags": tags,
            "results": results,
        }
        if dry_run:
            from pipeflow.api.preparing import MissingResults, is_stale, stale_results

            try:
                decisions = pipeline.plan(**selection, frozen=frozen)
            except MissingResults as missing:
                if frozen:  # exit 3, as the run it previews would
                    stale_error = stale_results(pipeline.name, missing.reasons)
                    annotate_stale(stale_error, stream)
                    raise stale_error from None
                annotate(missing, stream)
                raise
            except ConfigError as error:
                annotate(error, stream)
                raise
            click.echo(f"plan for pipeline `{pipeline.name}` (nothing is run):", file=stdout)
            # Each step's description under it, as `status` shows them.
            described = pipeline.definition.steps
            click.echo(plan_table(decisions, described), nl=False, file=stdout)
            stale = {d.step: d.reason for d in decisions if is_stale(d)}
            if frozen and stale:  # exit 3, as the run it previews would
                stale_error = stale_results(pipeline.name, stale, decisions)
                annotate_stale(stale_error, stream)
                raise stale_error
            return
        verbosity = QUIET if quiet else VERBOSE if verbose else NORMAL
        definitions = pipeline.definition.steps.items()
        fans = frozenset(name for name, step in definitions if step.foreach is not None)
        subscribers = [make_reporter(log_format, verbosity, stream, fans)]
        # Not among JSON lines: those are events, one per line, for programs.
        shown = sys.stderr if log_format == "json" else stream

        def dashboard(link: str) -> None:
            if not quiet:
                click.echo(pipeline.mask(f"Dask dashboard: {link}"), file=shown)

        try:
            result = pipeline.run(
                executor=executor,
                workers=workers,
                address=address,
                keep_going=keep_going,
                frozen=frozen,
                subscribers=subscribers,
                trigger=trigger
                or ("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "manual"),
                on_dashboard=dashboard,
                # Reported by the run, a run refused before it started (`--frozen`) included.
                json=stdout if json_report == "-" else json_report,
                junit=stdout if junit_report == "-" else junit_report,
                **selection,
            )
        except ConfigError as error:
            annotate(error, stream)
            raise
        except StaleResults as error:
            annotate_stale(error, stream)
            raise
        if not result.ok:
            failed = [n for n, o in result.outcomes.items() if o.state.value == "failed"]
            from pipeflow.report.annotations import failure_lines

            for line in failure_lines([result.outcomes[name] for name in failed]):
                click.echo(line, file=stream)  # on GitHub Actions, at the line that raised
            names = ", ".join(f"`{n}`" for n in failed)
            # Raised, timed out, given inputs it could not take, lost its worker: each said above.
            steps = "step" if len(failed) == 1 else "steps"
            raise StepFailed(failed, f"pipeline `{pipeline.name}` failed: {steps} {names} failed")


def make_reporter(
    log_format: str,
    verbosity: int,
    stream: TextIO | None = None,
    foreach: frozenset[str] = frozenset(),
) -> Any:
    """The subscriber that shows a run: live on a terminal, plain lines, or JSON lines.
    `foreach`: the names of the pipeline's `foreach` steps."""
    from pipeflow.model.escaping import takes_utf8
    from pipeflow.report.console import NORMAL, ConsoleReporter

    stream = stream or sys.stdout
    if log_format == "json":
        from pipeflow.report.jsonlines import JsonLinesReporter

        return JsonLinesReporter(stream)
    # The live display draws with characters (✔, ━) a terminal that is not UTF-8 lacks.
    if log_format == "auto" and verbosity == NORMAL and stream.isatty() and takes_utf8(stream):
        from pipeflow.report.live import LiveReporter

        return LiveReporter(stream)
    return ConsoleReporter(stream, verbosity=verbosity, foreach=foreach)


def annotate_stale(error: StaleResults, stream: TextIO) -> None:
    """On GitHub Actions, each step `--frozen` found would run as an `::error` line."""
    from pipeflow.report.annotations import stale_lines

    for line in stale_lines(error.steps):
        click.echo(line, file=stream)


def annotate(error: ConfigError, stream: TextIO) -> None:
    """On GitHub Actions, each problem also as an `::error` line GitHub pins to the file."""
    from pipeflow.report.annotations import annotation_lines, running_on_github

    if running_on_github():
        for line in annotation_lines(error.problems):
            click.echo(line, file=stream)
