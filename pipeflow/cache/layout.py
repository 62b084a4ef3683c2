"""Where a pipeline's results go under a store's root (`results.py` describes the layout)."""

from __future__ import annotations

import functools

from pipeflow.errors import StorageError

MANIFESTS = ".pipeflow/manifests"
RESULTS = ".pipeflow/results"
LATEST = "latest"


def local_root(url: str) -> str | None:
    """The folder of a local store's URL; None for any other filesystem."""
    if url.startswith("file://"):
        return url[len("file://") :]
    return None if "://" in url else url


@functools.cache  # asked several times per step a run stores
def stored_name(step: str) -> str:
    """The name a step's results are stored under: a sub-pipeline step's own name."""
    return step.rsplit("/", 1)[-1]


def cache_error(step: str, error: StorageError) -> str:
    return f"cannot read the stored result of `{step}`: {error}"
