"""A sub-pipeline step's `params:` (`StepParams`): the parent's `${params.*}` taken into
them, a `${run.*}` one of them holds kept for the run to fill in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import field, replace
from typing import Any

from pipeflow.config.localizing import as_text
from pipeflow.config.param_refs import missing_param
from pipeflow.config.params import ParamSource, given_by
from pipeflow.config.reader import Document
from pipeflow.config.schema_hints import assignment
from pipeflow.errors import Problem
from pipeflow.model.pipeline import Pipeline
from pipeflow.model.refs import Ref, Template, lookup_path, references_in
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.records import record

DocPath = list[str | int]


@record
class StepParams(ParamSource):
    """A sub-pipeline step's `params:`, its problems located under the step in the parent."""

    prefix: tuple[str, ...] = ()
    # The child's params given a value the parent's environment gave: secret in the child too.
    secret: frozenset[str] = frozenset()
    # Where a child's param got its value, when the parent's param it names was given to the
    # run: "`${params.size}`, from --param size=abc", by the child's param name.
    origins: Mapping[str, str] = field(default_factory=dict)

    def problem(
        self,
        path: Sequence[str | int],
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
    ) -> Problem:
        assert self.document is not None
        if hint is not None and "--allow-extra-params" in hint:
            hint = "the sub-pipeline does not declare it under its `params:`"
        origin = self.origins.get(str(path[0])) if path and not key else None
        if origin is not None:
            message = f"{message} (through {origin})"
        return self.document.problem([*self.prefix, *path], message, hint=hint, key=key)

    def written(self, path: Sequence[str]) -> str | None:
        assert self.document is not None
        return self.document.written([*self.prefix, *path])


def origins(values: Mapping[str, Any], given: Mapping[tuple[str, ...], str]) -> dict[str, str]:
    """`StepParams.origins`: for each of the step's params, the parent's params it takes
    that were given to the run (not defaults), and what gave them (`params.givers`)."""
    found: dict[str, str] = {}
    for name, value in values.items():
        named = [
            f"`{ref.text}`, from {label}"
            for ref in references_in(value)
            if ref.scope == "params" and (label := given_by(given, ref.path)) is not None
        ]
        if named:
            found[str(name)] = "; ".join(dict.fromkeys(named))
    return found


def parent_params(
    value: Any,
    path: DocPath,
    params: Mapping[str, Any],
    doc: Document,
    problems: list[Problem],
    secrets: Secrets = NO_SECRETS,
) -> Any:
    """A value of a sub-pipeline step's `params:`, its `${params.*}` taken from the parent."""

    def lookup(ref: Ref) -> Any:
        if ref.scope != "params":
            problems.append(
                doc.problem(
                    path,
                    f"`{ref.text}`: only `${{params.*}}` references are supported in the "
                    "params of a sub-pipeline",
                    hint="pass a param of this pipeline, or a literal value",
                )
            )
            return None
        found = missing_param(ref, params, secrets)
        if found is not None:  # the parent's checks report it too, in the same words
            problems.append(doc.problem(path, found[0], hint=found[1]))
            return None
        return lookup_path(params, ref.path)

    if isinstance(value, Ref):
        return lookup(value)
    if isinstance(value, Template):
        # A param of the parent that holds a `${run.*}` stays a reference for the run to fill.
        return _text(value, lookup)
    if isinstance(value, Mapping):
        return {
            k: parent_params(v, [*path, k], params, doc, problems, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            parent_params(v, [*path, i], params, doc, problems, secrets)
            for i, v in enumerate(value)
        ]
    return value


def _text(value: Template, lookup: Callable[[Ref], Any]) -> str | Template:
    """A text in the parent's `params:` with its params filled in; one that holds a
    `${run.*}` stays a template for the run to fill in."""
    parts: list[str | Ref] = []
    for part in value.parts:
        found = part if isinstance(part, str) else lookup(part)
        if isinstance(found, Template):
            pieces: tuple[str | Ref, ...] = found.parts
        else:
            pieces = (found if isinstance(found, str | Ref) else as_text(found),)
        for piece in pieces:
            if isinstance(piece, str) and parts and isinstance(parts[-1], str):
                parts[-1] += piece
            else:
                parts.append(piece)
    if all(isinstance(part, str) for part in parts):
        return "".join(str(part) for part in parts)
    return Template(tuple(parts))


def child_param_hints(problems: Sequence[Problem], pipeline: Pipeline, kind: str) -> list[Problem]:
    """`problems` with the hint of each "unknown param `STEP`" for a step that runs a
    sub-pipeline (`--param sub.n=3`, as Prefect 1's `StartFlowRun(parameters=...)` set a
    child flow's) saying how such a step gets its params: from its own `params:`."""
    children = {
        name: step.pipeline for name, step in pipeline.steps.items() if step.pipeline is not None
    }
    told: list[Problem] = []
    for problem in problems:
        for name, child in children.items():
            said = f"unknown param `{name}`"
            if problem.message == said or problem.message.startswith(said + " (from "):
                example = (
                    '{ NAME = "${params.NAME}" }' if kind == "toml" else '{NAME: "${params.NAME}"}'
                )
                passed = assignment("params", example, kind)
                problem = replace(
                    problem,
                    hint=f"`{name}` is a step that runs the sub-pipeline {child}: its params come "
                    f"from the step's `params:`; declare NAME under this config's `params:`, "
                    f"pass it on with `{passed}` in step `{name}`, and give --param NAME=VALUE",
                )
        told.append(problem)
    return told
