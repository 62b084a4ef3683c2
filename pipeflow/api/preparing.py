"""Planning a loaded pipeline: the run options' selection checked, every step prepared and
decided (`Pipeline.plan`, `run`, `accept`, `result` and `gc` all start here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from os import PathLike
from typing import TYPE_CHECKING

from pipeflow.cache.files import FileFingerprints
from pipeflow.config.collecting import collector_paused
from pipeflow.errors import ConfigError, Problem, StaleResults
from pipeflow.execute.starting import RunStart
from pipeflow.model import options as run_options
from pipeflow.model.run import Action, Decision
from pipeflow.plan.planner import READ_AGAIN, Planner
from pipeflow.plan.prepare import prepare
from pipeflow.plan.selecting import checked_selection

if TYPE_CHECKING:
    from pipeflow.api.pipeline import Pipeline


def for_store(pipeline: Pipeline, results: str | PathLike[str] | None) -> Pipeline:
    """The pipeline as loaded for the store given for the run (`results=`, `--results`).

    Another store than the one the config was loaded with: steps may write under it, and not
    inside its `.pipeflow/`, so the config is checked again for it; and it replaces the
    `results.root` of every sub-pipeline too, which the loader fills in."""
    chosen = run_options.text(results, "results")
    if chosen is None or chosen == pipeline.options.get("results"):
        return pipeline
    return pipeline.reloaded(results=chosen)


def prepared(
    pipeline: Pipeline,
    context: RunStart,
    *,
    force: Iterable[str] | str | bool | None = (),
    no_cache: bool = False,
    only: Iterable[str] | str | None = (),
    start: str | None = None,
    until: str | None = None,
    tags: Iterable[str] | str | None = (),
    results: str | PathLike[str] | None = None,
    frozen: bool = False,
) -> tuple[Planner, FileFingerprints, list[Decision]]:
    """The planner, the file hashes it used (saved by the caller) and its decisions (as a
    `--frozen` run takes them, with `frozen`: `frozen_decisions`)."""
    chosen = run_options.selection(
        force=force,
        no_cache=no_cache,
        only=only,
        start=start,
        until=until,
        tags=tags,
        results=results,
    )
    pipeline = for_store(pipeline, chosen["results"])
    definition = pipeline.definition
    selection, policy = checked_selection(definition, pipeline.graph, chosen)
    frozen = run_options.flag(frozen, "frozen")
    policy = replace(policy, frozen=frozen)
    with collector_paused():  # many small objects that stay: keys, fingerprints, decisions
        planner, hashes = prepare(
            definition,
            pipeline.graph,
            lookup=context.lookup,
            secrets=pipeline.loaded.secrets,
            selection=selection,
            policy=policy,
            results=chosen["results"],
        )
        decisions = planner.plan()
    if planner.missing:
        # --from, --until and --tag narrow what --only would add: --only widens only its own.
        widens = not (chosen["start"] or chosen["until"] or chosen["tags"])
        raise MissingResults(
            (
                _missing(step, user, widens=widens, no_cache=chosen["no_cache"])
                for step, user in planner.missing
            ),
            {
                step: f"{_why_stale(planner, step)} (not selected; `{user}` needs its result)"
                for step, user in planner.missing
            },
        )
    if frozen:
        decisions = frozen_decisions(planner, decisions)
    return planner, hashes, decisions


def frozen_decisions(planner: Planner, decisions: list[Decision]) -> list[Decision]:
    """The plan of a `--frozen` run: a step whose result is never stored (`result: false`,
    `persist: false`) has no result to be stale. When no stored result is stale, such a step
    runs (`deferred`) only where a step decided after it waits for its value (it computes
    what that step is keyed on); the others are skipped instead of run, and the run passes
    unless a step decided later must run. When one is stale, the run fails, and the plan
    lists every step it would have run."""
    unstored = {
        d.step for d in decisions if d.action is Action.RUN and planner.caches.get(d.step) is None
    }
    if any(is_stale(d) and d.step not in unstored for d in decisions):
        return _refused(planner, decisions, unstored)
    awaited = _awaited(planner, decisions, unstored)
    skipped = [
        Decision(d.step, Action.SKIPPED, f"{d.reason}; --frozen runs nothing", d.key)
        if d.step in unstored - awaited
        else d
        for d in decisions
    ]
    planner.decisions.update((d.step, d) for d in skipped if d.step in unstored - awaited)
    return skipped


def _refused(planner: Planner, decisions: list[Decision], unstored: set[str]) -> list[Decision]:
    """The plan of a frozen run refused before it starts: the steps whose result is never
    stored would run, and so would those waiting for them, as they are listed."""
    plan: dict[str, Decision] = {}
    for decision in decisions:
        if decision.step in unstored:
            decision = replace(decision, deferred=False)
        elif decision.deferred and decision.reason != READ_AGAIN:
            waits = planner.timing.restores_first(decision.step, plan)
            decision = replace(decision, deferred=waits)
        plan[decision.step] = decision
    return list(plan.values())


def _awaited(planner: Planner, decisions: list[Decision], unstored: set[str]) -> set[str]:
    """The steps to run that a `deferred` stored step (or a read) waits for, through other
    steps to run: the unstored ones among them run under `--frozen`."""
    running = {d.step: d for d in decisions if d.action is Action.RUN}
    waiting = [name for name, d in running.items() if d.deferred and name not in unstored]
    awaited: set[str] = set()
    while waiting:
        for dep in planner.graph.upstream[waiting.pop()]:
            if dep in running and dep not in awaited:
                awaited.add(dep)
                waiting.append(dep)
    return awaited


def _missing(step: str, user: str, *, widens: bool, no_cache: bool) -> Problem:
    """Why `user` cannot run: `step`, outside the selection, cannot be taken from the store."""
    if no_cache:  # its stored result may well be current: --no-cache is why it is not read
        return Problem(
            message=f"`{user}` needs the result of `{step}`, which is not selected, and "
            "--no-cache reads no stored result",
            hint=f"drop --no-cache to take it from the store, or run `{user}` with all it "
            f"needs (`--until {user} --no-cache`)",
        )
    return Problem(
        message=f"`{user}` needs the result of `{step}`, which is not selected and "
        "has no up-to-date stored result",
        hint=f"run `{step}` first (`--until {step}` runs it and all it needs)"
        + (f", or add it to the selection (--only {step})" if widens else ""),
    )


def _why_stale(planner: Planner, name: str) -> str:
    """Why `name`, outside the selection, would have to run, as if it were selected."""
    upstream = planner.upstream_versions(planner.pipeline.steps[name])
    return planner.decide(name, upstream).reason


class MissingResults(ConfigError):
    """Selected steps need steps outside the selection that have no up-to-date stored
    result; `reasons`: why each would have to run (under `--frozen`, stale results: exit 3)."""

    def __init__(self, problems: Iterable[Problem], reasons: Mapping[str, str]) -> None:
        super().__init__(problems)
        self.reasons = dict(reasons)


def is_stale(decision: Decision) -> bool:
    """Whether `--frozen` refuses a run over a decision made before it: a step to run, but
    not a `deferred` one: a `pipeflow.read` step (it reads again) or one that waits for a
    restore or a read (decided again once it is done, and refused then if it must run)."""
    return decision.action is Action.RUN and not decision.deferred


def stale_results(
    pipeline: str, reasons: Mapping[str, str], plan: Iterable[Decision] = ()
) -> StaleResults:
    """`--frozen`'s error: the steps that would run, each with why; `plan`, when there is one,
    also gives the reports every other step: current (`cached`), `skipped`, or a read (and what
    waits for one) the refused run did not get to (`not run`)."""
    others = {Action.SKIPPED: "skipped", Action.RUN: "not run"}
    steps = [
        (d.step, "stale", reasons[d.step])
        if d.step in reasons
        else (d.step, others.get(d.action, "cached"), d.reason)
        for d in plan
    ] or [(step, "stale", reason) for step, reason in reasons.items()]
    return StaleResults(
        f"--frozen: {len(reasons)} step(s) of `{pipeline}` would run:\n"
        + "\n".join(f"  {step}: {reason}" for step, reason in reasons.items()),
        steps,
    )
