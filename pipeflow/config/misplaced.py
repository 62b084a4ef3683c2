"""What is said of a config or params path that names no file: one that is missing (with a
file named like it beside it, if any) or a folder (with the files in it to give instead)."""

from __future__ import annotations

import os
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
    example = os.path.join(file, names[0] if names else "pipeline.yaml")
    if names:
        hint = "pipeline files in it: " + ", ".join(f"`{name}`" for name in names)
    else:
        hint = "it holds no .yaml, .yml or .toml file"
    return Problem(
        message=f"`{file}` is a directory; give the pipeline file, e.g. {example}",
        file=file,
        hint=hint,
    )
