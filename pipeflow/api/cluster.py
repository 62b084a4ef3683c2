"""What a run's executor needs of the results stores: no store in this process's memory for
workers in other processes, and for a remote Dask cluster (SPEC 14), stores its workers reach
and the code and files to ship."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pipeflow.config.worker_roots import (
    OUT_OF_PROCESS,
    executor_workers,
    in_memory_root,
    is_local,
    is_memory,
    unreachable_root,
)
from pipeflow.errors import ConfigError, Problem
from pipeflow.model.pipeline import Pipeline
from pipeflow.plan.planner import Planner
from pipeflow.plan.roots import store_url

if TYPE_CHECKING:
    from pipeflow.execute.shipping import Project


def cluster_project(
    definition: Pipeline, planner: Planner, workers: str, *, results: object
) -> Project:
    """What a Dask cluster's `workers` need of this machine: every results store must be
    one its workers reach (a local folder is refused, exit 2, at where it is named), and the
    first carries the run's code and files. `results`: the store given for the run
    (`--results`, `run(results=...)`), if any."""
    from pipeflow.execute.shipping import Project  # a cluster's runs only (zip, tempfile)

    stores = [cache.store for cache in planner.caches.values() if cache is not None]
    found: dict[str, str] = {}  # where it is named -> the root
    for name, cache in sorted(planner.caches.items()):
        if cache is None or not is_local(cache.store.url):
            continue
        found.setdefault(_named_at(definition, name, results, cache.store.url), cache.store.url)
    if found:
        raise ConfigError(
            [
                Problem(message=unreachable_root(root, workers), path=where)
                for where, root in found.items()
            ]
        )
    steps = tuple(
        (step.run or "", definition.folder_of(step)) for step in definition.steps.values()
    )
    return Project(store=stores[0] if stores else None, steps=steps)


def refuse_memory_stores(
    definition: Pipeline,
    planner: Planner,
    kind: str,
    options: Mapping[str, Any],
    *,
    results: object,
) -> None:
    """A config error (exit 2) for each `memory://` store the run's steps would write to when
    they run in other processes (`kind` `processes` or `dask`): that memory is this process's.
    `results`: the store given for the run (`--results`, `run(results=...)`), if any."""
    if kind not in OUT_OF_PROCESS:
        return
    workers = executor_workers(kind, options.get("address"), options.get("cluster"))
    found: dict[str, str] = {}  # where it is named -> the root
    for name, cache in planner.caches.items():
        if cache is None or not is_memory(cache.store.url):
            continue
        found.setdefault(_named_at(definition, name, results, cache.store.url), cache.store.url)
    if found:
        raise ConfigError(
            [
                Problem(message=in_memory_root(root, workers), path=where)
                for where, root in found.items()
            ]
        )


def _named_at(definition: Pipeline, name: str, results: object, url: str) -> str:
    """Where the results root `url` of step `name` is named: `--results` (given for the run,
    where the sub-pipelines' steps go too), its own `result.root`, or `results.root`."""
    step = definition.steps[name]
    if results is not None and url == store_url(str(results), os.getcwd()):
        return "--results"
    if step.result.root is not None:
        return f"steps.{name.split('/')[0]}.result.root"
    return "--results" if results is not None else "results.root"
