"""Cache keys: a hash of a step's code, the values it consumes, its upstream keys and settings."""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import importlib.util
import inspect
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeflow.importing import load_callable, split_path
from pipeflow.model.pipeline import Pipeline
from pipeflow.model.refs import Ref, resolve

KEY_LENGTH = 24  # hex characters of sha256 kept: collisions stay negligible, paths stay short


def digest(*parts: str) -> str:
    """A short, stable hash of some strings."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()[:KEY_LENGTH]


def canonical_json(value: Any) -> str:
    """A value as JSON with sorted keys; what JSON cannot hold is written by its repr."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_fallback)


def _fallback(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    return repr(value)


def code_fingerprint(dotted: str) -> str:
    """The hash of a function's normalised source: comments, docstrings and layout do not count."""
    module, attributes = split_path(dotted)
    source = _normalised_source(module, attributes)
    return digest(dotted, source)


def _normalised_source(module: str, attributes: tuple[str, ...]) -> str:
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin and spec.origin.endswith(".py"):
        tree = _parse(spec.origin)
        if tree is not None:
            node = _find_definition(tree, attributes)
            if node is not None:
                return _dump(copy.deepcopy(node))
    function = load_callable(f"{module}:{'.'.join(attributes)}")
    try:
        return _dump(ast.parse(inspect.getsource(function).strip()))
    except (OSError, TypeError, SyntaxError):
        return repr(function)  # a builtin or C function: its identity is all there is


@functools.lru_cache(maxsize=256)
def _parse_cached(origin: str, stamp: tuple[int, int]) -> ast.Module | None:
    del stamp  # part of the cache key only: an edited file is parsed again
    try:
        return ast.parse(Path(origin).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None


def _parse(origin: str) -> ast.Module | None:
    try:
        status = Path(origin).stat()
    except OSError:
        return None
    return _parse_cached(origin, (status.st_mtime_ns, status.st_size))


def _find_definition(tree: ast.Module, attributes: tuple[str, ...]) -> ast.AST | None:
    body: list[ast.stmt] = tree.body
    found: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for name in attributes:
        found = None
        for node in body:
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == name
            ):
                found = node
        if found is None:
            return None
        body = found.body
    return found


def _dump(node: ast.AST) -> str:
    """ast.dump without docstrings, so editing documentation does not invalidate results."""
    for child in ast.walk(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = child.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                child.body = body[1:] or [ast.Pass()]
    return ast.dump(node, annotate_fields=False, include_attributes=False)


def step_key(
    *,
    code: str,
    values: Mapping[str, Any],
    upstream: Mapping[str, str],
    settings: Mapping[str, Any],
) -> str:
    """The cache key of one step."""
    return digest(
        code,
        canonical_json(values),
        canonical_json(dict(sorted(upstream.items()))),
        canonical_json(settings),
    )


def step_keys(
    pipeline: Pipeline,
    order: list[str],
    lookup: Callable[[Ref], Any],
) -> dict[str, str]:
    """The cache key of every step, upstream first; `lookup` resolves params, env and run."""
    keys: dict[str, str] = {}
    codes: dict[str, str] = {}
    for name in order:
        step = pipeline.steps[name]
        if step.code_version is not None:
            code = "pinned:" + step.code_version
        elif step.run is not None:
            if step.run not in codes:
                codes[step.run] = code_fingerprint(step.run)
            code = codes[step.run]
        else:
            code = "pipeline:" + str(step.pipeline)

        def consumed(ref: Ref) -> Any:
            # A step's value enters the key through its upstream key, not through itself.
            return ref.text if ref.scope == "steps" else lookup(ref)

        values = {
            "inputs": {k: resolve(v, consumed) for k, v in step.inputs.items()},
            "foreach": resolve(step.foreach, consumed),
            "as": step.item_name,
            "params": resolve(dict(step.params), consumed),
        }
        upstream = {dep: keys[dep] for dep in step.value_upstream() if dep in keys}
        settings = {
            "outputs": list(step.outputs),
            "format": step.result.format,
            "target": step.result.target,
        }
        keys[name] = step_key(code=code, values=values, upstream=upstream, settings=settings)
    return keys
