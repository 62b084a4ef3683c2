"""`pipeflow schema` and `pipeflow graph`."""

from __future__ import annotations

from pathlib import Path

import click

from pipeflow.cli.main import cli, config_argument


@cli.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="json: the JSON Schema, for editors; markdown: the config reference (docs/reference.md)",
)
def schema(output_format: str) -> None:
    """Print the JSON Schema of the config format (for editors and CI)."""
    if output_format == "markdown":
        from pipeflow.config.reference import markdown

        click.echo(markdown(), nl=False)
        return
    from pipeflow.config.schema import schema_text

    click.echo(schema_text())


@cli.command()
@config_argument
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
    graph = loaded.graph if loaded.graph is not None else StepGraph(steps)
    text = draw(steps, graph, output_format, title=loaded.pipeline.name)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
