"""Sub-pipelines: a step with `pipeline: PATH` is replaced by the steps of that pipeline.

The child config is loaded (and checked, against its own folder) with the same loader; its
params are its defaults overridden by the step's `params:`. Each child step is inlined as
`STEP/CHILD_STEP`, with the child's `${params.*}` filled in now, its `${steps.*}` and `after`
renamed, and its results stored in the child's results root, as the child's step (see
`Origin`): a pipeline shares one cache with itself run as a sub-pipeline. A store given for the
run (`--results`) replaces the child's `results.root` as it does the parent's: the whole run's
results move, and the child run alone with the same store shares them. The child's
top-level `outputs:` are what the parent reads as `${steps.STEP.NAME}`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeflow.cache.consumed import consumed_param_refs, target_param_refs
from pipeflow.config.child_params import StepParams, origins, parent_params
from pipeflow.config.localizing import Localizer, literal_writes
from pipeflow.config.misplaced import nearby_file
from pipeflow.config.params import ParamSource
from pipeflow.config.reader import Document, read_document
from pipeflow.config.subpipeline_keys import unused_keys
from pipeflow.config.subpipeline_refs import ChildSteps, DocPath, OutputRewriter
from pipeflow.errors import ConfigError, Problem
from pipeflow.model.locations import Location
from pipeflow.model.pipeline import Origin, Pipeline, ResultSpec, Step
from pipeflow.model.refs import Ref, lookup_path, references_in, run_stand_ins
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.plan.roots import store_url
from pipeflow.storage.paths import unreadable
from pipeflow.storage.templates import TemplateError, with_params

# Loads a child config: (file, the step's params, the chain of files) -> pipeline, params and
# its secrets.
LoadChild = Callable[
    [Path, Sequence[ParamSource], tuple[str, ...]], tuple[Pipeline, Mapping[str, Any], Secrets]
]


def expand(
    pipeline: Pipeline,
    document: Document,
    params: Mapping[str, Any],
    *,
    load_child: LoadChild,
    chain: tuple[str, ...],
    secrets: Secrets,
    results: str | None = None,
    given: Mapping[tuple[str, ...], str] | None = None,
) -> tuple[Pipeline, list[Problem]]:
    """The pipeline with every sub-pipeline step replaced by its steps, and the problems.
    `results`: the store given for the run (`--results`, relative to the current directory);
    `given`: what gave the params that did not come from the defaults (`params.givers`)."""
    if not any(step.pipeline is not None for step in pipeline.steps.values()):
        return pipeline, []
    problems: list[Problem] = []
    steps: dict[str, Step] = {}
    children: dict[str, ChildSteps] = {}
    unloaded: dict[str, tuple[str, ...]] = {}  # a child refused: the outputs it declares
    subpipelines: dict[str, Mapping[str, Any]] = {}
    parent_writes = literal_writes(pipeline.steps.values(), pipeline.project_dir)
    for name, step in pipeline.steps.items():
        if step.pipeline is None:
            steps[name] = step
            continue
        loaded = _load(
            name, step, pipeline, document, params, load_child, chain, problems, secrets, given
        )
        if loaded is None:
            steps[name] = step  # kept, so references to it are not reported again
            declared = _declared_outputs(Path(pipeline.project_dir) / str(step.pipeline), chain)
            if declared is not None:
                unloaded[name] = declared
            continue
        child, child_params, child_secrets = loaded
        inlined = _inline(
            name,
            child,
            child_params,
            Path(pipeline.project_dir),
            step.tags,
            parent_writes,
            child_secrets,
            results,
        )
        steps.update((s.name, s) for s in inlined)
        localize = Localizer(child_params, f"{name}/", None)
        children[name] = ChildSteps(
            names=tuple(s.name for s in inlined),
            outputs={key: localize(value) for key, value in child.outputs.items()},
        )
        subpipelines[name] = children[name].outputs
        for inner, outputs in child.subpipelines.items():
            subpipelines[f"{name}/{inner}"] = {key: localize(v) for key, v in outputs.items()}
    rewrite = OutputRewriter(children, document, problems, unloaded)
    for name, step in list(steps.items()):
        if step.origin is not None and name.split("/", 1)[0] in children:
            parent_after = pipeline.steps[name.split("/", 1)[0]].after
            if parent_after:  # the sub-pipeline step's own `after`: all its steps wait
                steps[name] = replace(step, after=(*step.after, *rewrite.after(parent_after)))
            continue
        path: DocPath = ["steps", name]
        steps[name] = replace(
            step,
            inputs=rewrite(dict(step.inputs), [*path, "inputs"]),
            foreach=rewrite(step.foreach, [*path, "foreach"]),
            when=rewrite(step.when, [*path, "when"]),
            params=rewrite(dict(step.params), [*path, "params"]),
            after=rewrite.after(step.after),
        )
    outputs = rewrite(dict(pipeline.outputs), ["outputs"])
    return replace(pipeline, steps=steps, outputs=outputs, subpipelines=subpipelines), problems


def _load(
    name: str,
    step: Step,
    pipeline: Pipeline,
    document: Document,
    params: Mapping[str, Any],
    load_child: LoadChild,
    chain: tuple[str, ...],
    problems: list[Problem],
    secrets: Secrets,
    given: Mapping[tuple[str, ...], str] | None,
) -> tuple[Pipeline, Mapping[str, Any], Secrets] | None:
    path: DocPath = ["steps", name]
    problems += unused_keys(document, name)  # the child is read all the same (SPEC 3)
    before = len(problems)
    values = {
        key: parent_params(value, [*path, "params", key], params, document, problems, secrets)
        for key, value in step.params.items()
    }
    file = (Path(pipeline.project_dir) / str(step.pipeline)).resolve()
    if "${" in str(step.pipeline):  # nothing a run is given may choose the code it runs
        problems.append(
            document.problem(
                [*path, "pipeline"],
                f"`{step.pipeline}` holds a reference: `pipeline` takes none; a config names "
                "the configs it runs as written, so no param, environment variable or step's "
                "value can choose one",
                hint="write the path of the sub-pipeline's config itself",
            )
        )
    elif str(file) in chain:
        cycle = [*chain[chain.index(str(file)) :], str(file)]
        shown = " -> ".join(os.path.relpath(f, pipeline.project_dir) for f in cycle)
        problems.append(
            document.problem(
                [*path, "pipeline"],
                f"sub-pipelines form a cycle: {shown}",
                hint="a pipeline cannot run itself, directly or through another",
            )
        )
    elif (why := unreadable(file)) is not None:
        problems.append(
            document.problem(
                [*path, "pipeline"],
                f"the config file `{step.pipeline}` cannot be read: {why}",
                hint="give the sub-pipeline's config a shorter path",
            )
        )
    elif not file.is_file():
        problems.append(
            document.problem(
                [*path, "pipeline"],
                f"no config file `{step.pipeline}` (looked for {file})",
                hint=nearby_file(file, str(step.pipeline))
                or "the path is relative to this config's folder",
            )
        )
    if len(problems) > before:
        return None
    source = StepParams(
        values=values,
        label=f"the params of step `{name}`",
        origins=origins(step.params, given or {}),
        document=document,
        prefix=("steps", name, "params"),
        secret=frozenset(
            key
            for key, value in step.params.items()
            if any(
                ref.scope == "params" and secrets.hides(ref.path) for ref in references_in(value)
            )
        ),
    )
    try:
        return load_child(file, [source], (*chain, str(file)))
    except ConfigError as error:
        problems += [problem.seen_from(document.file) for problem in error.problems]
        return None


def _declared_outputs(file: Path, chain: tuple[str, ...]) -> tuple[str, ...] | None:
    """The names under a refused child's `outputs:`, as its text declares them, so that the
    parent's references to them are checked with the child's problems; None when the file
    cannot be read (its problems are reported already) or is part of a cycle."""
    file = file.resolve()
    if str(file) in chain or unreadable(file) is not None or not file.is_file():
        return None
    try:
        outputs = read_document(file).data.get("outputs", {})
    except ConfigError:
        return None
    if not isinstance(outputs, Mapping) or not all(isinstance(key, str) for key in outputs):
        return None
    return tuple(outputs)


def _inline(
    name: str,
    child: Pipeline,
    params: Mapping[str, Any],
    parent_dir: Path,
    tags: tuple[str, ...] = (),
    parent_writes: Sequence[Location] = (),
    secrets: Secrets = NO_SECRETS,
    results: str | None = None,
) -> list[Step]:
    """The child's steps as steps of the parent: renamed, params filled in, stored as before
    (in `results` instead of the child's `results.root` when the run is given a store).

    Each keeps its own tags and gets the `tags` of the step that runs the sub-pipeline.
    """
    prefix = f"{name}/"
    elsewhere = Path(child.project_dir) != parent_dir
    written: list[Location] = []
    if elsewhere:  # what its steps and the parent's write, which may not exist yet
        filled = Localizer(params, prefix, None)
        writers = [replace(s, writes=tuple(filled(list(s.writes)))) for s in child.steps.values()]
        written = [*literal_writes(writers, child.project_dir), *parent_writes]
    localize = Localizer(params, prefix, child.project_dir if elsewhere else None, written)
    if results is not None:  # as the run's own `results.root` (`plan/prepare.py`)
        root: Any = store_url(results, os.getcwd())
        options: Any = {}
    else:
        root = localize(child.results.root)
        root = store_url(root, child.project_dir) if isinstance(root, str) else root
        options = localize(dict(child.results.storage_options))
    inlined: list[Step] = []
    for step in child.steps.values():
        result = step.result
        if not child.results.persist:
            result = ResultSpec(persist=False)
        elif result.persist:
            own = localize(result.root)
            if isinstance(own, str):
                own = store_url(own, child.project_dir)
            target = result.target
            if target is not None and step.origin is None:  # a nested one was done already
                target = target.replace("{pipeline}", child.name).replace("{step}", step.name)
                # A `${run.*}` a param holds is a stand-in here; the run fills in its value.
                target = _own_params(target, run_stand_ins(params))
            result = replace(
                result,
                target=target,
                root=root if result.root is None else own,
                storage_options=options
                if result.root is None
                else localize(dict(result.storage_options)),
            )
        origin = (
            replace(step.origin, prefix=prefix + step.origin.prefix)
            if step.origin is not None
            else Origin(
                pipeline=child.name,
                step=step.name,
                prefix=prefix,
                project_dir=child.project_dir,
                allow_imports=child.allow_imports,
                params=_consumed(step, params, secrets),
                target=step.result.target,
                target_values=_target_values(step, params),
                persist=child.results.persist,
                source=child.source,
            )
        )
        inlined.append(
            replace(
                step,
                name=prefix + step.name,
                inputs=localize(dict(step.inputs)),
                foreach=localize(step.foreach),
                when=localize(step.when),
                after=tuple(prefix + other for other in step.after),
                reads=tuple(localize(list(step.reads))),
                writes=tuple(localize(list(step.writes))),
                result=result,
                origin=origin,
                tags=tuple(dict.fromkeys((*step.tags, *tags))),
            )
        )
    return inlined


def _consumed(step: Step, params: Mapping[str, Any], secrets: Secrets) -> dict[str, Any]:
    """The child's params `step` consumes, as the child shows them (see `Origin.params`)."""
    found = _values(consumed_param_refs(step), params)
    return secrets.redact(found) if found else found


def _target_values(step: Step, params: Mapping[str, Any]) -> dict[str, Any]:
    """The child's params its step's `target` is rendered with (`{params.version}`)."""
    return _values(target_param_refs(step), params)


def _values(refs: Sequence[Ref], params: Mapping[str, Any]) -> dict[str, Any]:
    """The child's param each of `refs` names, by dotted name; one it lacks is left out (the
    child's own checks report it)."""
    found: dict[str, Any] = {}
    for ref in refs:
        try:
            found[".".join(ref.path)] = lookup_path(params, ref.path)
        except KeyError:
            continue
    return found


def _own_params(target: str, params: Mapping[str, Any]) -> str:
    """A child's target with its `{params.*}` filled in from the child's params: the run
    renders targets with the running pipeline's params, which need not have them. A template
    that cannot be filled in stays as it is: the child's own checks report it."""
    try:
        return with_params(target, params)
    except TemplateError:
        return target
