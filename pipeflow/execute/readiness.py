"""What the engine asks of a step's neighbours: whether it may start, whether a cached step's
value is needed, and why a step never started."""

from __future__ import annotations

from collections.abc import Mapping

from pipeflow.model.pipeline import Pipeline
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from pipeflow.plan.graph import StepGraph


def value_needed(
    name: str,
    pipeline: Pipeline,
    graph: StepGraph,
    outcomes: Mapping[str, StepOutcome],
    decisions: Mapping[str, Decision],
) -> bool:
    """Whether a step that still has to run takes this cached step's value."""
    for consumer in graph.downstream[name]:
        if consumer in outcomes:
            continue
        if name not in pipeline.steps[consumer].value_upstream():
            continue
        if decisions[consumer].action is Action.RUN:
            return True
    return False


def blocker(
    name: str, pipeline: Pipeline, graph: StepGraph, outcomes: Mapping[str, StepOutcome]
) -> tuple[StepState, str] | None:
    """Why a step whose dependencies have finished will not run, or None."""
    value_deps = set(pipeline.steps[name].value_upstream())
    for dep in graph.upstream[name]:
        state = outcomes[dep].state
        if state is StepState.SKIPPED and dep in value_deps:
            return StepState.SKIPPED, f"needs `{dep}`, which was skipped"
        if state in (StepState.FAILED, StepState.NOT_RUN):
            return StepState.NOT_RUN, f"`{dep}` did not succeed"
    return None


def unreached(
    name: str,
    decision: Decision,
    reason: str,
    pipeline: Pipeline,
    graph: StepGraph,
    outcomes: Mapping[str, StepOutcome],
) -> tuple[StepState, str]:
    """What a step the run stopped before (a failure, Ctrl-C) ends as: skipped when the plan
    skipped it (not selected, a `when` known false), cached when its stored result is current
    and all it waits for succeeded (as every executor that reached it would have said), else
    not run for `reason`. A `when` decided only during the run is not known: not run."""
    if decision.action is Action.SKIPPED:
        return StepState.SKIPPED, decision.reason
    blocked = blocker(name, pipeline, graph, outcomes) is not None
    if decision.action is Action.CACHED and pipeline.steps[name].when is None and not blocked:
        return StepState.CACHED, decision.reason
    return StepState.NOT_RUN, reason


def why_not_run(outcomes: Mapping[str, StepOutcome], *, interrupted: bool) -> str:
    """The reason of a step the run never started."""
    if interrupted:
        return "the run was interrupted"
    failed = [n for n, o in outcomes.items() if o.state is StepState.FAILED]
    if failed:
        return f"the run stopped after `{failed[0]}` failed"
    return "not reached"
