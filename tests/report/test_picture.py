"""The step graph as SVG and PNG: well-formed, one box per step, legible at 50 steps."""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET
from itertools import combinations

import pytest

from pipeflow.model.pipeline import Step
from pipeflow.model.refs import parse_value
from pipeflow.plan.graph import StepGraph
from pipeflow.report.layout import _crossings, _order, layout
from pipeflow.report.picture import STATE_COLOURS, png, svg

SVG = "{http://www.w3.org/2000/svg}"


def make_steps(
    edges: dict[str, list[str]], after: dict[str, list[str]] | None = None
) -> dict[str, Step]:
    after = after or {}
    return {
        name: Step(
            name=name,
            run="m.f",
            inputs=parse_value({f"in{i}": f"${{steps.{dep}}}" for i, dep in enumerate(deps)}),
            after=tuple(after.get(name, ())),
        )
        for name, deps in edges.items()
    }


def generated(count: int, seed: int = 7) -> dict[str, Step]:
    """A random DAG: each step needs up to three earlier ones; names of varied length."""
    rng = random.Random(seed)
    words = ["load", "clean", "join", "features", "train", "score", "report", "encode", "split"]
    edges: dict[str, list[str]] = {}
    names: list[str] = []
    for number in range(count):
        name = "_".join(rng.sample(words, rng.randint(1, 3))) + f"_{number}"
        earlier = names[-12:]
        deps = rng.sample(earlier, min(len(earlier), rng.randint(0 if number < 4 else 1, 3)))
        edges[name] = deps
        names.append(name)
    return make_steps(edges)


def parse(text: str) -> ET.Element:
    return ET.fromstring(text)


def step_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "step" in g.get("class", "").split()]


def boxes(root: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    found = {}
    for group in step_groups(root):
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        found[group.get("data-step", "")] = tuple(
            float(rect.get(key, "nan")) for key in ("x", "y", "width", "height")
        )
    return found  # type: ignore[return-value]


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


DIAMOND = {"load": [], "left": ["load"], "right": ["load"], "join": ["left", "right"]}


def test_svg_is_well_formed_with_one_group_per_step_and_one_path_per_edge() -> None:
    steps = make_steps(DIAMOND, after={"join": ["load"]})
    graph = StepGraph(steps)
    root = parse(svg(steps, graph, title="diamond"))
    assert root.tag == f"{SVG}svg"
    groups = step_groups(root)
    assert sorted(g.get("data-step") for g in groups) == sorted(DIAMOND)
    for group in groups:
        assert group.find(f"{SVG}rect") is not None
        assert group.find(f"{SVG}text") is not None
        assert group.find(f"{SVG}title") is not None
        assert group.get("data-state") is None  # no states given: no state, no legend
    assert root.find(f".//{SVG}g[@class='legend']") is None
    paths = [p for p in root.iter(f"{SVG}path") if "edge" in p.get("class", "").split()]
    assert len(paths) == 5
    dashed = [p for p in paths if p.get("stroke-dasharray")]
    assert [(p.get("data-from"), p.get("data-to")) for p in dashed] == [("load", "join")]
    assert "after" in dashed[0].get("class", "")


def test_states_colour_the_steps_and_add_a_legend() -> None:
    steps = make_steps(DIAMOND)
    states = {"load": "done", "left": "cached", "right": "failed", "join": "not run"}
    root = parse(svg(steps, StepGraph(steps), states=states, details={"load": "1.2 s"}))
    by_name = {g.get("data-step"): g for g in step_groups(root)}
    assert by_name["join"].get("data-state") == "not-run"
    assert "state-not-run" in (by_name["join"].get("class") or "").split()
    for name, state in states.items():
        rect = by_name[name].find(f"{SVG}rect")
        assert rect is not None
        assert rect.get("fill") == STATE_COLOURS[state].fill
    fills = {STATE_COLOURS[state].fill for state in states.values()}
    assert len(fills) == 4  # each state its own colour
    texts = ["".join(t.itertext()) for t in by_name["load"].iter(f"{SVG}text")]
    assert texts == ["load", "1.2 s"]
    title = by_name["load"].find(f"{SVG}title")
    assert title is not None
    assert "done" in (title.text or "")
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    assert ["".join(t.itertext()) for t in legend.iter(f"{SVG}text")] == [
        "done",
        "cached",
        "failed",
        "not run",
    ]


def test_a_step_missing_from_states_is_pending() -> None:
    steps = make_steps(DIAMOND)
    root = parse(svg(steps, StepGraph(steps), states={"load": "running"}))
    states = {g.get("data-step"): g.get("data-state") for g in step_groups(root)}
    assert states == {"load": "running", "left": "pending", "right": "pending", "join": "pending"}


def test_names_and_texts_are_escaped() -> None:
    odd = "a<b>&\"c'd"
    steps = make_steps({odd: [], "next": [odd]})
    text = svg(
        steps,
        StepGraph(steps),
        states={odd: "done"},
        details={odd: "<1 s & \x01"},
        title="t<&>",
    )
    root = parse(text)
    names = {g.get("data-step") for g in step_groups(root)}
    assert names == {odd, "next"}
    edge = next(p for p in root.iter(f"{SVG}path") if p.get("data-to") == "next")
    assert edge.get("data-from") == odd
    assert "<1 s &" in "".join(root.itertext())


def test_fifty_steps_have_no_overlapping_boxes_and_legible_text() -> None:
    steps = generated(50)
    graph = StepGraph(steps)
    root = parse(svg(steps, graph, states=dict.fromkeys(steps, "done"), title="fifty"))
    found = boxes(root)
    assert len(found) == 50
    for (first, a), (second, b) in combinations(found.items(), 2):
        assert not overlap(a, b), f"{first} overlaps {second}"
    sizes = [float(t.get("font-size", "0")) for t in root.iter(f"{SVG}text")]
    assert sizes
    assert min(sizes) >= 11
    # Every box inside the picture, and the picture not absurdly large.
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    moved = root.find(f".//{SVG}g[@class='graph']")
    assert moved is not None
    top = float(re.findall(r"[\d.]+", moved.get("transform", ""))[-1])
    assert top >= 40  # the graph sits below the title and the legend
    for x, y, w, h in found.values():
        assert x >= 0
        assert x + w <= width
        assert y >= 0
        assert top + y + h <= height
    assert width < 5000
    assert height < 3000
    # Labels fit their boxes at the estimated width of a wide sans-serif font (0.63 em).
    for name, (_, _, w, _) in found.items():
        assert len(name) * 13 * 0.6 < w


def test_edges_start_at_their_source_and_end_at_their_target() -> None:
    steps = generated(30, seed=3)
    placed = layout(steps, StepGraph(steps))
    assert placed.routes
    for route in placed.routes:
        source, target = placed.boxes[route.source], placed.boxes[route.target]
        (x0, y0), (x1, y1) = route.points[0], route.points[-1]
        assert x0 == pytest.approx(source.x + source.width)
        assert source.y <= y0 <= source.y + source.height
        assert x1 == pytest.approx(target.x)
        assert target.y <= y1 <= target.y + target.height
        xs = [x for x, _ in route.points]
        assert xs == sorted(xs)  # always left to right
        # A long edge passes other columns level, through the gaps between their boxes.
        for (ax, ay), (bx, by) in zip(route.points[1:-1:2], route.points[2:-1:2], strict=True):
            assert ay == by
            for box in placed.boxes.values():
                inside_column = box.x < bx and ax < box.x + box.width
                assert not (inside_column and box.y < ay < box.y + box.height)


def test_barycenter_sweeps_remove_crossings() -> None:
    # Two columns given in a crossed order: 0 -> 3 and 1 -> 2, 4 -> 5.
    layers = [[0, 1, 4], [2, 3, 5]]
    down = [[3], [2], [], [], [5], []]
    up = [[], [], [1], [0], [], [4]]
    assert _crossings(layers, down) == 1
    assert _crossings(_order(layers, up, down), down) == 0


def test_sweeps_never_add_crossings_and_remove_many() -> None:
    before = after = 0
    for seed in range(15):
        steps = generated(40, seed=seed)
        graph = StepGraph(steps)
        names = graph.order()
        column = {}
        for name in names:
            column[name] = 1 + max((column[d] for d in graph.upstream[name]), default=-1)
        # Only edges between neighbouring columns, in the topological order as given.
        index = {name: number for number, name in enumerate(names)}
        down: list[list[int]] = [[] for _ in names]
        up: list[list[int]] = [[] for _ in names]
        for name in names:
            for dep in graph.upstream[name]:
                if column[dep] == column[name] - 1:
                    down[index[dep]].append(index[name])
                    up[index[name]].append(index[dep])
        layers: list[list[int]] = [[] for _ in range(max(column.values()) + 1)]
        for name in names:
            layers[column[name]].append(index[name])
        first = _crossings(layers, down)
        best = _crossings(_order(layers, up, down), down)
        assert best <= first
        before, after = before + first, after + best
    assert after <= 0.6 * before  # measured: 62 crossings in the given order, 31 after


def test_a_chain_is_one_row_and_an_empty_graph_draws() -> None:
    steps = make_steps({"a": [], "b": ["a"], "c": ["b"]})
    placed = layout(steps, StepGraph(steps))
    ys = {box.y for box in placed.boxes.values()}
    assert len(ys) == 1
    assert placed.boxes["a"].x < placed.boxes["b"].x < placed.boxes["c"].x
    root = parse(svg({}, StepGraph({})))
    assert step_groups(root) == []


def test_long_names_are_shortened_in_the_box_and_whole_in_the_tooltip() -> None:
    name = "a_really_long_step_name_that_goes_on_and_on_and_on_forever"
    steps = make_steps({name: []})
    root = parse(svg(steps, StepGraph(steps)))
    (group,) = step_groups(root)
    label = "".join(next(group.iter(f"{SVG}text")).itertext())
    assert label.endswith("\u2026")
    assert len(label) <= 40
    title = group.find(f"{SVG}title")
    assert title is not None
    assert name in (title.text or "")


# -- PNG ----------------------------------------------------------------------------------------


def test_png_opens_with_pillow_at_the_svg_size_and_shows_the_states() -> None:
    from PIL import Image

    steps = make_steps(DIAMOND, after={"join": ["load"]})
    graph = StepGraph(steps)
    states = {"load": "done", "left": "cached", "right": "failed", "join": "running"}
    root = parse(svg(steps, graph, states=states, title="diamond"))
    data = png(steps, graph, states=states, title="diamond")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert abs(image.width - width) <= 1
    assert abs(image.height - height) <= 1
    colours = {colour for _, colour in image.getcolors(maxcolors=1_000_000) or []}
    assert len(colours) > 10  # text, edges and boxes, not a blank page
    for state in states.values():
        fill = STATE_COLOURS[state].fill
        rgb = tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, f"no {state} pixels"
    double = Image.open(io.BytesIO(png(steps, graph, states=states, scale=2)))
    single = Image.open(io.BytesIO(png(steps, graph, states=states)))
    assert abs(double.width - 2 * single.width) <= 2


def test_png_of_fifty_steps() -> None:
    from PIL import Image

    steps = generated(50)
    image = Image.open(io.BytesIO(png(steps, StepGraph(steps))))
    assert 300 < image.width < 5000
    assert 100 < image.height < 3000


def test_svg_text_contains_no_raw_control_characters() -> None:
    steps = make_steps({"a": []})
    text = svg(steps, StepGraph(steps), details={"a": "x\x00y"})
    assert not re.search("[\x00-\x08]", text)
