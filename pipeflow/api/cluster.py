"""What a run on a remote Dask cluster needs of this machine (SPEC 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeflow.config.targets import is_local, unreachable_root
from pipeflow.errors import ConfigError, Problem
from pipeflow.model.pipeline import Pipeline
from pipeflow.plan.planner import Planner

if TYPE_CHECKING:
    from pipeflow.execute.shipping import Project


def cluster_project(definition: Pipeline, planner: Planner, workers: str) -> Project:
    """What a Dask cluster's `workers` need of this machine: every results store must be
    one its workers reach (a local folder is refused, exit 2), and the first carries the
    run's code and files."""
    from pipeflow.execute.shipping import Project  # a cluster's runs only (zip, tempfile)

    stores = [cache.store for cache in planner.caches.values() if cache is not None]
    local = sorted({store.url for store in stores if is_local(store.url)})
    if local:
        raise ConfigError(
            [Problem(message=unreachable_root(url, workers), path="results.root") for url in local]
        )
    steps = tuple(
        (step.run or "", definition.folder_of(step)) for step in definition.steps.values()
    )
    return Project(store=stores[0] if stores else None, steps=steps)
