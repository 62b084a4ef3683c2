"""`pipeflow schema` and `pipeflow graph`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeflow.cli.history import home_option
from pipeflow.cli.main import cli, config_argument
from pipeflow.errors import UsageError


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


GRAPH_FORMATS = ("ascii", "mermaid", "dot", "svg", "png")  # spelled out: --help imports no report
PICTURES = ("svg", "png")
# The format a file of each extension holds: `-o graph.svg` draws SVG, and refuses --format dot.
EXTENSIONS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid"}


@cli.command()
@config_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(GRAPH_FORMATS),
    help="text (ascii, mermaid, dot) or a picture (svg, png; png needs -o FILE on a terminal); "
    "default: the one -o FILE's extension names (.svg .png .dot .gv .mmd), else ascii",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="write to FILE")
@click.option(
    "--run",
    "run_id",
    metavar="ID",
    help="colour each step by its state in run ID (or `last`, this pipeline's newest run), "
    "with durations; svg and png only",
)
@home_option
def graph(
    config: Path,
    output_format: str | None,
    output: Path | None,
    run_id: str | None,
    home: Path | None,
) -> None:
    """Draw the step graph of CONFIG (dashed arrows pass no value: `after:`, or files).

    `pipeflow runs` lists the run ids that --run takes.
    """
    output_format = _format_for(output_format, output)
    if run_id is not None and output_format not in PICTURES:
        raise UsageError(
            f"--run colours a picture; the {output_format} format has no colours",
            "add --format svg or --format png",
        )
    from pipeflow.report.outputs import check_output_file, write_output

    check_output_file(output, "-o", config=config)
    binary = output_format == "png"
    if binary and output is None and sys.stdout.isatty():
        raise UsageError(
            "a PNG picture is binary and is not written to a terminal",
            "give -o FILE.png, or redirect the output to a file",
        )
    from pipeflow.config.loader import load
    from pipeflow.plan.graph import StepGraph

    loaded = load(config, check_code=False)
    steps = loaded.pipeline.steps
    graph = loaded.graph if loaded.graph is not None else StepGraph(steps)
    name = loaded.pipeline.name
    if output_format in PICTURES:
        from pipeflow.report import picture

        states, details, title = None, None, name
        if run_id is not None:
            states, details, title = _run_states(config, name, run_id, home, list(steps))
        drawn: str | bytes
        if binary:
            drawn = picture.png(steps, graph, states=states, details=details, title=title)
        else:
            drawn = picture.svg(steps, graph, states=states, details=details, title=title)
    else:
        from pipeflow.report.drawing import draw as draw_text

        drawn = draw_text(steps, graph, output_format, title=name)
    if output is not None:
        write_output(output, drawn)
        click.echo(f"wrote {output}", err=True)  # stdout may be where it wrote
    elif isinstance(drawn, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(drawn)
        sys.stdout.buffer.flush()
    else:
        click.echo(drawn, nl=False)


def _format_for(given: str | None, output: Path | None) -> str:
    """The format to draw: the one given, else the one -o's extension names, else ascii;
    UsageError when the extension names another (a picture no viewer would open)."""
    named = EXTENSIONS.get(output.suffix.lower()) if output is not None else None
    if given is None:
        return named or "ascii"
    if named is not None and named != given:
        ending = next((end for end, kind in EXTENSIONS.items() if kind == given), ".txt")
        raise UsageError(
            f"-o {output}: its extension is for the {named} format, not --format {given}",
            f"leave --format out (the extension chooses it), or give -o a {ending} file",
        )
    return given


def _run_states(
    config: Path, pipeline: str, run_id: str, home: Path | None, names: list[str]
) -> tuple[dict[str, str], dict[str, str], str]:
    """Each step's state and duration in the recorded run, and a title naming the run."""
    from pipeflow.history import open_history
    from pipeflow.model.durations import format_duration

    with open_history(config.parent, home=home) as history:
        if run_id == "last":
            newest = history.runs(pipeline=pipeline, last=1)
            if not newest:
                raise UsageError(
                    f"no run of pipeline `{pipeline}` is recorded in {history.path}",
                    f"run it first: pipeflow run {config}",
                )
            run_id = newest[0].id
        record = history.run(run_id)
    if record.pipeline != pipeline:
        raise UsageError(
            f"run {record.id} is a run of pipeline `{record.pipeline}`, not of `{pipeline}` "
            f"({config})",
            f"`pipeflow runs --pipeline {pipeline}` lists the runs of this pipeline",
        )
    # A step the run has no row for had not started (a running run) or never will.
    unrecorded = "pending" if record.state == "running" else "not run"
    recorded = {step.step: step for step in record.steps}
    states: dict[str, str] = {}
    details: dict[str, str] = {}
    for name in names:
        step = recorded.get(name)
        if step is None:
            states[name] = unrecorded
            continue
        states[name] = step.state
        if step.cached:
            details[name] = "cached"
        elif step.duration is not None and step.state not in ("skipped", "not run"):
            details[name] = format_duration(step.duration)
            if step.attempts > 1:
                details[name] += f", {step.attempts} attempts"
    return states, details, f"{pipeline}: run {record.id} ({record.state})"
