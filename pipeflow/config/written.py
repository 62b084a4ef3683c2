"""Fields a run uses as written: a `${...}` in one is refused where it is written.

References are resolved in `inputs`, `foreach`, `when`, `reads`/`writes`, a sub-pipeline's
`params`, results roots and `storage_options`, and in `params:` defaults (`${env.*}`,
`${run.*}`). Elsewhere the text would reach the run as it is, and in these fields nothing
else would say so: `code_version: "v${params.model}"` would keep one cache key whatever the
param (a stale result served as current), a schedule's `token: ${env.TOKEN}` would give the
step the text `${env.TOKEN}`, a cluster option `account: ${env.ACCOUNT}` would go to the
cluster class as that text. (`executor.address` and `result.target` say it their own way.)
`$${` is a literal `${` in every field, as it is where references are resolved, and a
`${` that is no reference (`${{ secrets.X }}`) is text.

The params given from outside the config (`--param`, params files, `params=` in Python) are
values the same way: a `${...}` in one is refused at its place, and `$${` is a literal `${`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from pipeflow.config.params import ParamSource
from pipeflow.config.reader import Fail
from pipeflow.errors import Problem
from pipeflow.model.nesting import DEEPEST
from pipeflow.model.pipeline import Pipeline

Path = list[str | int]

NO_REFERENCE = "takes no `${...}` reference"
REFERENCE = re.compile(r"\$\{(?!\{)")


def check_written(pipeline: Pipeline, fail: Fail) -> None:
    """`code_version`, each schedule's `params` and `executor.cluster.options`."""
    for name, step in pipeline.steps.items():
        if step.origin is None and step.code_version and _has_reference(step.code_version):
            fail(
                ["steps", name, "code_version"],
                f"`code_version` is used as written: it {NO_REFERENCE}",
                "the cache key already counts each param a step's inputs use: pass the param "
                "as an input (`inputs: {model: ${params.model}}`), and keep `code_version` for "
                "a text you change by hand",
            )
    for index, schedule in enumerate(pipeline.schedules):
        for path, _ in _references(schedule.params, ["schedules", index, "params"], 0):
            fail(
                path,
                f"a schedule's params are used as written: `{path[-1]}` {NO_REFERENCE}",
                "read the environment or the run in the param's default under `params:` "
                "(`token: ${env.TOKEN}`), which every run, scheduled or not, fills in",
            )
    cluster = pipeline.executor.cluster
    if cluster is not None:
        for path, _ in _references(cluster.options, ["executor", "cluster", "options"], 0):
            fail(
                path,
                f"`executor.cluster.options` go to the cluster class as written: `{path[-1]}` "
                f"{NO_REFERENCE}",
                "write the value itself, or set it in Dask's own configuration, which cluster "
                "classes read for the options they are not given (a `DASK_*` environment "
                "variable, e.g. `DASK_JOBQUEUE__SLURM__ACCOUNT`)",
            )


def given_as_written(source: ParamSource) -> tuple[ParamSource, list[Problem]]:
    """Params given to a run (a params file, `--param`, `params=`, a schedule's): each value
    with `$${` read as the literal `${` it stands for, and a problem for each `${...}` in
    one, which would otherwise reach the steps as its text."""
    problems = [
        source.problem(
            path,
            f"params given to a run are values: no `${{...}}` in it is resolved (`{text}`)",
            "to read the environment or the run, write the reference in the param's default "
            "under `params:` in the config (`token: ${env.TOKEN}`), which every run fills in; "
            "for a literal `${`, write `$${`",
        )
        for path, text in _references(source.values, [], 0)
    ]
    return replace(source, values=literal(source.values)), problems


def literal(value: Any, depth: int = 0) -> Any:
    """`value` with each `$${` in its texts read as `${`, through mappings and lists (no
    deeper than a value may nest: the merge refuses one that nests deeper)."""
    if isinstance(value, str):
        return value.replace("$${", "${")
    if depth > DEEPEST:
        return value
    if isinstance(value, Mapping):
        return {key: literal(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [literal(item, depth + 1) for item in value]
    return value


def _has_reference(text: str) -> bool:
    """Whether the text holds a `${` that `inputs` would read as a reference (a misspelt one
    too); not `$${`, nor GitHub's `${{ secrets.X }}`, which a schedule's param may pass to
    its export as text."""
    return REFERENCE.search(text.replace("$${", "")) is not None


def _references(value: Any, path: Path, depth: int) -> Iterator[tuple[Path, str]]:
    """Each text holding a reference in a value of mappings and lists, with its place."""
    if depth > DEEPEST:
        return
    if isinstance(value, str):
        if _has_reference(value):
            yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _references(item, [*path, str(key)], depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _references(item, [*path, index], depth + 1)
