"""The registry pattern: a decorator puts functions into a module-level container and a step
looks them up there (`@register def linear`, `MODELS[name](x)`). A decorated `def` changes the
container through its decorator, so a step using the container depends on every function
registered into it: by a decorator of its own module, a decorator factory, a container's own
method (`@HOOKS.append`), or a decorator of another project module (imported by name or through
its module), also from a third module the step's module imports. Before, editing a registered
function left the step cached, serving its old value. A function whose decorator registers
nothing, and a plain function, still do not count."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.cache.editing import assert_nothing_stale, rerun_after

REGISTRY = """
MODELS = {}


def register(fn):
    MODELS[fn.__name__] = fn
    return fn
"""

PLUGINS = """
from registry import register


@register
def plugin(v):
    return v + 100
"""

STEPS = """
import registry
import plugins  # noqa: F401 - registers `plugin`
from registry import MODELS as SHARED, register as shared

LOCAL = {}
HOOKS = []


def register(fn):
    LOCAL[fn.__name__] = fn
    return fn


def register_as(name):
    def deco(fn):
        LOCAL[name] = fn
        return fn

    return deco


def traced(fn):
    return fn


@register
def linear(v):
    return v * 2


@register_as("quad")
def quadratic(v):
    return v ** 2


@HOOKS.append
def hook(v):
    return v + 1


@shared
def cubic(v):
    return v ** 3


@registry.register
def quartic(v):
    return v ** 4


@traced
def unrelated(v):
    return v - 1


def plain(v):
    return v - 2


def local(name, x):
    return LOCAL[name](x)


def hooks(x):
    return [h(x) for h in HOOKS]


def shared_models(name, x):
    return SHARED[name](x)


def module_models(name, x):
    return registry.MODELS[name](x)
"""

CONFIG = """
name: registries
steps:
  local_linear: {run: st.local, inputs: {name: linear, x: 2}}
  local_quad: {run: st.local, inputs: {name: quad, x: 2}}
  hooks: {run: st.hooks, inputs: {x: 2}}
  shared_cubic: {run: st.shared_models, inputs: {name: cubic, x: 2}}
  shared_plugin: {run: st.shared_models, inputs: {name: plugin, x: 2}}
  module_quartic: {run: st.module_models, inputs: {name: quartic, x: 2}}
"""

LOCAL = {"local_linear", "local_quad"}
SHARED = {"shared_cubic", "shared_plugin", "module_quartic"}
EDITS = {
    "a function its module's decorator registers": ("st.py", "v * 2", "v * 3", LOCAL),
    "one a decorator factory registers": ("st.py", "v ** 2", "v ** 5", LOCAL),
    "one a list's method decorates": ("st.py", "v + 1", "v + 7", {"hooks"}),
    "one an imported decorator registers": ("st.py", "v ** 3", "v ** 6", SHARED),
    "one its module's decorator registers": ("st.py", "v ** 4", "v ** 7", SHARED),
    "one registered in another module": ("plugins.py", "v + 100", "v + 200", SHARED),
    "the decorator": (
        "registry.py",
        "MODELS[fn.__name__] = fn",
        "MODELS[fn.__name__] = fn\n    MODELS['x'] = fn",
        SHARED,
    ),
    "one whose decorator registers nothing": ("st.py", "v - 1", "v - 3", set()),
    "a plain function": ("st.py", "v - 2", "v - 4", set()),
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_step_using_a_registry_depends_on_what_is_registered(tmp_path: Path, edit: str) -> None:
    for name, text in (("registry", REGISTRY), ("plugins", PLUGINS), ("st", STEPS)):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    file, old, new, changed = EDITS[edit]
    ran, reasons = rerun_after(tmp_path / "pipeline.yaml", tmp_path / file, old, new)
    assert ran == changed, reasons
    assert_nothing_stale(
        tmp_path / "pipeline.yaml",
        ("local_linear", "local_quad", "hooks", "shared_cubic", "shared_plugin", "module_quartic"),
    )
