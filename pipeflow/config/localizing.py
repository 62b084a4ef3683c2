"""A sub-pipeline's values as the parent's steps hold them (`Localizer`): its `${params.*}`
filled in, its `${steps.*}` renamed under the step that runs it, and the relative paths of a
child kept in a folder of its own made absolute."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeflow.model.refs import Ref, Template, lookup_path


class Localizer:
    """Fills a child's `${params.*}` in, renames its `${steps.*}`; `${env.*}`/`${run.*}` stay."""

    def __init__(self, params: Mapping[str, Any], prefix: str, folder: str | None) -> None:
        self.params = params
        self.prefix = prefix
        self.folder = folder  # the child's folder when it is not the parent's

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return self.ref(value)
        if isinstance(value, Template):
            parts: list[str | Ref] = []
            for part in value.parts:
                found = self.ref(part) if isinstance(part, Ref) else part
                if isinstance(found, Ref):
                    parts.append(found)
                elif isinstance(found, Template):
                    parts.extend(found.parts)
                else:
                    text = found if isinstance(part, str) else as_text(found)
                    if parts and isinstance(parts[-1], str):
                        parts[-1] += text
                    else:
                        parts.append(text)
            if all(isinstance(part, str) for part in parts):
                return "".join(str(part) for part in parts)
            return Template(tuple(parts))
        if isinstance(value, Mapping):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, str) and self.folder is not None:
            return _absolute(value, self.folder)
        return value

    def ref(self, ref: Ref) -> Any:
        if ref.scope == "steps":
            return Ref("steps", (self.prefix + ref.step, *ref.path[1:]))
        if ref.scope == "params":
            value = lookup_path(self.params, ref.path)  # the child's load checked it
            return self(value)
        return ref


def _absolute(text: str, folder: str) -> str:
    """A relative path naming a file of the child's folder, made absolute: the parent's
    steps resolve relative paths against the parent's folder."""
    if not text or "://" in text or os.path.isabs(text) or "\n" in text:
        return text
    path = Path(folder) / text
    return str(path) if path.exists() else text


def as_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
