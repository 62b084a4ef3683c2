from __future__ import annotations

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
