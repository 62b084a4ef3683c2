"""`run:` paths: how they are spelled, and the error a path that cannot be used raises."""

from __future__ import annotations


class ImportProblem(Exception):
    """A `run:` path that cannot be used; `hint` says what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def split_path(dotted: str) -> tuple[str, tuple[str, ...]]:
    """`pkg.mod.func` -> (`pkg.mod`, (`func`,)); `pkg.mod:A.b` -> (`pkg.mod`, (`A`, `b`))."""
    if ":" in dotted:
        module, _, attribute = dotted.partition(":")
        attributes = tuple(attribute.split("."))
    else:
        module, _, last = dotted.rpartition(".")
        attributes = (last,)
    if not module or not all(attributes) or not all(module.split(".")):
        raise ImportProblem(
            f"`{dotted}` is not a dotted path to a function",
            "write `module.function` (e.g. `steps.iris.load_data`) or `module:attribute`",
        )
    return module, attributes
