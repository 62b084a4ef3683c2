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
    if "${" in dotted:  # nothing a run is given may choose the code it runs (SPEC 10)
        raise ImportProblem(
            f"`{dotted}` holds a reference: `run` takes none; a config names the code it runs "
            "as written, so no param, environment variable or step's value can choose it",
            "write the dotted path of the function itself (`module.function`); to choose "
            "between functions, give the choice as an input to one function that calls them",
        )
    if "/" in dotted or "\\" in dotted:
        raise ImportProblem(
            f"`{dotted}` is a file path; `run` takes the dotted import path of a function, "
            "as Python imports it from the config's folder",
            f"write the dotted import path, {_dotted(dotted)}",
        )
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


def _dotted(path: str) -> str:
    """The dotted path a file path in `run` stands for (`steps/iris.py:load` -> `steps.iris.load`),
    as text for a hint."""
    text = path.replace("\\", "/")
    module, colon, attribute = text.partition(":")
    parts = [part for part in module.removesuffix(".py").split("/") if part not in ("", ".")]
    if text.startswith("/") or text[1:3] == ":/" or ".." in parts:  # from which folder?
        return "`module.function` with the module found from the config's folder"
    if colon and "." in attribute:  # a class's method keeps the colon form
        return f"`{'.'.join(parts)}:{attribute}`"
    if colon:
        return f"`{'.'.join([*parts, attribute])}`"
    if module.endswith(".py"):
        return f"`{'.'.join(parts)}.FUNCTION`"
    return f"`{'.'.join(parts)}`"
