"""The step graph as a picture: standalone SVG, or PNG drawn with Pillow, coloured by state.

Both draw the one layout of `report/layout.py`. The SVG is self-contained (colours are
presentation attributes, so a page embedding it may restyle `.state-done rect` with CSS);
each step is `<g class="step state-STATE" data-step="NAME" data-state="STATE">` with a
`<rect>`, its `<text>` and a `<title>` tooltip, for the web UI to hook into. A step's
`description` is in its tooltip, whole; without `details`, its box's second line shows it too,
on one line and shortened.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise

from pipeflow.errors import UsageError
from pipeflow.model.pipeline import Step
from pipeflow.plan.graph import StepGraph
from pipeflow.report.drawing import description, text_lines
from pipeflow.report.layout import DETAIL_SIZE, NAME_SIZE, Box, Layout, Route, layout, text_width
from pipeflow.report.pen import Pen

FONT_FAMILY = "Helvetica, Arial, 'DejaVu Sans', sans-serif"
TITLE_SIZE = 15
LEGEND_SIZE = 12
TITLE_HEIGHT = 30
LEGEND_HEIGHT = 26
EDGE_COLOUR = "#8a8f98"
TEXT_COLOUR = "#1f2328"
BACKGROUND = "#ffffff"


@dataclass(frozen=True)
class Colours:
    fill: str
    stroke: str
    text: str = TEXT_COLOUR


# The values of pipeflow.model.run.StepState, in the order a legend lists them.
STATE_COLOURS: dict[str, Colours] = {
    "done": Colours("#d3f0d6", "#2e7d32"),
    "cached": Colours("#d2ece8", "#4f8f85"),
    "running": Colours("#d5e5fb", "#1565c0"),
    "pending": Colours("#ececec", "#9e9e9e"),
    "skipped": Colours("#fdf1c0", "#b58900"),
    "failed": Colours("#f9d3d3", "#c62828"),
    "not run": Colours("#f4f4f4", "#bdbdbd", "#6e7781"),
}
NO_STATE = Colours("#f6f8fa", "#57606a")
UNKNOWN_STATE = Colours("#ececec", "#9e9e9e")


def svg(
    steps: Mapping[str, Step],
    graph: StepGraph,
    *,
    states: Mapping[str, str] | None = None,
    details: Mapping[str, str] | None = None,
    title: str = "",
) -> str:
    """The graph as a standalone SVG document.

    `states` maps step names to StepState values (a step it leaves out is `pending`), and
    adds a legend; `details` maps step names to a short second line ("1.2 s", "cached"); without
    it, the second line is the step's description.
    """
    scene = _Scene.build(steps, graph, states=states, details=details, title=title)
    width, height = scene.width, scene.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pipeflow-graph" '
        f'width="{width:g}" height="{height:g}" viewBox="0 0 {width:g} {height:g}" '
        f'font-family="{_attr(FONT_FAMILY)}">',
    ]
    if title:
        out.append(f"<title>{_text(title)}</title>")
    out.append(
        '<defs><marker id="pipeflow-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{EDGE_COLOUR}"/></marker></defs>'
    )
    out.append(f'<rect class="background" width="100%" height="100%" fill="{BACKGROUND}"/>')
    if title:
        out.append(
            f'<text class="title" x="{scene.margin:g}" y="{TITLE_HEIGHT - 9}" '
            f'font-size="{TITLE_SIZE}" font-weight="bold" fill="{TEXT_COLOUR}">'
            f"{_text(title)}</text>"
        )
    if scene.legend:
        out.append('<g class="legend">')
        for state, x, y in scene.legend_items():
            colours = STATE_COLOURS.get(state, UNKNOWN_STATE)
            out.append(
                f'<g class="legend-item state-{_token(state)}">'
                f'<rect x="{x:g}" y="{y:g}" width="12" height="12" rx="3" '
                f'fill="{colours.fill}" stroke="{colours.stroke}"/>'
                f'<text x="{x + 17:g}" y="{y + 10.5:g}" font-size="{LEGEND_SIZE}" '
                f'fill="{TEXT_COLOUR}">{_text(state)}</text></g>'
            )
        out.append("</g>")
    out.append(f'<g class="graph" transform="translate(0,{scene.top:g})">')
    out.append('<g class="edges">')
    for route in scene.layout.routes:
        dashed = "" if route.carries else ' stroke-dasharray="5 4"'
        kind = "edge" if route.carries else "edge after"
        out.append(
            f'<path class="{kind}" data-from="{_attr(route.source)}" '
            f'data-to="{_attr(route.target)}" d="{_path(route)}" fill="none" '
            f'stroke="{EDGE_COLOUR}" stroke-width="1.4"{dashed} '
            'marker-end="url(#pipeflow-arrow)"/>'
        )
    out.append("</g>")
    out.append('<g class="steps">')
    for box in scene.layout.boxes.values():
        out.append(_step_svg(box, scene))
    out.append("</g></g></svg>")
    return "\n".join(out) + "\n"


def png(
    steps: Mapping[str, Step],
    graph: StepGraph,
    *,
    states: Mapping[str, str] | None = None,
    details: Mapping[str, str] | None = None,
    title: str = "",
    scale: float = 1.0,
) -> bytes:
    """The same picture as `svg()` as PNG bytes, drawn with Pillow (`pipeflow-runner[png]`).

    `scale` 2 gives a picture twice as large in each direction, for high-density screens.
    """
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise UsageError(
            "drawing PNG pictures needs Pillow, which is not installed",
            "pip install 'pipeflow-runner[png]' (or use --format svg, which needs nothing)",
        ) from None
    scene = _Scene.build(steps, graph, states=states, details=details, title=title)
    pixels = (max(1, round(scene.width * scale)), max(1, round(scene.height * scale)))
    image = Image.new("RGB", pixels, BACKGROUND)
    pen = Pen(ImageDraw.Draw(image), scale)
    if title:
        pen.text((scene.margin, TITLE_HEIGHT - 9), title, TITLE_SIZE, TEXT_COLOUR)
    for state, x, y in scene.legend_items():
        colours = STATE_COLOURS.get(state, UNKNOWN_STATE)
        pen.box((x, y, 12, 12), 3, colours.fill, colours.stroke)
        pen.text((x + 17, y + 10.5), state, LEGEND_SIZE, TEXT_COLOUR)
    for route in scene.layout.routes:
        points = [(x, y + scene.top) for x, y in _polyline(route)]
        pen.line(points, EDGE_COLOUR, dashed=not route.carries)
        pen.arrow_head(points[-1], EDGE_COLOUR)
    for box in scene.layout.boxes.values():
        colours = scene.colours(box.name)
        pen.box((box.x, box.y + scene.top, box.width, box.height), 6, colours.fill, colours.stroke)
        for text, size, x, y in _box_lines(box):
            pen.text((x, y + scene.top), text, size, colours.text, anchor="middle")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # optimize=True: 3x slower for 3% smaller
    return buffer.getvalue()


# -- the scene: layout plus header -------------------------------------------------------------


@dataclass(frozen=True)
class _Scene:
    layout: Layout
    states: Mapping[str, str] | None
    descriptions: Mapping[str, str]  # each described step's tooltip lines, joined
    described_in_box: bool  # the second line of a box is its description
    legend: tuple[str, ...]
    top: float  # height of the title and legend above the graph
    width: float
    height: float
    margin: float = 16

    @classmethod
    def build(
        cls,
        steps: Mapping[str, Step],
        graph: StepGraph,
        *,
        states: Mapping[str, str] | None,
        details: Mapping[str, str] | None,
        title: str,
    ) -> _Scene:
        descriptions = {
            name: "\n".join(text_lines(step.description))
            for name, step in steps.items()
            if step.description and description(step)
        }
        in_box = details is None
        if details is None:
            details = {name: description(step) for name, step in steps.items()}
        placed = layout(steps, graph, details=details)
        legend: tuple[str, ...] = ()
        if states is not None:
            shown = {states.get(name, "pending") for name in placed.boxes}
            legend = (
                *(state for state in STATE_COLOURS if state in shown),
                *sorted(shown - set(STATE_COLOURS)),
            )
        top = (TITLE_HEIGHT if title else 0) + (LEGEND_HEIGHT if legend else 0)
        width = max(
            placed.width,
            32 + text_width(title, TITLE_SIZE),
            32 + sum(_legend_width(state) for state in legend),
        )
        return cls(placed, states, descriptions, in_box, legend, top, width, placed.height + top)

    def state(self, name: str) -> str | None:
        return None if self.states is None else self.states.get(name, "pending")

    def colours(self, name: str) -> Colours:
        state = self.state(name)
        if state is None:
            return NO_STATE
        return STATE_COLOURS.get(state, UNKNOWN_STATE)

    def legend_items(self) -> Iterator[tuple[str, float, float]]:
        x = self.margin
        y = (TITLE_HEIGHT if self.top > LEGEND_HEIGHT else 0) + 8.0
        for state in self.legend:
            yield state, x, y
            x += _legend_width(state)


def _legend_width(state: str) -> float:
    return 17 + text_width(state, LEGEND_SIZE) + 18


def _box_lines(box: Box) -> list[tuple[str, int, float, float]]:
    """(text, size, centre x, baseline y) of the lines in a box."""
    middle = box.x + box.width / 2
    if box.detail:
        return [
            (box.label, NAME_SIZE, middle, box.y + 19),
            (box.detail, DETAIL_SIZE, middle, box.y + 35),
        ]
    return [(box.label, NAME_SIZE, middle, box.y + box.height / 2 + NAME_SIZE * 0.36)]


def _step_svg(box: Box, scene: _Scene) -> str:
    state = scene.state(box.name)
    colours = scene.colours(box.name)
    if state is None:
        head = f'<g class="step" data-step="{_attr(box.name)}">'
    else:
        token = _token(state)
        head = f'<g class="step state-{token}" data-step="{_attr(box.name)}" data-state="{token}">'
    tooltip = box.name
    if box.name in scene.descriptions:
        tooltip += f"\n{scene.descriptions[box.name]}"
    if state is not None:
        tooltip += f"\n{state}"
    if box.detail and not scene.described_in_box:
        tooltip += f"\n{box.detail}"
    parts = [
        head,
        f"<title>{_text(tooltip)}</title>",
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
        f'height="{box.height:.1f}" rx="6" fill="{colours.fill}" stroke="{colours.stroke}" '
        'stroke-width="1.5"/>',
    ]
    for text, size, x, y in _box_lines(box):
        kind = "name" if size == NAME_SIZE else "detail"
        parts.append(
            f'<text class="{kind}" x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
            f'text-anchor="middle" fill="{colours.text}">{_text(text)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


# -- geometry ---------------------------------------------------------------------------------


def _segments(route: Route) -> Iterator[tuple[tuple[float, float], ...]]:
    """Each piece of a route: a level line (2 points) or an S-curve (4 Bezier points)."""
    for (x0, y0), (x1, y1) in pairwise(route.points):
        if abs(y0 - y1) < 0.5:
            yield (x0, y0), (x1, y1)
        else:
            bend = (x1 - x0) / 2
            yield (x0, y0), (x0 + bend, y0), (x1 - bend, y1), (x1, y1)


def _path(route: Route) -> str:
    start = route.points[0]
    commands = [f"M{start[0]:.1f},{start[1]:.1f}"]
    for piece in _segments(route):
        if len(piece) == 2:
            commands.append(f"L{piece[1][0]:.1f},{piece[1][1]:.1f}")
        else:
            commands.append("C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in piece[1:]))
    return " ".join(commands)


def _polyline(route: Route, steps: int = 16) -> list[tuple[float, float]]:
    """The route as short straight pieces, for Pillow, which draws no curves."""
    points = [route.points[0]]
    for piece in _segments(route):
        if len(piece) == 2:
            points.append(piece[1])
            continue
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = piece
        for number in range(1, steps + 1):
            t = number / steps
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
            points.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return points


# -- text -------------------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """Character data: escaped, and without the control characters XML 1.0 forbids."""
    value = _NOT_XML.sub("\ufffd", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;").replace("\n", "&#10;")


def _token(state: str) -> str:
    """A state as a class name: `not run` -> `not-run`."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", state.strip()) or "unknown"
