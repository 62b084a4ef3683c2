"""The paths a loaded pipeline holds, named from the current folder: a pipeline loaded again
(`with_params`, `reloaded`, a `run` with params) after an `os.chdir` finds the same files."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeflow.config.loader import ParamLayer


def named_here(
    folder: str,
    source: str | Path,
    options: Mapping[str, Any],
    layers: Sequence[ParamLayer],
) -> tuple[str | Path, dict[str, Any], tuple[ParamLayer, ...]]:
    """The config `source`, the options of `load` and the `layers`, each given in `folder`,
    with each relative path they hold (the config, params files, a `results` folder) named
    from the current folder, which may not be `folder` (`os.chdir` since)."""
    named = dict(options)
    named["param_files"] = [_from(folder, file) for file in named["param_files"]]
    if named.get("results") and "://" not in named["results"]:
        named["results"] = str(_from(folder, named["results"]))
    moved = tuple(
        dataclasses.replace(layer, files=tuple(_from(folder, file) for file in layer.files))
        for layer in layers
    )
    return _from(folder, source), named, moved


def _from(folder: str, path: str | Path) -> str | Path:
    """`path`, given relative to `folder`, as the current folder names it (the same object
    when that is still the folder, or the path is absolute)."""
    if os.path.isabs(path) or os.getcwd() == folder:
        return path
    named = os.path.relpath(os.path.join(folder, path))
    return Path(named) if isinstance(path, Path) else named
