"""pipeflow: a declarative pipeline runner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeflow.errors import ConfigError, PipeflowError, StepFailed

__version__ = "0.1.0"

__all__ = ["ConfigError", "PipeflowError", "StepFailed", "__version__", "load"]

if TYPE_CHECKING:
    from pipeflow.api import Pipeline


def load(config: str | Any, **options: Any) -> Pipeline:
    """Read and validate a config file; raises ConfigError listing every problem."""
    # Imported here so that `import pipeflow` stays light for the CLI and for step modules.
    from pipeflow.api import load as _load

    return _load(config, **options)
