"""What is said of a config or params path that names no file: one that is missing (with a
file named like it beside it, if any) or a folder (with the files in it to give instead)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipeflow.config.suggest import did_you_mean
from pipeflow.errors import Problem

EXTENSIONS = (".yaml", ".yml", ".toml", ".json")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".toml")
# How close a file name must be to the one asked for to be suggested: `pipline.yaml` finds
# `pipeline.yaml`, while `pl.yaml` does not find `b9.yaml` just for sharing `.yaml`.
_NAME_CUTOFF = 0.75


def not_found(location: Path, file: str) -> Problem:
    folder = location.parent
    if not folder.is_dir():
        hint = f"the folder `{folder}` does not exist either; check the path"
    else:
        hint = nearby_file(location) or "check the path and the current directory"
    return Problem(message="config file not found", file=file, hint=hint)


def nearby_file(location: Path, written: str = "") -> str | None:
    """`did you mean ...?` naming a config file beside `location` that is named like it,
    spelt with the folder of `written`, the path as given (`flows/child.yaml`)."""
    if not location.parent.is_dir():
        return None
    folder = os.path.dirname(written)
    names = [
        os.path.join(folder, entry.name)
        for entry in location.parent.iterdir()
        if entry.suffix.lower() in EXTENSIONS and entry.is_file()
    ]
    return did_you_mean(os.path.join(folder, location.name), names, cutoff=_NAME_CUTOFF)


def is_directory(location: Path, file: str, *, params: bool) -> Problem:
    """A folder given where a file goes: the files in it to give instead (for a pipeline,
    those that declare `steps`, not its params files)."""
    file = file or "."  # `load("")`: this folder
    suffixes = EXTENSIONS if params else _CONFIG_SUFFIXES
    names = sorted(
        entry.name
        for entry in location.iterdir()
        if entry.suffix.lower() in suffixes and entry.is_file()
    )
    if params:
        message = f"`{file}` is a directory; give a params file (.json, .yaml or .toml)"
        hint = "files in it: " + ", ".join(f"`{name}`" for name in names) if names else None
        return Problem(message=message, file=file, hint=hint)
    pipelines = [name for name in names if _declares_steps(location / name)]
    example = os.path.join(file, pipelines[0] if pipelines else "pipeline.yaml")
    if pipelines:
        hint = "pipeline files in it: " + ", ".join(f"`{name}`" for name in pipelines)
    elif names:
        listed = ", ".join(f"`{name}`" for name in names)
        hint = f"none of its files declares `steps` ({listed}): is the pipeline elsewhere?"
    else:
        hint = "it holds no .yaml, .yml or .toml file"
    return Problem(
        message=f"`{file}` is a directory; give the pipeline file, e.g. {example}",
        file=file,
        hint=hint,
    )


# `steps:` at the top of a YAML file, `[steps.NAME]` or `steps = ...` in a TOML one.
_STEPS = re.compile(r"^(?:steps\s*[:=]|\[\[?\s*steps\s*[.\]])", re.MULTILINE)


def _declares_steps(path: Path) -> bool:
    """Whether a file looks like a pipeline (read in part: a hint, not a parse)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16).decode("utf-8", errors="replace")
    except OSError:
        return False
    return _STEPS.search(head) is not None
