"""Built-in steps that configs can name: `pipeflow.read` reads a stored result or a file.

A config may name these and nothing else of pipeflow: each one is listed, with every module
that defines it, in the registry `pipeflow/importing/builtins.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeflow.errors import PipeflowError


def read(
    path: str | None = None,
    *,
    config: str | None = None,
    step: str | None = None,
    part: str | None = None,
    format: str | None = None,
    params: Mapping[str, Any] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Any:
    """Read a file (by path or URL), or another pipeline's up-to-date result of one step."""
    if config is not None:
        if step is None:
            raise PipeflowError("pipeflow.read: give `step` (and optionally `part`) with `config`")
        if path is not None:
            raise PipeflowError("pipeflow.read: give either `path` or `config`, not both")
        from pipeflow.api import load

        # check_code=False: the running project's modules stay where they are.
        pipeline = load(config, params=dict(params or {}), check_code=False)
        stored = pipeline.result(step)
        if part is None or pipeline.step(step).outputs:
            return stored.load(part)  # a declared output (`validate` checked its name)
        value = stored.load()
        if not isinstance(value, Mapping) or part not in value:
            has = ", ".join(f"`{key}`" for key in value) if isinstance(value, Mapping) else ""
            raise PipeflowError(
                f"pipeflow.read: the result of step `{step}` of `{pipeline.name}` has no part "
                f"`{part}`" + (f" (its keys: {has})" if has else " (it is no mapping)")
            )
        return value[part]
    if path is None:
        raise PipeflowError("pipeflow.read: give `path`, or `config` and `step`")
    from pipeflow.storage.files import read_file

    return read_file(path, format=format, storage_options=storage_options)
