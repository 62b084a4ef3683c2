"""Drawing the step graph as Mermaid, Graphviz dot or plain text, and printing a plan."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pipeflow.model.pipeline import Step
from pipeflow.model.run import Decision
from pipeflow.plan.graph import StepGraph

GRAPH_FORMATS = ("mermaid", "dot", "ascii")


def draw(steps: Mapping[str, Step], graph: StepGraph, fmt: str, *, title: str = "") -> str:
    """The graph in one of GRAPH_FORMATS."""
    if fmt == "mermaid":
        return mermaid(steps, graph)
    if fmt == "dot":
        return dot(steps, graph, title=title)
    if fmt == "ascii":
        return ascii_tree(steps, graph)
    raise ValueError(f"unknown graph format `{fmt}`; use one of {', '.join(GRAPH_FORMATS)}")


def edges(steps: Mapping[str, Step], graph: StepGraph) -> list[tuple[str, str, bool]]:
    """(upstream, downstream, carries a value) for every edge, in run order."""
    found = []
    for name in graph.order():
        values = set(steps[name].value_upstream())
        for dep in graph.upstream[name]:
            found.append((dep, name, dep in values))
    return found


def _node_id(name: str) -> str:
    return re.sub(r"\W", "_", name)


def mermaid(steps: Mapping[str, Step], graph: StepGraph) -> str:
    lines = ["flowchart TD"]
    for name in graph.order():
        lines.append(f'    {_node_id(name)}["{name}"]')
    for source, target, carries in edges(steps, graph):
        arrow = "-->" if carries else "-.->"
        lines.append(f"    {_node_id(source)} {arrow} {_node_id(target)}")
    return "\n".join(lines) + "\n"


def dot(steps: Mapping[str, Step], graph: StepGraph, *, title: str = "") -> str:
    lines = [f'digraph "{title or "pipeline"}" {{', "    rankdir=TB;", "    node [shape=box];"]
    for name in graph.order():
        lines.append(f'    "{name}";')
    for source, target, carries in edges(steps, graph):
        style = "" if carries else " [style=dashed]"
        lines.append(f'    "{source}" -> "{target}"{style};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def ascii_tree(steps: Mapping[str, Step], graph: StepGraph) -> str:
    """Steps by depth, each with what it needs: readable in any terminal or CI log."""
    depth: dict[str, int] = {}
    for name in graph.order():
        depth[name] = 1 + max((depth[d] for d in graph.upstream[name]), default=-1)
    width = max((len(name) for name in depth), default=0)
    lines = []
    for name in sorted(depth, key=lambda n: (depth[n], graph.order().index(n))):
        needs = graph.upstream[name]
        values = set(steps[name].value_upstream())
        after = set(steps[name].after)
        shown = ", ".join(
            d if d in values else f"{d} (after)" if d in after else f"{d} (files)" for d in needs
        )
        arrow = f"  <- {shown}" if needs else ""
        lines.append(f"{'  ' * depth[name]}{name.ljust(width)}{arrow}".rstrip())
    return "\n".join(lines) + "\n"


def plan_table(decisions: Sequence[Decision]) -> str:
    """One line per step: what will happen and why."""
    width = max((len(d.step) for d in decisions), default=0)
    lines = [f"{d.step.ljust(width)}  {str(d.action).ljust(7)}  {d.reason}" for d in decisions]
    return "\n".join(lines) + "\n"
