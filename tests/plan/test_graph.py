from __future__ import annotations

import itertools

import pytest

from pipeflow.model.pipeline import Step
from pipeflow.model.refs import parse_value
from pipeflow.plan.graph import CycleError, StepGraph


def steps(**edges: list[str]) -> dict[str, Step]:
    return {
        name: Step(name=name, run="m.f", inputs=parse_value({d: f"${{steps.{d}}}" for d in deps}))
        for name, deps in edges.items()
    }


def test_order_puts_dependencies_first() -> None:
    graph = StepGraph(steps(c=["b"], b=["a"], a=[]))
    assert graph.order() == ["a", "b", "c"]


def test_after_is_a_dependency_without_a_value() -> None:
    definition = {"a": Step(name="a", run="m.f"), "b": Step(name="b", run="m.f", after=("a",))}
    graph = StepGraph(definition)
    assert graph.upstream["b"] == ("a",)
    assert definition["b"].value_upstream() == ()


def test_cycle_is_found_and_printed_as_a_chain() -> None:
    graph = StepGraph(steps(a=["c"], b=["a"], c=["b"]))
    cycle = graph.find_cycle()
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}
    with pytest.raises(CycleError, match="->"):
        graph.order()


def test_a_step_needing_itself_can_be_left_out_of_the_cycle_search() -> None:
    graph = StepGraph(steps(a=["a"], b=["a", "b"], c=["b", "d"], d=["c"]))
    assert graph.find_cycle() == ["a", "a"]
    cycle = graph.find_cycle(ignore_self=True)
    assert cycle is not None
    assert set(cycle) == {"c", "d"}
    assert graph.upstream["b"] == ("a", "b")  # the graph itself is left as it is
    assert StepGraph(steps(a=["a"], b=["b", "a"])).find_cycle(ignore_self=True) is None


def test_every_knot_of_cycles_is_found() -> None:
    """Cycles apart from each other are each found; two sharing a step are one knot."""
    graph = StepGraph(
        steps(a=["b"], b=["a"], c=["d"], d=["c", "a"], e=["e"], f=["g"], g=["f", "h"], h=["f"])
    )
    cycles = graph.find_cycles(ignore_self=True)
    assert [set(cycle) for cycle in cycles[:2]] == [{"a", "b"}, {"c", "d"}]
    assert len(cycles) == 3
    assert set(cycles[2]) in ({"f", "g"}, {"f", "g", "h"})
    assert all(cycle[0] == cycle[-1] for cycle in cycles)
    assert {"e"} in [set(c) for c in graph.find_cycles()]  # a step needing itself counts
    assert StepGraph(steps(a=[], b=["a"])).find_cycles() == []


def test_many_cycles_are_found_in_one_pass() -> None:
    knots = {}
    for i in range(3000):
        knots[f"x{i}"] = [f"y{i}"]
        knots[f"y{i}"] = [f"x{i}", f"x{i - 1}"] if i else [f"x{i}"]
    cycles = StepGraph(steps(**knots)).find_cycles()
    assert len(cycles) == 3000


def test_no_cycle_in_a_long_chain() -> None:
    chain = {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(5000)}
    graph = StepGraph(steps(**chain))
    assert graph.find_cycle() is None
    assert graph.order()[0] == "s0"


def test_selection() -> None:
    graph = StepGraph(steps(a=[], b=["a"], c=["b"], d=["a"]))
    assert graph.select() == {"a", "b", "c", "d"}
    assert graph.select(start="b") == {"b", "c"}
    assert graph.select(until="b") == {"a", "b"}
    assert graph.select(only=["d"]) == {"d"}
    assert graph.descendants(["a"]) == {"b", "c", "d"}
    assert graph.ancestors(["c"]) == {"a", "b"}


def test_selection_by_tags_is_any_tag_intersected_with_the_rest() -> None:
    definition = steps(a=[], b=["a"], c=["b"], d=["a"])
    tagged = {
        "a": ("io",),
        "b": ("train", "slow"),
        "c": ("report",),
        "d": ("train",),
    }
    graph = StepGraph(
        {
            name: Step(name=name, run="m.f", inputs=step.inputs, tags=tagged[name])
            for name, step in definition.items()
        }
    )
    assert graph.select(tags=["train"]) == {"b", "d"}
    assert graph.select(tags=["train", "report"]) == {"b", "c", "d"}  # any of the tags
    assert graph.select(tags=["slow", "train"]) == {"b", "d"}
    assert graph.select(tags=["train"], only=["b", "c"]) == {"b"}  # intersection
    assert graph.select(tags=["train"], start="b") == {"b"}
    assert graph.select(tags=["train", "io"], until="b") == {"a", "b"}
    assert graph.select(tags=["nothing"]) == set()
    assert graph.tags() == ["io", "train", "slow", "report"]


def _graphlib_order(upstream: dict[str, tuple[str, ...]]) -> list[str]:
    import graphlib

    return list(graphlib.TopologicalSorter(upstream).static_order())


@pytest.mark.parametrize("seed", range(40))
def test_the_order_is_the_one_graphlib_gives(seed: int) -> None:
    """Random graphs, with steps named before or after the steps that need them, several
    roots, `after` and shared dependencies: the same order as graphlib's static_order."""
    import random

    chance = random.Random(seed)
    names = [f"s{i}" for i in range(chance.randint(1, 40))]
    rank = {name: index for index, name in enumerate(names)}  # edges go to lower ranks only
    chance.shuffle(names)  # the file order is not the dependency order
    definition: dict[str, Step] = {}
    for name in names:
        lower = [other for other in names if rank[other] < rank[name]]
        values = chance.sample(lower, k=min(len(lower), chance.randint(0, 3)))
        after = tuple(chance.sample(lower, k=min(len(lower), chance.randint(0, 1))))
        definition[name] = Step(
            name=name,
            run="m.f",
            inputs=parse_value({f"x{i}": f"${{steps.{d}}}" for i, d in enumerate(values)}),
            after=after,
        )
    graph = StepGraph(definition)
    assert graph.order() == _graphlib_order(graph.upstream)
    with_files = StepGraph(definition, files={names[-1]: [names[0]]} if len(names) > 1 else {})
    if rank.get(names[0], 0) < rank[names[-1]]:
        assert with_files.order() == _graphlib_order(with_files.upstream)


@pytest.mark.parametrize(
    "edges",
    [
        {"a": ["a"]},
        {"a": ["b"], "b": ["a"], "c": []},
        {"r": [], "a": ["r", "c"], "b": ["a"], "c": ["b"], "d": ["r"]},
    ],
)
def test_a_cycle_stops_the_order_and_names_the_cycle(edges: dict[str, list[str]]) -> None:
    graph = StepGraph(steps(**edges))
    with pytest.raises(CycleError) as raised:
        graph.order()
    cycle = raised.value.cycle
    assert cycle[0] == cycle[-1]
    assert all(after in graph.upstream[before] for before, after in itertools.pairwise(cycle))


def test_steps_named_only_as_needs_are_left_out() -> None:
    graph = StepGraph(steps(b=["a", "missing"], c=["b", "b"]), files={"c": ["a", "gone"]})
    assert graph.upstream == {"b": (), "c": ("b",)}
    assert graph.order() == ["b", "c"]
