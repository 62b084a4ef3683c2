"""`pipeflow init --step`: the function stub a new step gets in the project's steps module.

The stub takes one argument per input step and returns what it receives, so the pipeline
still runs; the module's text is checked before anything is written (`config/scaffold.py`
writes it, with the config).
"""

from __future__ import annotations

import ast
import builtins
import keyword
from collections.abc import Sequence
from pathlib import Path

from pipeflow.errors import ConfigError, Problem, UsageError

BUILTINS = frozenset(dir(builtins))


def argument(step: str) -> str:
    """The parameter name a step's value arrives under: `clean-data` -> `clean_data`, and a
    keyword made an identifier as PEP 8 says: `class` -> `class_`."""
    name = step.replace("-", "_").replace(".", "_")  # `data.total`: an output of a sub-pipeline
    if keyword.iskeyword(name) or name == "__debug__":
        name += "_"
    return name


def renamed(step: str) -> str | None:
    """Why the argument of step `step` is not simply its name (with `_` for `-`), or None."""
    name = step.replace("-", "_").replace(".", "_")
    if argument(step) == name:
        return None
    return (
        f"the value of step `{step}` arrives as argument `{argument(step)}` "
        f"(`{name}` is a Python keyword)"
    )


def check_arguments(name: str, inputs: Sequence[str]) -> None:
    """UsageError when two inputs would arrive under the same argument."""
    seen: dict[str, str] = {}
    for step in inputs:
        other = seen.setdefault(argument(step), step)
        if other == step and inputs.count(step) > 1:
            raise UsageError(
                f"--input `{step}` is given twice: `{name}` takes it as one argument",
                hint="pass each input step once",
            )
        if other != step:
            raise UsageError(
                f"--input `{other}` and --input `{step}` would both arrive as argument "
                f"`{argument(step)}` of `{name}`",
                hint="pass one of them, and add the other to the step's `inputs:` by hand "
                "under another argument name",
            )


def with_function(module_file: Path, module: str, name: str, inputs: Sequence[str]) -> str:
    """The module's text with a stub for `name` appended; refuses a name already defined."""
    if module_file.is_file():
        source = module_file.read_text(encoding="utf-8")
    else:
        source = '"""Step functions of the pipeline, added by `pipeflow init --step`."""\n'
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        problem = Problem(
            message=f"cannot add `{name}`: the module does not parse ({error.msg})",
            file=str(module_file),
            line=error.lineno,
            column=error.offset,
            hint="fix the module first",
        )
        raise ConfigError([problem]) from None
    if name in BUILTINS:
        raise UsageError(
            f"`{name}` cannot name a step function: it would hide Python's builtin `{name}` "
            f"from every function of `{module}`",
            hint=f"choose another step name, e.g. `{name.strip('_')}_step`",
        )
    for node in tree.body:
        if name in _defined_names(node):
            problem = Problem(
                message=f"`{module}` already defines `{name}`",
                file=str(module_file),
                line=node.lineno,
                column=node.col_offset + 1,
                hint="choose another step name, or name this function in the config by hand",
            )
            raise ConfigError([problem])
    used = _first_use(tree, name)
    if used is not None:
        problem = Problem(
            message=f"`{module}` uses `{name}`: a step function of that name would replace "
            "what it means there",
            file=str(module_file),
            line=used.lineno,
            column=used.col_offset + 1,
            hint="choose another step name",
        )
        raise ConfigError([problem])
    arguments = ", ".join(f"{argument(step)}: object" for step in inputs)
    if not inputs:
        result = "None"
    elif len(inputs) == 1:
        result = argument(inputs[0])
    else:
        result = "{" + ", ".join(f'"{argument(s)}": {argument(s)}' for s in inputs) + "}"
    stub = (
        f"def {name}({arguments}) -> object:\n"
        f'    """What `{name}` computes (a stub written by `pipeflow init --step`)."""\n'
        f"    return {result}\n"
    )
    text = source.rstrip("\n") + "\n\n\n" + stub
    try:  # compiled, not only parsed: a repeated argument is found when compiling
        compile(text, str(module_file), "exec", dont_inherit=True)
    except SyntaxError as error:
        raise UsageError(
            f"cannot add `{name}` to `{module}`: the stub would not compile ({error.msg}); "
            "nothing was written",
            hint="choose other names, or write the function by hand",
        ) from None
    return text


def _first_use(tree: ast.Module, name: str) -> ast.stmt | ast.expr | None:
    """The first statement or expression that uses, imports, defines or declares `name`,
    anywhere in the module (inside a function, an `if`, a `try`...)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return node
        if isinstance(node, ast.stmt) and name in _declared_names(node):
            return node
    return None


def _declared_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.Global | ast.Nonlocal):
        return set(node.names)
    return _defined_names(node)


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {target.id for target in targets if isinstance(target, ast.Name)}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return set()
