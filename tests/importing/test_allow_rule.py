"""The allow rule's two halves agree: what validation decides from source, the live objects
confirm; and the one registry of built-in steps is what validation, worker and planner use."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeflow.importing import READS_OTHER_RESULTS, ImportProblem, Resolver
from pipeflow.importing.allow import Rule
from pipeflow.importing.builtins import BUILTIN_STEPS, builtin_step
from pipeflow.importing.definitions import decide_from_source, read_source
from pipeflow.plan import planner

MODULE = """
import os
import json as serialise
from os import getcwd
from os.path import join as joined
from functools import lru_cache, wraps
from .sibling import helper, Base

CONSTANT = 3
alias = os.getcwd

def plain(x):
    return x

@lru_cache
def cached(x):
    return x

def rebound(x):
    return x
rebound = os.getcwd

def patched(x):
    return x
patched.extra = os.getcwd

class Tools:
    attribute = os.getcwd

    def method(self, x):
        return x

    @staticmethod
    def static(x):
        return x

    @classmethod
    def build(cls, x):
        return x

    @property
    def value(self):
        return 1

    class Inner:
        def deep(self):
            return 1

class Derived(Base):
    pass

class Patched:
    def method(self):
        return 1
Patched.method = os.getcwd

if CONSTANT:
    def conditional(x):
        return x

try:
    from os import getpid as maybe
except ImportError:
    maybe = None

def configure():
    global late
    late = os.getcwd

def late():
    return 1
"""

SIBLING = """
import os

def helper(x):
    return x

class Base:
    def inherited(self):
        return 1
    leaked = os.getcwd
"""

PATHS = [
    "plain",
    "cached",
    "rebound",
    "patched",
    "CONSTANT",
    "alias",
    "os",
    "serialise",
    "getcwd",
    "joined",
    "wraps",
    "helper",
    "Base",
    "Tools",
    "Tools.attribute",
    "Tools.method",
    "Tools.static",
    "Tools.build",
    "Tools.Inner",
    "Tools.Inner.deep",
    "Derived.inherited",
    "Derived.leaked",
    "Patched.method",
    "conditional",
    "maybe",
    "late",
    "nothing",
    "os.getcwd",
    "serialise.dumps",
    "plain.extra",
]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "project"
    (folder / "rulepkg").mkdir(parents=True)
    (folder / "rulepkg" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "rulepkg" / "mod.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    (folder / "rulepkg" / "sibling.py").write_text(textwrap.dedent(SIBLING), encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [n for n in sys.modules if n.split(".")[0] == "rulepkg"]:
        del sys.modules[name]


@pytest.mark.parametrize("attributes", PATHS)
def test_what_the_source_decides_the_live_objects_confirm(package: Path, attributes: str) -> None:
    rule = Rule(str(package))
    grant = rule.decide(f"rulepkg.mod:{attributes}")
    assert grant.kind == "project"
    assert grant.origin is not None
    source = read_source(grant.origin, grant.module)
    try:
        verdict = decide_from_source(source, grant, may_name_module=rule.may_name_module)
    except ImportProblem:
        verdict = "refused"
    try:
        rule.walk(importlib.import_module("rulepkg.mod"), grant)
        live = "allowed"
    except ImportProblem as problem:
        live = "missing" if "has no attribute" in problem.message else "refused"
        live = "not callable" if "not a function" in problem.message else live
    if verdict == "defined":
        assert live in ("allowed", "not callable"), live
    elif verdict == "refused":
        assert live in ("refused", "not callable"), live
    # "unknown": the live objects decide, whatever they say.


def test_the_source_decides_the_plain_cases_without_importing(package: Path) -> None:
    rule = Rule(str(package))

    def verdict(attributes: str) -> str:
        grant = rule.decide(f"rulepkg.mod:{attributes}")
        assert grant.origin is not None
        source = read_source(grant.origin, grant.module)
        try:
            return decide_from_source(source, grant, may_name_module=rule.may_name_module)
        except ImportProblem:
            return "refused"

    found = {attributes: verdict(attributes) for attributes in PATHS}
    assert "rulepkg.mod" not in sys.modules  # none of it imported the module
    assert {a for a, v in found.items() if v == "defined"} == {
        "plain",
        "Tools",
        "Tools.method",
        "Tools.static",
        "Tools.build",
        "Tools.Inner",
        "Tools.Inner.deep",
    }
    assert {a for a, v in found.items() if v == "refused"} == {
        "os",
        "serialise",
        "getcwd",
        "joined",
        "wraps",
        "os.getcwd",
        "serialise.dumps",
    }


def test_every_built_in_step_names_a_function_defined_where_the_registry_says() -> None:
    for step in BUILTIN_STEPS:
        for module, qualname in step.definitions:
            function = getattr(importlib.import_module(module), qualname)
            assert callable(function)
            assert (function.__module__, function.__qualname__) == (module, qualname)
        for spelling in step.spellings:
            assert builtin_step(spelling) is step
    assert builtin_step("pipeflow.importing.load_callable") is None
    assert builtin_step("pipeflow.builtin.PipeflowError") is None


def test_validation_worker_and_planner_share_the_registry(tmp_path: Path) -> None:
    assert planner.READS_OTHER_RESULTS is READS_OTHER_RESULTS
    assert set(READS_OTHER_RESULTS) == {
        "pipeflow.read",
        "pipeflow:read",
        "pipeflow.builtin.read",
        "pipeflow.builtin:read",
    }
    resolver = Resolver(str(tmp_path))
    for spelling in READS_OTHER_RESULTS:
        assert resolver.resolve(spelling).grant.kind == "builtin"
        Rule(str(tmp_path)).walk(
            importlib.import_module(spelling.replace(":", ".").rsplit(".", 1)[0]),
            Rule(str(tmp_path)).decide(spelling),
        )
