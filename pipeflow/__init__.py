"""pipeflow: a declarative pipeline runner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeflow._version import __version__
from pipeflow.errors import (
    ConfigError,
    Interrupted,
    NoCurrentResult,
    PipeflowError,
    StaleResults,
    StepFailed,
    StorageError,
    UsageError,
)

__all__ = [
    "ConfigError",
    "Interrupted",
    "NoCurrentResult",
    "PipeflowError",
    "StaleResults",
    "StepFailed",
    "StorageError",
    "UsageError",
    "__version__",
    "load",
    "read",
]

if TYPE_CHECKING:
    from pipeflow.api import Pipeline


def load(config: str | Any, **options: Any) -> Pipeline:
    """Read and validate a config file; raises ConfigError listing every problem."""
    # Imported here so that `import pipeflow` stays light for the CLI and for step modules.
    from pipeflow.api import load as _load

    return _load(config, **options)


def read(
    path: str | None = None,
    *,
    config: str | None = None,
    step: str | None = None,
    part: str | None = None,
    format: str | None = None,
    params: dict[str, Any] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """The built-in step `pipeflow.read`: a file by path or URL, or another pipeline's result.

    In a config: `run: pipeflow.read` with `inputs: {config: ../etl/pipeline.yaml, step: load,
    part: table}`, or `inputs: {path: s3://bucket/table.parquet}`.
    """
    from pipeflow.builtin import read as _read

    return _read(
        path,
        config=config,
        step=step,
        part=part,
        format=format,
        params=params,
        storage_options=storage_options,
    )
