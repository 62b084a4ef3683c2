"""`pipeflow` commands. Heavy modules are imported inside commands so `--help` stays fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from pipeflow import __version__
from pipeflow.errors import Interrupted, PipeflowError, StepFailed

VERBOSITY_HELP = "more detail (-v) or only failures and the summary (-q)"


class PipeflowGroup(click.Group):
    """Maps pipeflow's exceptions to their exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PipeflowError as error:
            click.echo(error.format(), err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(Interrupted.exit_code)


@click.group(cls=PipeflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="pipeflow")
def cli() -> None:
    """pipeflow: run declarative pipelines of plain Python functions.

    A YAML or TOML config names the steps, their inputs and where results go;
    `pipeflow validate` checks it, `pipeflow run` runs it.
    """


def _config_argument(function: Any) -> Any:
    return click.argument(
        "config", type=click.Path(dir_okay=True, path_type=Path), metavar="CONFIG"
    )(function)


def _param_options(function: Any) -> Any:
    function = click.option(
        "--allow-extra-params",
        is_flag=True,
        help="accept params the config does not declare",
    )(function)
    function = click.option(
        "--param",
        "param_options",
        multiple=True,
        metavar="KEY=VALUE",
        help="override one param (VALUE read as YAML; dotted KEY for nesting); repeatable",
    )(function)
    function = click.option(
        "--param-file",
        "param_files",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="FILE",
        help="a JSON, YAML or TOML file of params; repeatable, later files win",
    )(function)
    return function


@cli.command()
@_config_argument
@_param_options
@click.option(
    "--executor",
    type=click.Choice(["sequential", "threads", "processes", "dask"]),
    help="where steps run (default: the config's `executor`)",
)
@click.option("--workers", type=click.IntRange(min=1), help="number of workers")
@click.option("--results", metavar="URL", help="store results here instead of `results.root`")
@click.option("--keep-going", is_flag=True, help="after a failure, run all that does not need it")
@click.option("--dry-run", is_flag=True, help="print the plan and run nothing")
@click.option("-v", "--verbose", count=True, help=VERBOSITY_HELP)
@click.option("-q", "--quiet", is_flag=True, help=VERBOSITY_HELP)
def run(
    config: Path,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    executor: str | None,
    workers: int | None,
    results: str | None,
    keep_going: bool,
    dry_run: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Validate CONFIG, then run its steps."""
    from pipeflow.api import load
    from pipeflow.report.console import NORMAL, QUIET, VERBOSE, ConsoleReporter
    from pipeflow.report.drawing import plan_table

    pipeline = load(
        config,
        param_files=param_files,
        param_options=param_options,
        allow_extra_params=allow_extra_params,
    )
    if dry_run:
        click.echo(f"plan for pipeline `{pipeline.name}` (nothing is run):")
        click.echo(plan_table(pipeline.plan()), nl=False)
        return
    verbosity = QUIET if quiet else VERBOSE if verbose else NORMAL
    reporter = ConsoleReporter(sys.stdout, verbosity=verbosity)
    result = pipeline.run(
        executor=executor,
        workers=workers,
        results=results,
        keep_going=keep_going,
        subscribers=[reporter],
    )
    if not result.ok:
        failed = [n for n, o in result.outcomes.items() if o.state.value == "failed"]
        names = ", ".join(f"`{n}`" for n in failed)
        raise StepFailed(failed, f"pipeline `{pipeline.name}` failed: step {names} raised")


@cli.command()
@_config_argument
@_param_options
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
    output_format: str,
) -> None:
    """Check CONFIG (and params) and report every problem at once; runs nothing."""
    from pipeflow.config.loader import load
    from pipeflow.errors import ConfigError

    try:
        loaded = load(
            config,
            param_files=param_files,
            param_options=param_options,
            allow_extra_params=allow_extra_params,
        )
    except ConfigError as error:
        if output_format == "json":
            problems = [problem.as_dict() for problem in error.problems]
            click.echo(json.dumps({"valid": False, "problems": problems}, indent=2))
            sys.exit(error.exit_code)
        raise
    steps = len(loaded.pipeline.steps)
    if output_format == "json":
        summary = {"valid": True, "pipeline": loaded.pipeline.name, "steps": steps, "problems": []}
        click.echo(json.dumps(summary, indent=2))
    else:
        noun = "step" if steps == 1 else "steps"
        click.echo(f"{config}: pipeline `{loaded.pipeline.name}` is valid ({steps} {noun})")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the config format (for editors and CI)."""
    from pipeflow.config.schema import schema_text

    click.echo(schema_text())


@cli.command()
@_config_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["mermaid", "dot", "ascii"]),
    default="ascii",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="write to FILE")
def graph(config: Path, output_format: str, output: Path | None) -> None:
    """Draw the step graph of CONFIG."""
    from pipeflow.config.loader import load
    from pipeflow.plan.graph import StepGraph
    from pipeflow.report.drawing import draw

    loaded = load(config, check_code=False)
    steps = loaded.pipeline.steps
    text = draw(steps, StepGraph(steps), output_format, title=loaded.pipeline.name)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")


def main() -> None:
    """The console script."""
    cli(prog_name="pipeflow")
