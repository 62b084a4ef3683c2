"""A sub-pipeline's values as the parent's steps hold them (`Localizer`): its `${params.*}`
filled in, its `${steps.*}` renamed under the step that runs it, and the relative paths of a
child kept in a folder of its own made absolute."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeflow.model.locations import Location, locate, looks_like_path
from pipeflow.model.pipeline import Step
from pipeflow.model.refs import Ref, Template, lookup_path


class Localizer:
    """Fills a child's `${params.*}` in, renames its `${steps.*}`; `${env.*}`/`${run.*}` stay."""

    def __init__(
        self,
        params: Mapping[str, Any],
        prefix: str,
        folder: str | None,
        written: Sequence[Location] = (),
    ) -> None:
        self.params = params
        self.prefix = prefix
        self.folder = folder  # the child's folder when it is not the parent's
        self.written = written  # what the steps write, in the child and its parent

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
            return _absolute(value, self.folder, self.written)
        return value

    def ref(self, ref: Ref) -> Any:
        if ref.scope == "steps":
            return Ref("steps", (self.prefix + ref.step, *ref.path[1:]))
        if ref.scope == "params":
            try:
                value = lookup_path(self.params, ref.path)  # the child's load checked it
            except (KeyError, TypeError):  # a parent's param that is a mistake (reported)
                return ref
            return self(value)
        return ref


def _absolute(text: str, folder: str, written: Sequence[Location] = ()) -> str:
    """A relative path naming a file of the child's folder, made absolute: the parent's
    steps resolve relative paths against the parent's folder. A file a step writes (in the
    child or the parent) counts before it exists: whether it is there when the config is
    loaded changes neither the path a step is given nor its key."""
    if not text or "://" in text or os.path.isabs(text) or "\n" in text:
        return text
    path = Path(folder) / text
    if not path.exists():
        written_here = looks_like_path(text) and any(
            locate(text, folder).inside(write) for write in written
        )
        if not written_here:
            return text
    # A folder's trailing `/` kept: in `writes:` it says the step must write a folder.
    return os.path.normpath(path) + ("/" if text.endswith("/") else "")


def literal_writes(steps: Iterable[Step], folder: str) -> list[Location]:
    """The local places `steps` write that their config gives as text (no reference left)."""
    return [
        locate(text, step.origin.project_dir if step.origin is not None else folder)
        for step in steps
        for text in step.writes
        if isinstance(text, str) and text and "://" not in text
    ]


def as_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
