"""`pipeflow init`: a starter project, or (with --step) a new step in an existing one."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from pipeflow.cli.completion import complete_step
from pipeflow.cli.main import cli
from pipeflow.errors import UsageError


@cli.command("init")
@click.argument(
    "folder", default=".", type=click.Path(file_okay=True, path_type=Path), metavar="[DIR]"
)
@click.option("--name", metavar="NAME", help="the pipeline's name  [default: the folder's name]")
@click.option(
    "--format",
    "config_format",
    type=click.Choice(["yaml", "toml"]),
    help="write pipeline.yaml or pipeline.toml  [default: yaml]",
)
@click.option("--force", is_flag=True, help="overwrite files of the starter that exist")
@click.option(
    "--step",
    metavar="NAME",
    help="instead of a project, add step NAME to the config and a stub to its steps module",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="the config --step adds to  [default: pipeline.yaml or pipeline.toml in DIR]",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="STEP",
    shell_complete=complete_step,
    help="with --step: pass STEP's value to the new step (STEP.OUTPUT: an output of the "
    "sub-pipeline STEP runs; repeatable)",
)
@click.option(
    "--after",
    multiple=True,
    metavar="STEP",
    shell_complete=complete_step,
    help="with --step: run after STEP without taking its value (repeatable)",
)
def init_command(
    folder: Path,
    name: str | None,
    config_format: str | None,
    force: bool,
    step: str | None,
    config: Path | None,
    inputs: tuple[str, ...],
    after: tuple[str, ...],
) -> None:
    """Write a starter project into DIR (default: here) that validates, runs and tests as is.

    With --step NAME, add a step to an existing config instead, keeping its comments and
    layout, and a function stub for it to the module its other steps live in.
    """
    from pipeflow.config import scaffold

    if step is None:
        step_only = {"--config": config is not None, "--input": inputs, "--after": after}
        for option, given in step_only.items():
            if given:
                raise UsageError(f"{option} only applies with --step NAME")
        from pipeflow.report.outputs import check_output_folder

        check_output_folder(folder, "")
        written = scaffold.create_project(
            folder, name=name, config_format=config_format or "yaml", force=force
        )
        _report_project(folder, written)
        return
    creation_only = {"--name": name, "--format": config_format, "--force": force}
    for option, given in creation_only.items():
        if given:
            raise UsageError(
                f"{option} applies when creating a project, not with --step",
                hint="drop it, or run `pipeflow init DIR` without --step",
            )
    added = scaffold.add_step(
        config if config is not None else scaffold.find_config(folder),
        step,
        inputs=inputs,
        after=after,
    )
    click.echo(f"added step `{added.name}` to {added.config} (run: {added.run})")
    click.echo(f"wrote a stub of `{added.name}` in {added.module}: fill it in")
    for note in added.notes:
        click.echo(f"note: {note}")
    click.echo("next:")
    click.echo(f"  pipeflow validate {_shell(added.config)}")


def _report_project(folder: Path, written: list[Path]) -> None:
    click.echo(f"created a pipeflow project in {folder}:")
    for path in written:
        click.echo(f"  {_shell(path)}")
    config = next(path for path in written if path.name.startswith("pipeline."))
    params = folder / "params" / "params.json"
    click.echo("next:")
    click.echo(f"  pipeflow validate {_shell(config)}")
    click.echo(f"  pipeflow run {_shell(config)} --param-file {_shell(params)}")
    click.echo(f"  pipeflow status {_shell(config)} --param-file {_shell(params)}")
    tests = "python -m pytest"
    here = os.path.normpath(folder) == "."
    click.echo(f"  {tests}" if here else f"  cd {_shell(folder)} && {tests}")


def _shell(path: Path) -> str:
    """A path as the user would type it: relative to here when it is under here, quoted."""
    return shlex.quote(os.path.normpath(path))
