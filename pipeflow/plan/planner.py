"""The planner: before a run, decide for each step whether it runs, is cached or is skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeflow.model.pipeline import Pipeline
from pipeflow.model.refs import Ref, references, resolve
from pipeflow.model.run import Action, Decision
from pipeflow.plan.graph import StepGraph


@dataclass(frozen=True)
class Selection:
    """What the user asked to run."""

    only: tuple[str, ...] = ()
    start: str | None = None
    until: str | None = None


def static_when(when: Any, lookup: Callable[[Ref], Any]) -> bool | None:
    """The value of a `when:` known before the run, or None when it needs a step's value."""
    if when is None:
        return True
    if isinstance(when, bool):
        return when
    if any(ref.scope == "steps" for ref in references(when)):
        return None
    return truthy(resolve(when, lookup))


def truthy(value: Any) -> bool:
    """How a `when:` value reads: strings such as 'false', 'no', '0' and '' are false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "off", "0", "none", "null")
    return bool(value)


def plan(
    pipeline: Pipeline,
    graph: StepGraph,
    *,
    lookup: Callable[[Ref], Any],
    selection: Selection = Selection(),
    keys: Mapping[str, str] | None = None,
) -> list[Decision]:
    """One decision per step, in run order, each with its reason."""
    selected = graph.select(only=selection.only, start=selection.start, until=selection.until)
    keys = keys or {}
    skipped: set[str] = set()
    decisions: list[Decision] = []
    for name in graph.order():
        step = pipeline.steps[name]
        key = keys.get(name, "")
        needed_by_skip = [dep for dep in step.value_upstream() if dep in skipped]
        if name not in selected:
            decisions.append(Decision(name, Action.SKIPPED, "not selected", key))
            continue
        if needed_by_skip:
            skipped.add(name)
            decisions.append(
                Decision(
                    name, Action.SKIPPED, f"needs `{needed_by_skip[0]}`, which is skipped", key
                )
            )
            continue
        if static_when(step.when, lookup) is False:
            skipped.add(name)
            decisions.append(Decision(name, Action.SKIPPED, "`when` is false", key))
            continue
        decisions.append(Decision(name, Action.RUN, "no stored result to reuse", key))
    return decisions


def to_run(decisions: Iterable[Decision]) -> list[str]:
    return [d.step for d in decisions if d.action is Action.RUN]
