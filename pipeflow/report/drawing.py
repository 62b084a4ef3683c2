"""Drawing the step graph as Mermaid, Graphviz dot or plain text, and printing a plan.

A step's `description` is shown in each: a second label line (Mermaid), a second label line
and a tooltip (dot), a `# comment` after the step (ascii), a line under the step (`status`,
`run --dry-run`).
A one-line form of it (`one_line`) goes where a newline or a control character would break
the line or reach a terminal; each format's own escaping then applies.
"""

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


# Words Mermaid's flowchart grammar reads as its own wherever a node id may stand.
_MERMAID_WORDS = frozenset(
    {
        *("end", "subgraph", "graph", "flowchart", "flowchart-elk", "direction"),
        *("style", "linkstyle", "classdef", "class", "click", "call", "href", "callback"),
        *("default", "interpolate", "acctitle", "accdescr", "tb", "bt", "rl", "lr", "td"),
        *("_self", "_blank", "_parent", "_top"),
    }
)


def _node_ids(names: Sequence[str]) -> dict[str, str]:
    """Each step's Mermaid node id: its name with other characters than letters, digits and
    `_` as `_`, and `_2`, `_3`... after one that another step's took (`o-x` and `o_x`) or
    that Mermaid reads as a word of its own (`end`, `style`)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        plain = re.sub(r"[^A-Za-z0-9_]", "_", name)
        node, suffix = plain, 1
        while node in taken or node.lower() in _MERMAID_WORDS:
            suffix += 1
            node = f"{plain}_{suffix}"
        ids[name] = node
        taken.add(node)
    return ids


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """`text` on one line: each run of whitespace (newlines too) as one space, and any other
    control character (a terminal escape) as U+FFFD."""
    return _CONTROL.sub("\ufffd", " ".join(text.split()))


def text_lines(text: str) -> list[str]:
    """The non-blank lines of `text`, each as `one_line` makes it: for a tooltip."""
    return [one_line(line) for line in text.splitlines() if line.strip()]


def description(step: Step | None) -> str:
    """The step's description on one line; "" when it has none."""
    return one_line(step.description) if step is not None and step.description else ""


# Mermaid reads `#NUMBER;` as a character, and `"` would end the label, `<` open HTML.
_MERMAID_SPECIAL = frozenset('"#&<>`')


def _mermaid_text(text: str) -> str:
    return "".join(f"#{ord(char)};" if char in _MERMAID_SPECIAL else char for char in text)


def _dot_text(text: str) -> str:
    """A dot quoted string's content: backslash and quote escaped, `&` as its entity
    (Graphviz reads `&amp;`-style entities in every string)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


def mermaid(steps: Mapping[str, Step], graph: StepGraph) -> str:
    lines = ["flowchart TD"]
    order = graph.order()
    node = _node_ids(order)
    for name in order:
        about = description(steps[name])
        shown = _mermaid_text(name)
        label = f"{shown}<br/>{_mermaid_text(about)}" if about else shown
        lines.append(f'    {node[name]}["{label}"]')
    for source, target, carries in edges(steps, graph):
        arrow = "-->" if carries else "-.->"
        lines.append(f"    {node[source]} {arrow} {node[target]}")
    return "\n".join(lines) + "\n"


def dot(steps: Mapping[str, Step], graph: StepGraph, *, title: str = "") -> str:
    lines = [f'digraph "{title or "pipeline"}" {{', "    rankdir=TB;", "    node [shape=box];"]
    for name in graph.order():
        about = description(steps[name])
        if about:
            label = f"{name}\\n{_dot_text(about)}"  # `\n`: dot's centred line break
            written = text_lines(steps[name].description or "")
            tooltip = "\\n".join(_dot_text(line) for line in written)
            lines.append(f'    "{name}" [label="{label}", tooltip="{tooltip}"];')
        else:
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
        about = description(steps[name])
        comment = f"  # {about}" if about else ""
        lines.append(f"{'  ' * depth[name]}{name.ljust(width)}{arrow}".rstrip() + comment)
    return "\n".join(lines) + "\n"


def plan_table(decisions: Sequence[Decision], steps: Mapping[str, Step] | None = None) -> str:
    """One line per step: what will happen and why; with `steps`, each step's description
    on a line of its own under it, indented."""
    width = max((len(d.step) for d in decisions), default=0)
    lines = []
    for d in decisions:
        lines.append(f"{d.step.ljust(width)}  {str(d.action).ljust(7)}  {d.reason}")
        about = description(steps.get(d.step)) if steps is not None else ""
        if about:
            lines.append(f"  {about}")
    return "\n".join(lines) + "\n"
