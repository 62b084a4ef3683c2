"""A run's graph for its page: the config's DAG as it is now, coloured by the recorded states.

The graph comes from the config file the run recorded. When that file is gone or no longer
valid, or the run recorded no steps (a fire of `pipeflow serve` that started no run), there is
no graph: the page lists the steps the history recorded, with a note saying why. When the
config's steps differ from the run's (it changed since), the graph is drawn and the note says
so. Each step's `description`, from the same config, is in the graph's tooltips and under the
step's name in the page's table of steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeflow.errors import ConfigError, PipeflowError
from pipeflow.history import RunRecord
from pipeflow.ui.catalog import load_pipeline, problems_text
from pipeflow.ui.shown import UNTIMED


@dataclass(frozen=True)
class Drawing:
    svg: str | None  # an SVG element, or None when no graph can be drawn
    note: str | None  # why there is no graph, or what to keep in mind about it
    details: str | None = None  # the config's problems, for a fold-out
    descriptions: Mapping[str, str] = field(default_factory=dict)  # step -> its description


def draw_run(record: RunRecord) -> Drawing:
    if not record.steps:
        # A fire of `pipeflow serve` that started no run (skipped, or refused for its config's
        # problems): drawn from the config, every step would read `pending`.
        return Drawing(None, "No step of this run started, so there is no graph.")
    config = Path(record.config_path) if record.config_path else None
    try:
        pipeline = load_pipeline(config)
    except ConfigError as error:
        return Drawing(
            None,
            f"The pipeline file {config} is not valid any more, so the graph cannot be drawn; "
            "the steps below are as the history recorded them.",
            problems_text(error),
        )
    except PipeflowError as error:
        reason = str(error).removeprefix("error: ")
        return Drawing(
            None,
            f"The graph cannot be drawn: {reason}. The steps below are as the history "
            "recorded them.",
        )
    from pipeflow.report.picture import svg

    states = {step.step: step.state for step in record.steps}
    details = {step.step: _detail(step.state, step.duration) for step in record.steps}
    definition = pipeline.definition
    picture = svg(definition.steps, pipeline.graph, states=states, details=details)
    note = None
    if set(definition.steps) != set(states):
        note = (
            f"The steps of {config} have changed since this run; the graph shows them as they "
            "are now, coloured by the states this run recorded."
        )
    descriptions = {
        name: step.description for name, step in definition.steps.items() if step.description
    }
    return Drawing(_inline(picture), note, descriptions=descriptions)


def _detail(state: str, duration: float | None) -> str:
    if duration is None or state in UNTIMED:
        return state
    return f"{state} {duration:.1f}s" if duration < 60 else f"{state} {duration / 60:.1f}min"


def _inline(document: str) -> str:
    """The `<svg>` element of a standalone SVG document, to put inside a page."""
    start = document.find("<svg")
    return document[start:] if start >= 0 else document
