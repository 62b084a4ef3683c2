"""Param defaults that read the environment: `${env.*}` filled in when the config is loaded,
`${run.*}` kept for the run."""

from __future__ import annotations

import os
from collections.abc import Container, Iterable, Mapping
from typing import Any

from pipeflow.config.params import ParamSource, scalar
from pipeflow.config.reader import Document
from pipeflow.errors import Problem
from pipeflow.model.refs import Ref, Template, references, resolve


def resolve_defaults(
    defaults: Mapping[str, Any],
    document: Document | None,
    given: Container[str] = frozenset(),
) -> tuple[dict[str, Any], set[str], list[Problem]]:
    """Defaults with `${env.*}` filled in now; `${run.*}` stays for the run to fill.

    A default that is exactly one environment reference is read as a YAML scalar, as
    `--param` values are, so `seed: ${env.SEED:-3}` is the int 3. Returns the defaults, the
    dotted names of params whose value came from the environment (never stored or shown),
    and a problem for each variable that is unset and has no default, unless an override
    gives its param (`given`, the dotted names `given_params` finds): the run never takes
    that default, so the variable is not needed.
    """
    secrets: set[str] = set()
    problems: list[Problem] = []

    def walk(value: Any, path: tuple[str, ...]) -> Any:
        if isinstance(value, Mapping):
            return {key: walk(item, (*path, str(key))) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, path) for item in value]
        refs = list(references(value))
        if not any(ref.scope == "env" for ref in refs):
            return value
        secrets.add(".".join(path))
        missing = [ref for ref in refs if ref.scope == "env" and _environment(ref) is None]
        for ref in missing if ".".join(path) not in given else ():
            name = ref.path[0]
            problem = Problem(
                message=f"environment variable `{name}` is not set (param `{'.'.join(path)}`)",
                path="params." + ".".join(path),
                hint=f"set it, or give a default: `${{env.{name}:-VALUE}}`",
            )
            if document is not None:
                problem = document.problem(["params", *path], problem.message, hint=problem.hint)
            problems.append(problem)
        if missing:
            return None
        if isinstance(value, Ref):
            return scalar(str(_environment(value)), f"${{env.{value.path[0]}}}")
        if any(ref.scope == "run" for ref in refs):
            # Fill in the environment now and keep `${run.*}` for the run.
            return Template(
                tuple(
                    str(_environment(part))
                    if isinstance(part, Ref) and part.scope == "env"
                    else part
                    for part in value.parts
                )
            )
        return resolve(value, lambda ref: _environment(ref))

    resolved = walk(defaults, ())
    return resolved, secrets, problems


def given_params(sources: Iterable[ParamSource]) -> set[str]:
    """The dotted names of the params that `sources` set, each down to a value that is no
    mapping (`db: {table: t}` and `--param db.table=t` both set `db.table`)."""
    names: set[str] = set()

    def walk(values: Mapping[Any, Any], prefix: str) -> None:
        for key, value in values.items():
            name = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(value, name + ".")
            else:
                names.add(name)

    for source in sources:
        walk(source.values, "")
    return names


def _environment(ref: Ref) -> str | None:
    value = os.environ.get(ref.path[0])
    return ref.default if value is None else value
