"""`pipeflow init --step`: the function stub a new step gets in the project's steps module.

The stub takes one argument per input step and returns what it receives, so the pipeline
still runs; the module's text is checked before anything is written (`config/scaffold.py`
writes it, with the config).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from pipeflow.errors import ConfigError, Problem


def argument(step: str) -> str:
    """The parameter name a step's value arrives under (`clean-data` -> `clean_data`)."""
    return step.replace("-", "_")


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
    return source.rstrip("\n") + "\n\n\n" + stub


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {target.id for target in targets if isinstance(target, ast.Name)}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return set()
