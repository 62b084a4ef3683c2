"""The steps a run, plan or status was asked for, checked against the pipeline.

The options (`--only`, `--from`, `--until`, `--tag`, `--force`) arrive normalised
(`model/options.py`); every step name they give must be one of the pipeline's and every tag
one that a step carries, all reported at once as a config error with a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pipeflow.errors import ConfigError, Problem, did_you_mean
from pipeflow.model.pipeline import Pipeline
from pipeflow.model.refs import Ref
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import ALL, CachePolicy, Selection


def checked_selection(
    pipeline: Pipeline, graph: StepGraph, chosen: Mapping[str, Any]
) -> tuple[Selection, CachePolicy]:
    """The selection and cache policy of normalised options; ConfigError on unknown names."""
    forced: tuple[str, ...] = chosen["force"]
    wanted: tuple[str, ...] = chosen["tags"]
    selection = Selection(
        only=chosen["only"], start=chosen["start"], until=chosen["until"], tags=wanted
    )
    # An empty name (`--from "$STEP"`, the variable unset) is checked too: never "no option".
    names = [*selection.only, *(n for n in (selection.start, selection.until) if n is not None)]
    names += [n for n in forced if n != ALL]
    # A step that runs a sub-pipeline stands for its steps (`StepGraph.members`).
    check_steps(pipeline, [name for name in names if not graph.members([name])])
    _check_tags(pipeline, graph, wanted)
    _check_not_empty(pipeline, graph, selection)
    return selection, CachePolicy(use=not chosen["no_cache"], force=forced)


def _check_not_empty(pipeline: Pipeline, graph: StepGraph, selection: Selection) -> None:
    """ConfigError when the options, each a step or tag of the pipeline, leave no step to run
    between them: a run of nothing would look like a run that found everything done."""
    asked = selection.only or selection.tags or selection.start or selection.until
    if not asked or graph.select(
        only=selection.only, start=selection.start, until=selection.until, tags=selection.tags
    ):
        return
    start, until = selection.start, selection.until
    given = [f"--only {name}" for name in selection.only]
    given += [f"--tag {tag}" for tag in selection.tags]
    given += [f"--from {start}"] if start is not None else []
    given += [f"--until {until}"] if until is not None else []
    reason = "each option narrows the others, and they have no step in common"
    hint = "drop one of them, or repeat one (`--only a --only b`: either step)"
    if start is not None and until is not None:
        first, last = set(graph.members([start])), graph.members([until])
        if not first & (set(last) | graph.ancestors(last)):
            if first & graph.descendants(last):
                reason = f"`{start}` comes after `{until}`"
                hint = "`--from` names the first step to run and `--until` the last: swap them"
            else:
                reason = f"`{until}` does not need `{start}`"
                hint = "`--until` runs a step and what it needs: name one after `--from`'s"
    message = f"{' '.join(given)} selects no step of pipeline `{pipeline.name}`: {reason}"
    raise ConfigError([Problem(message=message, hint=hint)])


def check_steps(pipeline: Pipeline, names: Iterable[str]) -> None:
    """ConfigError naming every one of `names` that is no step of `pipeline`."""
    problems = [
        Problem(
            message=f"pipeline `{pipeline.name}` has no step `{name}`",
            hint=inner_steps(pipeline, name)
            or _separate(pipeline.steps, name, "step")
            or did_you_mean(name, pipeline.steps),
        )
        if name.strip()
        else Problem(
            message=f"a step name given for pipeline `{pipeline.name}` is empty",
            hint="give a step's name (`pipeflow status CONFIG` lists them); "
            "an unset shell variable gives an empty one",
        )
        for name in dict.fromkeys(name if name.strip() else "" for name in names)
        if name not in pipeline.steps
    ]
    if problems:
        raise ConfigError(problems)


def _separate(known: Iterable[str], name: str, what: str) -> str | None:
    """For `load,train` (step names, or tags, joined by commas, as some tools take them): how
    to give each on its own."""
    parts = [part.strip() for part in name.split(",") if part.strip()]
    if len(parts) < 2 or not set(parts) <= set(known):
        return None
    option = "--only" if what == "step" else "--tag"
    options = " ".join(f"{option} {part}" for part in parts)
    listed = ", ".join(f'"{part}"' for part in parts)
    return (
        f"commas do not split {'step names' if what == 'step' else 'tags'}: give each "
        f"{what} on its own, `{options}` "
        f"(in Python, a list: `[{listed}]`)"
    )


def inner_steps(pipeline: Pipeline, name: str) -> str | None:
    """For the name of a sub-pipeline step: the names its steps have here."""
    inner = [step for step in pipeline.steps if step.startswith(f"{name}/")]
    if not inner:
        return None
    return f"`{name}` is a sub-pipeline; its steps are " + ", ".join(f"`{s}`" for s in inner)


def _check_tags(pipeline: Pipeline, graph: StepGraph, tags: Iterable[str]) -> None:
    known = graph.tags()
    listing = ", ".join(f"`{tag}`" for tag in known)
    problems = [
        Problem(
            message=f"no step of pipeline `{pipeline.name}` is tagged `{tag}`",
            hint=_separate(known, tag, "tag")
            or did_you_mean(tag, known)
            or (f"known tags: {listing}" if known else "no step has `tags:` yet"),
        )
        for tag in tags
        if tag not in known
    ]
    if problems:
        raise ConfigError(problems)


def output_source(pipeline: Pipeline, step: str, part: str | None) -> tuple[str, str | None]:
    """Where `pipeflow result STEP --part PART` reads: for a step that runs a sub-pipeline,
    the step (and part) its output PART names; any other step, as it is."""
    outputs = pipeline.subpipelines.get(step)
    if not outputs:  # no sub-pipeline, or one that gives nothing: `check_steps` explains
        return step, part
    if part is None or part not in outputs:
        names = ", ".join(f"`{name}`" for name in outputs)
        inner = ", ".join(f"`{name}`" for name in pipeline.steps if name.startswith(f"{step}/"))
        problem = f"`{step}` runs a sub-pipeline; name one of its outputs with --part"
        if part is not None:
            problem = f"the sub-pipeline of step `{step}` has no output `{part}`"
        hint = (did_you_mean(part, outputs) if part else None) or (
            f"its outputs: {names}; or name one of its steps: {inner}"
        )
        raise ConfigError([Problem(message=problem, hint=hint)])
    found = outputs[part]
    if not isinstance(found, Ref) or found.scope != "steps":
        raise ConfigError(
            [
                Problem(
                    message=f"output `{part}` of the sub-pipeline of step `{step}` is no step's "
                    "result, so nothing of it is stored",
                    hint="its value comes from the params the step passes",
                )
            ]
        )
    return found.step, found.part
