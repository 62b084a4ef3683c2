"""`pipeflow validate`: check a config and its params, report every problem at once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeflow.cli.main import cli, config_argument, param_options, starting
from pipeflow.model import jsontext


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
    steps = len(loaded.pipeline.steps)
    if output_format == "json":
        summary = {"valid": True, "pipeline": loaded.pipeline.name, "steps": steps, "problems": []}
        click.echo(jsontext.dumps(summary, indent=2))
    else:
        noun = "step" if steps == 1 else "steps"
        click.echo(f"{config}: pipeline `{loaded.pipeline.name}` is valid ({steps} {noun})")
