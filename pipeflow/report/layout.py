"""Where each box and edge of a step-graph picture goes: a layered layout, standard library only.

Sugiyama's scheme, kept small:

1. Layers (columns, left to right): a step sits one column right of the deepest step it needs
   (longest path from the sources); a source is then pulled right next to its first consumer,
   so a table read only at the end does not drag an edge across the whole picture.
2. An edge spanning several columns gets a waypoint in each column it crosses, so it runs
   between boxes instead of through them, and takes part in the ordering.
3. Order within a column: barycenter sweeps right then left, each followed by swaps of
   neighbours that remove crossings, keeping the order with the fewest crossings seen
   (counted exactly, in O(E log E) per column pair).
4. Coordinates: a column is as wide as its widest box; in each column the boxes sit as close
   to the mean of their neighbours' centres as they can without overlapping (isotonic
   regression by pool-adjacent-violators, with the gaps folded into the targets), sweeping
   right and left a few times. Waypoints weigh more, so long edges stay straight.

Left to right rather than top to bottom: step names are long and some layers are wide, and a
column of 20 boxes stays legible where a row of 20 would be 4,000 px wide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from pipeflow.model.pipeline import Step
from pipeflow.plan.graph import StepGraph
from pipeflow.report.drawing import edges

NAME_SIZE = 13  # px, the step's name
DETAIL_SIZE = 11  # px, the second line (a duration, "cached")
PADDING = 12  # px between a box's text and its border, left and right
MIN_WIDTH = 72
LINE_HEIGHT = 30  # a box with a name only
TWO_LINE_HEIGHT = 44  # a box with a name and a detail
COLUMN_GAP = 64  # between columns, where the edges curve
ROW_GAP = 18  # between two boxes of one column
LANE_GAP = 10  # between an edge passing through a column and its neighbours
MARGIN = 16
MAX_LABEL = 40  # characters shown in a box; the tooltip has the whole name
SWEEPS = 8

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """One step's box: top-left corner, size, and the text shown in it."""

    name: str
    x: float
    y: float
    width: float
    height: float
    label: str
    detail: str

    @property
    def centre_y(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Route:
    """One edge: from the right side of `source` to the left side of `target`.

    `points` are the start, two points per column crossed (the edge runs level through it)
    and the end; a renderer joins consecutive points at different heights with an S-curve.
    """

    source: str
    target: str
    carries: bool  # a value flows along it; False for an `after:`-only edge (dashed)
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Layout:
    boxes: Mapping[str, Box]
    routes: tuple[Route, ...]
    width: float
    height: float


def text_width(text: str, size: float) -> float:
    """A generous estimate of the width of `text` in a sans-serif font of `size` px.

    The picture must not depend on fonts being installed, so widths are estimated per kind
    of character (wide enough for DejaVu Sans, the widest common fallback).
    """
    ems = 0.0
    for char in text:
        if char in "fijlrtI.,:;'!|/()[] -":
            ems += 0.38
        elif char in "mwMW@%":
            ems += 0.98
        elif char.isupper():
            ems += 0.74
        else:
            ems += 0.63
    return ems * size


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def layout(
    steps: Mapping[str, Step], graph: StepGraph, *, details: Mapping[str, str] | None = None
) -> Layout:
    """Boxes and edge routes for the steps of `graph`, from (0, 0) to (width, height)."""
    details = details or {}
    names = graph.order()
    if not names:
        return Layout({}, (), 2 * MARGIN, 2 * MARGIN)
    height = TWO_LINE_HEIGHT if any(details.get(name) for name in names) else LINE_HEIGHT
    graph_edges = edges(steps, graph)
    column = _columns(names, graph)

    # Nodes 0..n-1 are the steps; after them come the waypoints of long edges.
    index = {name: number for number, name in enumerate(names)}
    node_column = [column[name] for name in names]
    up: list[list[int]] = [[] for _ in names]
    down: list[list[int]] = [[] for _ in names]
    chains: list[list[int]] = []  # per edge: the nodes it passes, source to target
    for source, target, _ in graph_edges:
        chain = [index[source]]
        for crossed in range(column[source] + 1, column[target]):
            node_column.append(crossed)
            up.append([])
            down.append([])
            chain.append(len(node_column) - 1)
        chain.append(index[target])
        for before, after in pairwise(chain):
            down[before].append(after)
            up[after].append(before)
        chains.append(chain)

    count = len(names)
    layers: list[list[int]] = [[] for _ in range(max(node_column) + 1)]
    for node, number in enumerate(node_column):
        layers[number].append(node)
    layers = _order(layers, up, down)

    widths = [max(MIN_WIDTH, text_width(shorten(name), NAME_SIZE) + 2 * PADDING) for name in names]
    for name in names:
        detail = shorten(details.get(name, ""))
        if detail:
            number = index[name]
            widths[number] = max(widths[number], text_width(detail, DETAIL_SIZE) + 2 * PADDING)
    column_width = [max((widths[n] for n in layer if n < count), default=0.0) for layer in layers]
    column_left = []
    x = float(MARGIN)
    for width in column_width:
        column_left.append(x)
        x += width + COLUMN_GAP
    total_width = x - COLUMN_GAP + MARGIN

    half = [height / 2 if node < count else 0.0 for node in range(len(node_column))]
    centre = _heights(layers, up, down, half, waypoints_from=count)
    top = min(centre[node] - half[node] for node in range(len(node_column)))
    shift = MARGIN - top
    centre = [value + shift for value in centre]
    total_height = max(centre[node] + half[node] for node in range(len(node_column))) + MARGIN

    boxes: dict[str, Box] = {}
    for name in names:
        number = index[name]
        layer = node_column[number]
        left = column_left[layer] + (column_width[layer] - widths[number]) / 2
        boxes[name] = Box(
            name=name,
            x=left,
            y=centre[number] - height / 2,
            width=widths[number],
            height=height,
            label=shorten(name),
            detail=shorten(details.get(name, "")),
        )

    ports = _ports(chains, boxes, names, centre)
    routes = []
    for (source, target, carries), chain, (start, end) in zip(
        graph_edges, chains, ports, strict=True
    ):
        points: list[Point] = [start]
        for node in chain[1:-1]:
            layer = node_column[node]
            points.append((column_left[layer], centre[node]))
            points.append((column_left[layer] + column_width[layer], centre[node]))
        points.append(end)
        routes.append(Route(source, target, carries, tuple(points)))
    return Layout(boxes, tuple(routes), total_width, total_height)


def _columns(names: list[str], graph: StepGraph) -> dict[str, int]:
    column: dict[str, int] = {}
    for name in names:
        column[name] = 1 + max((column[dep] for dep in graph.upstream[name]), default=-1)
    for name in names:
        if not graph.upstream[name] and graph.downstream[name]:
            column[name] = min(column[after] for after in graph.downstream[name]) - 1
    return column


def _order(layers: list[list[int]], up: list[list[int]], down: list[list[int]]) -> list[list[int]]:
    """Each column's nodes top to bottom, after barycenter sweeps (fewest crossings kept)."""
    best = [list(layer) for layer in layers]
    best_crossings = _crossings(best, down)
    current = [list(layer) for layer in layers]
    for _ in range(SWEEPS // 2):
        for number in range(1, len(current)):
            current[number] = _by_barycenter(current[number], current[number - 1], up)
        for number in range(len(current) - 2, -1, -1):
            current[number] = _by_barycenter(current[number], current[number + 1], down)
        _transpose(current, up, down)
        crossings = _crossings(current, down)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in current], crossings
        if best_crossings == 0:
            break
    return best


def _by_barycenter(layer: list[int], fixed: list[int], neighbours: list[list[int]]) -> list[int]:
    position = {node: place for place, node in enumerate(fixed)}
    keys = {}
    for place, node in enumerate(layer):
        near = [position[other] for other in neighbours[node] if other in position]
        # A node with no neighbour in the fixed column keeps its place (scaled to compare).
        keys[node] = sum(near) / len(near) if near else place * len(fixed) / max(len(layer), 1)
    return sorted(layer, key=lambda node: keys[node])


def _transpose(layers: list[list[int]], up: list[list[int]], down: list[list[int]]) -> None:
    """Swap neighbours in a column while that removes crossings (Gansner et al.'s transpose)."""
    for _ in range(4):
        improved = False
        for number, layer in enumerate(layers):
            above = {node: place for place, node in enumerate(layers[number - 1])} if number else {}
            below = (
                {node: place for place, node in enumerate(layers[number + 1])}
                if number + 1 < len(layers)
                else {}
            )
            for place in range(len(layer) - 1):
                first, second = layer[place], layer[place + 1]
                now = _pair(first, second, up, above) + _pair(first, second, down, below)
                swapped = _pair(second, first, up, above) + _pair(second, first, down, below)
                if swapped < now:
                    layer[place], layer[place + 1] = second, first
                    improved = True
        if not improved:
            return


def _pair(first: int, second: int, neighbours: list[list[int]], position: dict[int, int]) -> int:
    """Crossings between the edges of `first` and `second` to one column, `first` above."""
    return sum(
        1
        for a in neighbours[first]
        for b in neighbours[second]
        if a in position and b in position and position[a] > position[b]
    )


def _crossings(layers: list[list[int]], down: list[list[int]]) -> int:
    total = 0
    for upper, lower in pairwise(layers):
        position = {node: place for place, node in enumerate(lower)}
        targets: list[int] = []
        for node in upper:
            targets.extend(sorted(position[target] for target in down[node]))
        total += _inversions(targets, len(lower))
    return total


def _inversions(values: list[int], size: int) -> int:
    """Pairs i < j with values[i] > values[j], with a Fenwick tree."""
    tree = [0] * (size + 1)
    count = 0
    for seen, value in enumerate(values):
        place = value + 1
        not_greater = 0
        while place > 0:
            not_greater += tree[place]
            place -= place & -place
        count += seen - not_greater
        place = value + 1
        while place <= size:
            tree[place] += 1
            place += place & -place
    return count


def _heights(
    layers: list[list[int]],
    up: list[list[int]],
    down: list[list[int]],
    half: list[float],
    *,
    waypoints_from: int,
) -> list[float]:
    """The vertical centre of every node: near its neighbours, never overlapping."""
    centre = [0.0] * len(half)
    for layer in layers:  # stacked from the top to start with
        y = 0.0
        for place, node in enumerate(layer):
            if place:
                y += _separation(layer[place - 1], node, half, waypoints_from)
            centre[node] = y
    weight = [1.0 if node < waypoints_from else 4.0 for node in range(len(half))]
    passes = [(range(1, len(layers)), up), (range(len(layers) - 2, -1, -1), down)]
    for sweep in range(SWEEPS):
        numbers, neighbours = passes[sweep % 2]
        for number in numbers:
            layer = layers[number]
            wanted = []
            for node in layer:
                near = [centre[other] for other in neighbours[node]]
                wanted.append(sum(near) / len(near) if near else centre[node])
            gaps = [0.0] + [_separation(a, b, half, waypoints_from) for a, b in pairwise(layer)]
            placed = _fit(wanted, gaps, [weight[node] for node in layer])
            for node, value in zip(layer, placed, strict=True):
                centre[node] = value
    return centre


def _separation(above: int, below: int, half: list[float], waypoints_from: int) -> float:
    gap = ROW_GAP if above < waypoints_from and below < waypoints_from else LANE_GAP
    return half[above] + half[below] + gap


def _fit(wanted: list[float], gaps: list[float], weights: list[float]) -> list[float]:
    """Values closest to `wanted` (weighted least squares) with value[i] - value[i-1] >= gaps[i].

    Subtracting the running sum of gaps turns it into a plain isotonic regression.
    """
    offsets = []
    running = 0.0
    for gap in gaps:
        running += gap
        offsets.append(running)
    blocks: list[list[float]] = []  # [weighted sum, total weight, count]
    for target, offset, weight in zip(wanted, offsets, weights, strict=True):
        blocks.append([(target - offset) * weight, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    values: list[float] = []
    for total, weight, count in blocks:
        values.extend([total / weight] * int(count))
    return [value + offset for value, offset in zip(values, offsets, strict=True)]


def _ports(
    chains: list[list[int]], boxes: Mapping[str, Box], names: list[str], centre: list[float]
) -> list[tuple[Point, Point]]:
    """Where each edge leaves its source and enters its target.

    Several edges on one side of a box are spread over its middle, ordered by the height of
    the other end, so they do not all meet in one point and do not cross at the box.
    """
    leaving: dict[int, list[int]] = {}
    entering: dict[int, list[int]] = {}
    for number, chain in enumerate(chains):
        leaving.setdefault(chain[0], []).append(number)
        entering.setdefault(chain[-1], []).append(number)
    starts: dict[int, Point] = {}
    ends: dict[int, Point] = {}
    for node, numbers in leaving.items():
        box = boxes[names[node]]
        ordered = sorted(numbers, key=lambda number: centre[chains[number][1]])
        for y, number in zip(_spread(box, len(ordered)), ordered, strict=True):
            starts[number] = (box.x + box.width, y)
    for node, numbers in entering.items():
        box = boxes[names[node]]
        ordered = sorted(numbers, key=lambda number: centre[chains[number][-2]])
        for y, number in zip(_spread(box, len(ordered)), ordered, strict=True):
            ends[number] = (box.x, y)
    return [(starts[number], ends[number]) for number in range(len(chains))]


def _spread(box: Box, count: int) -> list[float]:
    if count == 1:
        return [box.centre_y]
    span = box.height * 0.6
    top = box.centre_y - span / 2
    return [top + span * place / (count - 1) for place in range(count)]
