"""The parent's references to a sub-pipeline step (`${steps.STEP.NAME}`, `after: [STEP]`)
rewritten into references to the outputs and steps it became (`subpipelines.py`), each one
that names no output reported where it is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeflow.config.reader import Document
from pipeflow.config.suggest import did_you_mean
from pipeflow.errors import Problem
from pipeflow.model.refs import Ref, Template
from pipeflow.records import record

DocPath = list[str | int]


@record
class ChildSteps:
    """What a sub-pipeline step became: its inlined steps and its outputs."""

    names: tuple[str, ...]  # the inlined steps
    outputs: Mapping[str, Any]  # output name -> reference to an inlined step


class OutputRewriter:
    """Rewrites the parent's references to sub-pipeline steps into references to their outputs."""

    def __init__(
        self,
        children: Mapping[str, ChildSteps],
        document: Document,
        problems: list[Problem],
        unloaded: Mapping[str, Sequence[str]],
    ):
        self.children = children
        self.document = document
        self.problems = problems
        self.unloaded = unloaded  # children refused: checked against the outputs they declare

    def __call__(self, value: Any, path: DocPath) -> Any:
        if isinstance(value, Ref):
            return self.ref(value, path)
        if isinstance(value, Template):
            parts = [self.ref(p, path) if isinstance(p, Ref) else p for p in value.parts]
            return Template(tuple(parts))
        if isinstance(value, Mapping):
            return {key: self(item, [*path, key]) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item, [*path, index]) for index, item in enumerate(value)]
        return value

    def ref(self, ref: Ref, path: DocPath) -> Any:
        if ref.scope == "steps" and ref.step in self.unloaded:
            self.missing(ref, path, self.unloaded[ref.step])
            return ref
        if ref.scope != "steps" or ref.step not in self.children:
            return ref
        outputs = self.children[ref.step].outputs
        if self.missing(ref, path, list(outputs)) or ref.part is None:
            return ref
        found: Any = outputs[ref.part]
        return found

    def missing(self, ref: Ref, path: DocPath, outputs: Sequence[str]) -> bool:
        """Whether `ref` names no output of its sub-pipeline (a problem is added) or none at
        all (the whole sub-pipeline, which has no single value)."""
        names = ", ".join(f"`{name}`" for name in outputs) or "(it declares no `outputs:`)"
        if ref.part is None:
            self.problems.append(
                self.document.problem(
                    path,
                    f"`{ref.text}`: step `{ref.step}` runs a sub-pipeline, which has no single "
                    f"value; use one of its outputs: {names}",
                    hint=f"e.g. `${{steps.{ref.step}.{next(iter(outputs), 'NAME')}}}`",
                )
            )
            return True
        if ref.part not in outputs:
            self.problems.append(
                self.document.problem(
                    path,
                    f"`{ref.text}`: the sub-pipeline of step `{ref.step}` has no output "
                    f"`{ref.part}`",
                    hint=did_you_mean(ref.part, outputs) or f"its outputs: {names}",
                )
            )
            return True
        return False

    def after(self, names: Sequence[str]) -> tuple[str, ...]:
        found: list[str] = []
        for name in names:
            found += self.children[name].names if name in self.children else [name]
        return tuple(dict.fromkeys(found))
