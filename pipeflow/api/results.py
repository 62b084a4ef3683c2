"""`Pipeline.result()` once planned: the up-to-date stored result of a step (each item's, for
a `foreach` step), or an error saying why there is none: NoCurrentResult (exit 3) when a
run would store one, UsageError (exit 2) when none can be had as asked."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pipeflow.cache.results import ResultCache
from pipeflow.errors import NoCurrentResult, UsageError
from pipeflow.execute.outcome import StoredResult
from pipeflow.model.refs import references
from pipeflow.model.run import Action, Decision
from pipeflow.plan.planner import Planner
from pipeflow.storage import Manifest

if TYPE_CHECKING:
    from pipeflow.api.pipeline import Pipeline


def stored_result(pipeline: Pipeline, planner: Planner, decision: Decision) -> StoredResult:
    """The stored result of the step `decision` is about, as the planner found it."""
    step = decision.step
    definition = pipeline.definition.steps[step]
    cache = planner.caches[step]
    if cache is None:
        raise UsageError(
            f"step `{step}` of pipeline `{pipeline.name}` never stores its result "
            "(`result: false`, or `results.persist: false`), so there is none to read"
        )
    if definition.foreach is not None:
        return _items_result(pipeline, planner, decision)
    manifest = planner.manifests.get(step)
    restoration = planner.restorations.get(step)
    usable = decision.action in (Action.CACHED, Action.RESTORE)
    current = True
    if not definition.cache:
        # Never up to date by design: its latest intact stored result is the one there is.
        manifest, current = cache.latest_intact(step), False
        if manifest is None:
            raise NoCurrentResult(
                f"step `{step}` of pipeline `{pipeline.name}` has `cache: false` and no stored "
                f"result yet{_ignored(cache.ignored(step))}; run the pipeline first"
            )
    elif decision.action is Action.SKIPPED:
        raise UsageError(
            f"step `{step}` of pipeline `{pipeline.name}` is skipped with these params "
            f"({decision.reason}), so a run stores no result for it",
            hint="ask with the params under which it runs (`--param`, `--param-file`; in "
            "Python, `with_params()`)",
        )
    elif not usable or manifest is None:
        _unknowable(pipeline, planner, step)
        raise NoCurrentResult(
            f"step `{step}` of pipeline `{pipeline.name}` has no up-to-date stored result "
            f"({decision.reason}); {_run_first(planner, step)}"
        )
    restored: tuple[tuple[str, str], ...] = ()
    if decision.action is Action.RESTORE and restoration is not None and restoration.parts:
        # A target a run would put back (deleted, or changed since): its stored copy is the
        # result; nothing is written here, the target stays as it is until a run.
        paths = {part.path for part in restoration.parts}
        restored = tuple((n, p.path) for n, p in manifest.parts.items() if p.path in paths)
        manifest = from_copies(manifest, tuple(paths))
    locations = {
        name: pipeline.loaded.secrets.mask(cache.place(manifest, manifest.parts[name]))
        for name in _in_order(manifest, definition.outputs)
    }
    return StoredResult(
        step=step,
        manifest=manifest,
        locations=locations,
        planner=planner,
        current=current,
        restored=restored,
    )


def from_copies(manifest: Manifest, targets: tuple[str, ...]) -> Manifest:
    """`manifest` with each part stored at one of `targets` read from its stored copy (its
    blob: the same bytes, checksum and signature)."""
    parts = {
        name: replace(part, path=part.blob) if part.path in targets and part.blob else part
        for name, part in manifest.parts.items()
    }
    return replace(manifest, parts=parts)


def _from_own_copies(
    cache: ResultCache, manifest: Manifest, restored: list[tuple[str, str]]
) -> Manifest:
    """`manifest` with each target no longer as stored read from its stored copy; those
    targets are added to `restored`, with the name of their part."""
    found = [
        (name, part.path)
        for name, part in manifest.parts.items()
        if part.blob is not None and cache.check_part(part) is not None
    ]
    restored.extend(found)
    return from_copies(manifest, tuple(path for _, path in found)) if found else manifest


def _items_result(pipeline: Pipeline, planner: Planner, decision: Decision) -> StoredResult:
    """The stored items of a `foreach` step, when every one of them is up to date."""
    step = decision.step
    cache = planner.caches[step]
    assert cache is not None
    definition = pipeline.definition.steps[step]
    items = planner.item_manifests.get(step)
    usable = decision.action in (Action.CACHED, Action.RESTORE)
    if usable and items is not None and definition.cache:
        mask = pipeline.loaded.secrets.mask
        restored: list[tuple[str, str]] = []
        if decision.action is Action.RESTORE:  # items whose targets a run would put back
            items = [_from_own_copies(cache, item, restored) for item in items]
        return StoredResult(
            step=step,
            manifest=None,
            locations={},
            planner=planner,
            restored=tuple(restored),
            items=tuple(items),
            item_locations=tuple(
                {
                    name: mask(cache.place(item, item.parts[name]))
                    for name in _in_order(item, definition.outputs)
                }
                for item in items
            ),
        )
    if not definition.cache:
        why = "has `cache: false`, so none of its stored items is ever up to date"
    elif any(ref.scope == "steps" for ref in references(definition.foreach)) and not isinstance(
        planner.items_of(step), list
    ):
        why = (
            "runs once per item of another step's value, so which of its stored items are "
            "up to date is known only during a run; read them in a step of the pipeline"
        )
    else:
        _unknowable(pipeline, planner, step)
        why = f"has no up-to-date stored result ({decision.reason}); {_run_first(planner, step)}"
    raise NoCurrentResult(f"step `{step}` of pipeline `{pipeline.name}` {why}")


def _unknowable(pipeline: Pipeline, planner: Planner, step: str) -> None:
    """NoCurrentResult when `step` waits only for steps that run every time (`result: false`,
    `cache: false`, `pipeflow.read`): a run keys it by their values, known only by running
    them, so whether its stored result is up to date cannot be said without running them."""
    decisions = planner.decisions
    running = {
        name
        for name in planner.graph.ancestors([step])
        if name in decisions and decisions[name].action is Action.RUN
    }
    first = [name for name in running if not running & set(planner.graph.upstream[name])]
    whys = {name: planner.cacheable(pipeline.definition.steps[name]) for name in first}
    if not first or any(why is None for why in whys.values()):
        return  # a step before it runs for a change: its stored result is not up to date
    names = ", ".join(f"`{name}`" for name in sorted(first))
    if len(first) == 1:
        reasons, has = str(whys[first[0]]), "has"
    else:
        reasons, has = "; ".join(f"`{n}`: {why}" for n, why in sorted(whys.items())), "have"
    raise NoCurrentResult(
        f"step `{step}` of pipeline `{pipeline.name}`: whether its stored result is up to date "
        f"is known only once {names} {has} run ({reasons}), and `pipeflow result` runs no "
        f"step; run the pipeline (it takes `{step}` from the cache if {names} gives the same "
        f'value) and read `{step}` there, with `Pipeline.run().output("{step}")`, or make '
        f"{names} a step whose result is stored and cached"
    )


def _run_first(planner: Planner, step: str) -> str:
    """What to do about a result that is not up to date: run the pipeline; where a param
    differs, for the step or a step before it that runs (its own reason is then "`train`
    runs first"), the result stored may be the one asked for under the params it ran with."""
    decisions = planner.decisions
    running = [
        decisions[name].reason
        for name in (step, *planner.graph.ancestors([step]))
        if name in decisions and decisions[name].action is Action.RUN
    ]
    if any(part.startswith("param ") for reason in running for part in reason.split("; ")):
        return (
            "run the pipeline with these params first, or ask with the params it ran with "
            "(`--param`, `--param-file`; in Python, `with_params()`)"
        )
    return "run the pipeline first"


def _in_order(manifest: Manifest, outputs: tuple[str, ...]) -> list[str]:
    """The names of a result's parts in `outputs:` order (a stored manifest lists them sorted)."""
    return list(outputs) or list(manifest.parts)


def _ignored(why: str | None) -> str:
    return f" that may be read (the latest was ignored: {why})" if why else ""
