"""The shortcuts that make validating a big config fast give the answers the long way gives.

The schema is checked once per step shape rather than once per step, and each `run:` module is
looked up and parsed once per load rather than once per step; the reports must not change.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema.exceptions import ValidationError

import pipeflow
from pipeflow import importing
from pipeflow.config import schema
from pipeflow.config.reader import read_document
from pipeflow.config.schema_errors import schema_problems
from pipeflow.errors import ConfigError
from pipeflow.importing import allow, resolve
from pipeflow.importing.signatures import (
    signature_from_callable,
    signature_of_def,
    signatures_from_source,
)
from tests.conftest import ProjectFactory

STEP = {"run": "mod.f", "inputs": {"x": "${steps.a}"}}


def the_long_way(instance: Any) -> list[tuple[list[Any], list[Any], str]]:
    return _described(schema._validator().iter_errors(instance))


def the_short_way(instance: Any) -> list[tuple[list[Any], list[Any], str]]:
    return _described(schema.validation_errors(instance))


def _described(errors: Iterator[ValidationError]) -> list[tuple[list[Any], list[Any], str]]:
    found = []
    for error in errors:
        found.append((list(error.absolute_path), list(error.absolute_schema_path), error.message))
        for child in error.context or []:
            found.append((list(child.absolute_path), list(child.absolute_schema_path), "  child"))
    return sorted(found, key=repr)


def document(steps: Any, **top: Any) -> dict[str, Any]:
    return {"name": "demo", "steps": steps, **top}


@pytest.mark.parametrize(
    "instance",
    [
        document({"a": STEP, "b": STEP, "c": STEP}),
        document({f"s{i}": copy.deepcopy(STEP) for i in range(50)} | {"bad": {"runn": "mod.f"}}),
        document({"a": {"run": "mod.f", "retries": -1}, "b": {"run": "mod.f", "retries": -1}}),
        document({"a": {"run": "mod.f", "inputs": {"bad-name": 1}}, "b": STEP}),
        document({"a": {"run": "mod.f", "inputs": {"x": 1}}, "b": {"run": "mod.f", "inputs": []}}),
        document({"bad name": STEP, "1x": {"pipeline": "p.yaml", "run": "m.f"}, "c": None}),
        document({"a": {"run": "m.f", "result": {"target": 1}}, "b": {"run": "m.f", "result": 1}}),
        document({"a": {"run": "m.f", "timeout": "10 minutes", "retry_delay": "1h"}}),
        document({"a": {"run": "m.f", "tags": ["x", "x"], "after": ["b", "b"]}}),
        document({"a": {"run": 1}, "b": {"run": True}, "c": {"run": 1.0}}),
        document({}),
        document([]),
        document(None, stepz=1),
        {"steps": {"a": STEP}, "extra": {"run": "m.f"}},
        [],
    ],
)
def test_checking_each_step_shape_once_finds_every_error_the_whole_check_finds(
    instance: Any,
) -> None:
    assert the_short_way(instance) == the_long_way(instance)


def test_steps_of_one_shape_are_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    top, step_validator = schema._split_validators()
    checked: list[Any] = []

    class Counting:
        def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
            checked.append(instance)
            return step_validator.iter_errors(instance)

    monkeypatch.setattr(schema, "_split_validators", lambda: (top, Counting()))
    steps = {
        f"s{i}": {"run": "m.f", "inputs": {"x": i, "y": [i], "z": {"v": i}}} for i in range(100)
    }
    steps["t0"] = {"run": "m.f", "retries": -1}  # an error: every step of this shape is checked
    steps["t1"] = {"run": "m.f", "retries": -1}
    errors = list(schema.validation_errors(document(steps)))
    assert len(checked) == 3
    assert [list(error.absolute_path) for error in errors] == [
        ["steps", "t0", "retries"],
        ["steps", "t1", "retries"],
    ]


def test_a_step_shape_keeps_input_names_and_value_types() -> None:
    plain = schema._shape({"run": "m.f", "inputs": {"x": 1}})
    assert plain == schema._shape({"run": "m.f", "inputs": {"x": [1, {"a": 2}]}})
    assert plain != schema._shape({"run": "m.f", "inputs": {"bad-name": 1}})
    assert schema._shape({"run": "m.f", "retries": 1}) != schema._shape(
        {"run": "m.f", "retries": True}
    )
    assert schema._shape({"run": "m.f", "retries": 1}) != schema._shape(
        {"run": "m.f", "retries": 1.0}
    )


def test_a_big_config_reports_each_bad_step_at_its_line(tmp_path: Path) -> None:
    lines = ["name: big", "steps:"]
    lines += [f"  s{i}: {{run: m.f, inputs: {{x: {i}}}}}" for i in range(200)]
    lines[150] = "  s148: {run: m.f, retries: -1}"
    lines[180] = "  s178: {run: m.f, retries: -1}"
    path = tmp_path / "pipeline.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = schema_problems(read_document(path))
    assert [(p.line, p.path, p.message) for p in problems] == [
        (151, "steps.s148.retries", "`retries` must be at least 0, got -1 (int)"),
        (181, "steps.s178.retries", "`retries` must be at least 0, got -1 (int)"),
    ]


MODULE = """
import os
from functools import wraps

def plain(a, b=1, *, c, d=2, **rest):
    return a

async def later(x, /, y):
    return x

def decorated(a):
    return a
decorated = wraps(decorated)(decorated)

def redefined(a):
    return a

def redefined(a, b):
    return a

class Thing:
    def method(self, value):
        return value

path = os.path.join
"""


@pytest.mark.parametrize(
    "name", ["plain", "later", "decorated", "redefined", "Thing", "path", "os", "nothing"]
)
def test_one_parse_gives_each_top_level_signature(tmp_path: Path, name: str) -> None:
    source = tmp_path / "module.py"
    source.write_text(MODULE, encoding="utf-8")
    signatures = signatures_from_source(str(source))
    assert signatures is not None
    found = signatures.get(name)
    tree = ast.parse(MODULE)
    defs = [
        n
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
    ]
    if name in ("plain", "later", "redefined"):
        assert found == signature_of_def(defs[-1])
    else:
        assert found is None  # not a plain function: importing it tells


def test_signatures_match_the_live_functions(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(MODULE, encoding="utf-8")
    signatures = signatures_from_source(str(source))
    assert signatures is not None
    namespace: dict[str, Any] = {}
    exec(compile(MODULE, str(source), "exec"), namespace)
    for name in ("plain", "later", "redefined"):
        assert signatures[name] == signature_from_callable(namespace[name])


def test_an_unreadable_module_has_no_source_signatures(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n", encoding="utf-8")
    assert signatures_from_source(str(broken)) is None
    assert signatures_from_source(str(tmp_path / "missing.py")) is None


MANY = """
name: many
steps:
{steps}
"""


def test_each_module_is_looked_up_and_parsed_once_per_load(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = "\n".join(
        f"  s{i}: {{run: {'mod_a' if i % 2 else 'mod_b'}.f{i % 4}, inputs: {{x: {i}}}}}"
        for i in range(40)
    )
    functions = "".join(f"def f{i}(x):\n    return x\n" for i in range(4))
    config = make_project(MANY.format(steps=steps), mod_a=functions, mod_b=functions)
    looked_up: list[str] = []
    parsed: list[str] = []
    top_level_spec, signatures = allow.top_level_spec, resolve.signatures_from_source

    def counting_top_level_spec(module: str) -> Any:
        looked_up.append(module)
        return top_level_spec(module)

    def counting_signatures(origin: str) -> Any:
        parsed.append(Path(origin).name)
        return signatures(origin)

    monkeypatch.setattr(allow, "top_level_spec", counting_top_level_spec)
    monkeypatch.setattr(resolve, "signatures_from_source", counting_signatures)
    pipeflow.load(config)
    assert sorted(looked_up) == ["mod_a", "mod_b"]
    assert sorted(parsed) == ["mod_a.py", "mod_b.py"]


def test_every_step_of_a_bad_module_gets_its_own_report(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: bad
        steps:
          a: {run: nosuch.f}
          b: {run: nosuch.f}
          c: {run: mod.g}
          d: {run: mod.g}
          e: {run: mod.f, inputs: {y: 1}}
          f: {run: mod.f, inputs: {y: 1}}
        """,
        mod="def f(x):\n    return x\n",
    )
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    found = [(p.path, p.message) for p in raised.value.problems]
    assert found == [
        ("steps.a.run", "no module named `nosuch`"),
        ("steps.b.run", "no module named `nosuch`"),
        ("steps.c.run", "`mod` has no attribute `g`"),
        ("steps.d.run", "`mod` has no attribute `g`"),
        ("steps.e.inputs", "step `e` (mod.f): missing input `x`: the function requires it"),
        (
            "steps.e.inputs.y",
            "step `e` (mod.f): unknown input `y`: the function takes no such argument",
        ),
        ("steps.f.inputs", "step `f` (mod.f): missing input `x`: the function requires it"),
        (
            "steps.f.inputs.y",
            "step `f` (mod.f): unknown input `y`: the function takes no such argument",
        ),
    ]


def test_the_resolver_words_a_remembered_problem_as_it_did_the_first_time(
    tmp_path: Path,
) -> None:
    (tmp_path / "local.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
    resolver = importing.Resolver(str(tmp_path))
    for dotted in ("json.dumps", "nosuch.deep.f", "local.g", "local:f.__code__", "local.f"):
        answers = []
        for each in (resolver, resolver, importing.Resolver(str(tmp_path))):
            try:
                answers.append(each.resolve(dotted).signature)
            except importing.ImportProblem as problem:
                answers.append((problem.message, problem.hint))
        assert answers[0] == answers[1] == answers[2]


def test_an_input_named_after_star_args_says_inputs_go_by_name(
    make_project: ProjectFactory,
) -> None:
    config = make_project(
        """
        name: star
        steps:
          a: {run: mod.f, inputs: {args: [1, 2]}}
          b: {run: mod.g, inputs: {x: 1}}
        """,
        mod="def f(*args):\n    return args\n\ndef g(x, /):\n    return x\n",
    )
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    found = [(p.path, p.message, p.hint) for p in raised.value.problems]
    assert found == [
        (
            "steps.a.inputs.args",
            "step `a` (mod.f): unknown input `args`: `*args` cannot be given by name",
            "inputs are passed by name: make it a plain parameter (`def f(args): ...`, "
            "given a list) or accept `**kwargs`",
        ),
        (
            "steps.b.inputs.x",
            "step `b` (mod.g): unknown input `x`: `x` is positional-only",
            "inputs are passed by name: remove the `/` after `x`, or, in a function that is "
            "not yours to edit, call it from a function of your own",
        ),
    ]
