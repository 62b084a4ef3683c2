"""Loading a config: read, check against the schema, build, merge params, check semantics.

Every stage runs even when an earlier one found problems, so that one report lists them
all; the ConfigError is raised once, at the end, sorted by position in the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeflow.config.build import Builder
from pipeflow.config.checks import Checker
from pipeflow.config.child_params import StepParams, child_param_hints
from pipeflow.config.collecting import collector_paused
from pipeflow.config.file_checks import check_files
from pipeflow.config.held_back import held_back
from pipeflow.config.overrides import nested_overrides
from pipeflow.config.param_defaults import given_params, resolve_defaults
from pipeflow.config.param_names import dotted_name_problems
from pipeflow.config.params import (
    ParamSource,
    givers,
    merge_params,
    non_finite_problems,
    parse_assignment,
    read_param_file,
)
from pipeflow.config.params_schema import params_schema_problems, whole_integers
from pipeflow.config.reader import Document, read_document
from pipeflow.config.schedule_params import (
    no_such_schedule,
    schedule_sources,
    through_children,
)
from pipeflow.config.schema_errors import schema_problems
from pipeflow.config.schema_keywords import keyword_problems
from pipeflow.config.secrets import environment_values, find_secrets
from pipeflow.config.subpipelines import expand
from pipeflow.config.suggest import format_path
from pipeflow.config.targets import given_store_problems
from pipeflow.config.written import given_as_written
from pipeflow.errors import ConfigError, Problem
from pipeflow.importing import add_project, use_project
from pipeflow.model.pipeline import Pipeline, given_executor_problem
from pipeflow.model.secrets import NO_SECRETS, Secrets, remember
from pipeflow.plan.files import WriteIndex, file_upstream, pipeline_files, pipeline_places
from pipeflow.plan.graph import StepGraph
from pipeflow.records import record
from pipeflow.storage.paths import unreadable


@record
class Loaded:
    """A validated pipeline and the params merged for one run."""

    pipeline: Pipeline
    document: Document
    params: dict[str, Any]  # merged; `${run.*}` defaults still to be filled by the run
    # Values never to show (from the environment, storage credentials), and the params
    # whose values came from the environment.
    secrets: Secrets = NO_SECRETS
    graph: StepGraph | None = None  # the step graph the checks built, for the run to reuse


@record
class ParamLayer:
    """The overrides one call gives (`load`, `with_params`, `run`): its params files in
    order, then its `--param` options, then its params given in Python (`label` names them)."""

    files: tuple[str | Path, ...] = ()
    options: tuple[str, ...] = ()
    params: Mapping[str, Any] | None = None
    label: str = "the params passed to run()"


def load(
    path: str | Path,
    *,
    param_files: Sequence[str | Path] = (),
    param_options: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    schedule: int | None = None,
    layers: Sequence[ParamLayer] = (),
    allow_extra_params: bool = False,
    check_code: bool = True,
    results: str | None = None,
    executor: str | None = None,
) -> Loaded:
    """Read and check a config with its params; raises ConfigError listing every problem.

    The overrides, lowest first: the params of schedule number `schedule` (from 1, as
    `pipeflow serve` runs it), `param_files`, `param_options`, `params`, then each of
    `layers` in order (the API's later calls). `results`: the store a run will use instead
    of `results.root` (`--results`, relative to the current directory); steps may write
    under it as under `results.root`. `executor`: the executor a run will use instead of
    `executor.type` (`--executor`), which the checks of the store are made for."""
    with collector_paused():
        return _load(
            path,
            param_files=param_files,
            param_options=param_options,
            params=params,
            schedule=schedule,
            layers=layers,
            allow_extra_params=allow_extra_params,
            check_code=check_code,
            results=results,
            executor=executor,
        )


def _load(
    path: str | Path,
    *,
    param_files: Sequence[str | Path] = (),
    param_options: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    schedule: int | None = None,
    layers: Sequence[ParamLayer] = (),
    allow_extra_params: bool = False,
    check_code: bool = True,
    step_params: Sequence[ParamSource] = (),
    chain: tuple[str, ...] = (),
    results: str | None = None,
    executor: str | None = None,
) -> Loaded:
    """`chain`: the files of the pipelines running this one as a sub-pipeline, outermost
    first (empty for the main config); `step_params`: the `params:` of the step that does."""
    document = read_document(path)
    problems: list[Problem] = [*document.problems]
    schema_found = schema_problems(document)
    problems += schema_found
    builder = Builder(document)
    pipeline = _built(builder, document)
    problems += builder.problems

    sources: list[ParamSource] = []
    scheduled = schedule_sources(document)
    if schedule is not None:
        if 1 <= schedule <= len(scheduled):
            sources.append(scheduled[schedule - 1])
        else:
            problems.append(no_such_schedule(document, schedule, len(scheduled)))
    first = ParamLayer(
        tuple(param_files), tuple(param_options), params, "the params passed to load()"
    )
    for layer in (first, *layers):
        sources += _layer_sources(layer, problems, pipeline.project_dir)
    sources += step_params
    given = given_params(sources)  # their defaults are not taken: no variable of theirs needed
    defaults, secret_params, env_found = resolve_defaults(pipeline.params, document, given)
    for source in step_params:  # a sub-pipeline's: what the parent's environment gave
        if isinstance(source, StepParams):
            secret_params |= source.secret
    problems += env_found
    problems += dotted_name_problems(pipeline.params, document)
    problems += non_finite_problems(
        defaults,
        lambda path, message, hint: document.problem(["params", *path], message, hint=hint),
    )
    environment = environment_values(document)
    merged, merge_found = merge_params(
        defaults,
        sources,
        allow_extra=allow_extra_params,
        secrets=Secrets(values=environment, params=frozenset(secret_params)),
    )
    problems += child_param_hints(merge_found, pipeline, document.kind)
    secrets = find_secrets(document, pipeline, merged, secret_params, environment=environment)
    problems += [
        document.problem(["params_schema", *path], message, hint=hint)
        for path, message, hint in keyword_problems(pipeline.params_schema or {})
    ]
    problems += params_schema_problems(pipeline, document, merged, sources, secrets)
    merged = whole_integers(pipeline.params_schema, merged)
    for source in scheduled:
        problems += _schedule_params_problems(pipeline, document, defaults, source, secrets)

    if check_code and chain:
        add_project(pipeline.project_dir)  # after the main project's folder
    elif check_code:
        use_project(pipeline.project_dir)
    here = str(Path(pipeline.source).resolve())

    def load_child(
        file: Path, sources: Sequence[ParamSource], files: tuple[str, ...]
    ) -> tuple[Pipeline, Mapping[str, Any], Secrets]:
        nonlocal secrets
        child = _load(
            file, check_code=check_code, step_params=sources, chain=files, results=results
        )
        secrets |= Secrets(values=child.secrets.values)  # its params are not named as ours
        return child.pipeline, child.params, child.secrets

    def quick_child(
        file: Path, sources: Sequence[ParamSource], files: tuple[str, ...]
    ) -> tuple[Pipeline, Mapping[str, Any], Secrets]:
        child = _load(file, check_code=False, step_params=sources, chain=files)
        return child.pipeline, child.params, child.secrets

    built = pipeline
    pipeline, expand_found = expand(
        pipeline,
        document,
        merged,
        load_child=load_child,
        chain=chain or (here,),
        secrets=secrets,
        results=results,
        given=givers([source for source in sources if not isinstance(source, StepParams)])
        if any(step.pipeline is not None for step in pipeline.steps.values())
        else None,  # only a sub-pipeline's messages name them
    )
    problems += expand_found
    if any(step.pipeline is not None for step in built.steps.values()):
        # The runs a schedule starts expand the sub-pipelines with its params: as they would.
        problems += through_children(
            document,
            scheduled,
            lambda source: merge_params(defaults, [source], secrets=secrets),
            lambda params: expand(
                built,
                document,
                params,
                load_child=quick_child,
                chain=chain or (here,),
                secrets=secrets,
            )[1],
            expand_found,
        )
    skip, skip_runs = held_back(schema_found)
    pipeline = replace(pipeline, places=pipeline_places(pipeline, merged))
    files = pipeline_files(pipeline, merged)
    targets_read: dict[str, set[str]] = {}
    graph = StepGraph(
        pipeline.steps, files=file_upstream(files, targets_read, steps=pipeline.steps)
    )
    graph.targets_read = targets_read
    checker = Checker(
        pipeline,
        document,
        params=merged,
        check_code=check_code,
        skip_steps=skip,
        skip_runs=skip_runs,
        graph=graph,
        secrets=secrets,
        writes=WriteIndex(files),
        results=results,
        executor=executor,
    )
    check_files(checker, files, results=results)
    problems += checker.run()
    if not chain:  # a sub-pipeline is given the same store: told once, for the run
        problems += given_store_problems(results)
        unknown = None if executor is None else given_executor_problem(executor)
        problems += [] if unknown is None else [unknown]
    problems = _without_repeats(problems, document.problems, schema_found)
    remember(secrets)
    if problems:
        raise ConfigError(_sorted([secrets.problem(problem) for problem in problems]))
    return Loaded(
        pipeline=pipeline,
        document=document,
        params=merged,
        secrets=secrets,
        graph=graph,
    )


def _found(path: Path) -> bool:
    """Whether `path` is a file (False for a name the disk cannot look up: too long)."""
    return unreadable(path) is None and path.is_file()


def _layer_sources(
    layer: ParamLayer, problems: list[Problem], project_dir: str
) -> list[ParamSource]:
    """The sources of one layer, lowest first; what cannot be read goes to `problems`."""
    sources: list[ParamSource] = []
    for file in layer.files:
        try:
            sources.append(read_param_file(file))
        except ConfigError as error:
            beside = Path(project_dir, file)  # read from the current folder, not the config's
            if not Path(file).is_absolute() and not _found(Path(file)) and _found(beside):
                hint = "a relative path is read from the current folder; the one beside the "
                hint += f"config is `{os.path.relpath(beside)}`"
                problems += [replace(problem, hint=hint) for problem in error.problems]
            else:
                problems += error.problems
    for option in layer.options:
        try:
            sources.append(parse_assignment(option))
        except ConfigError as error:
            problems += error.problems
    if layer.params:
        sources.append(ParamSource(values=nested_overrides(layer.params), label=layer.label))
    taken: list[ParamSource] = []
    for source in sources:
        source, found = given_as_written(source)
        taken.append(source)
        problems += found
    return taken


def _built(builder: Builder, document: Document) -> Pipeline:
    """The pipeline model of `document`: the one kept for a big config's kept reading when its
    bytes and the builder are the same (`builds.py`), else built (and kept, when it can be)."""
    if document.reading is None or document.file_hash is None or document.problems:
        return builder.build()
    from pipeflow.config import builds

    source = Path(document.file).resolve()
    kept = builds.recall(source, document.reading, document.file_hash)
    if kept is not None:
        return kept
    pipeline = builder.build()
    if not builder.problems:
        builds.remember(source, document.reading, pipeline)
    return pipeline


def _schedule_params_problems(
    pipeline: Pipeline,
    document: Document,
    defaults: Mapping[str, Any],
    source: ParamSource,
    secrets: Secrets,
) -> list[Problem]:
    """A schedule's params as the runs it starts get them, over the defaults: unknown names,
    types other than the defaults', and `params_schema` (for the values the schedule sets;
    the defaults' own problems are reported at `params:`)."""
    if not source.values:
        return []
    merged, found = merge_params(defaults, [source], secrets=secrets)
    if found:
        return found
    found = params_schema_problems(pipeline, document, merged, [source], secrets)
    problems = [problem for problem in found if problem.path.startswith(format_path(source.at))]
    whole = [problem for problem in found if problem.path.startswith("params_schema")]
    if whole:  # the params as a whole: the schedule's doing unless the defaults fail so too
        without = params_schema_problems(pipeline, document, defaults, [], secrets)
        problems += [
            source.problem([], f"{problem.message} (the rule at `{problem.path}`)")
            for problem in whole
            if problem not in without
        ]
    return problems


def _without_repeats(
    problems: list[Problem], read_found: list[Problem], schema_found: list[Problem]
) -> list[Problem]:
    """One mistake, one message: what reading the file found about a value (a key YAML reads
    as a boolean) comes first, then what the schema found; later reports about the same
    value are dropped."""
    first = {(p.file, p.path) for p in read_found if p.path}
    schema = [p for p in schema_found if (p.file, p.path) not in first]
    reported = first | {(p.file, p.path) for p in schema if p.path}
    return [
        problem
        for problem in problems
        if problem in read_found
        or problem in schema
        or (problem not in schema_found and (problem.file, problem.path) not in reported)
    ]


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file or "", p.line or 0, p.column or 0))
