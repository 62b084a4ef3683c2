"""Loading and planning pause the cyclic garbage collector, and leave it as they found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.api import preparing
from pipeflow.config import loader
from pipeflow.config.collecting import collector_paused

CONFIG = """\
name: gc
steps:
  a: {run: gcsteps.f}
  b: {run: gcsteps.f, inputs: {x: "${steps.a}"}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "gcsteps.py").write_text("def f(x=0):\n    return x + 1\n", encoding="utf-8")
    path = tmp_path / "pipeline.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture(params=[True, False], ids=["enabled", "disabled"])
def collecting(request: pytest.FixtureRequest) -> Iterator[bool]:
    was = gc.isenabled()
    (gc.enable if request.param else gc.disable)()
    yield request.param
    (gc.enable if was else gc.disable)()


def spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Note whether the collector runs while `module.name` is called."""
    seen: list[bool] = []
    original = getattr(module, name)

    def noted(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, noted)
    return seen


def test_loading_and_planning_pause_the_collector_and_restore_it(
    config: Path, collecting: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    loading = spy(monkeypatch, loader, "_load")
    planning = spy(monkeypatch, preparing, "prepare")
    pipe = pipeflow.load(config)
    assert gc.isenabled() is collecting
    decisions = pipe.plan()
    assert gc.isenabled() is collecting
    assert loading == [False]
    assert planning == [False]
    assert len(decisions) == 2
    run = pipe.run(history=False)
    assert run.ok
    assert run.output("b") == 2
    assert gc.isenabled() is collecting


def test_the_collector_comes_back_after_an_error(collecting: bool) -> None:
    inside: list[bool] = []

    def fail() -> None:
        with collector_paused():
            with collector_paused():
                inside.append(gc.isenabled())
            inside.append(gc.isenabled())  # the inner pause does not end the outer one
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fail()
    assert inside == [False, False]
    assert gc.isenabled() is collecting


def test_a_config_with_problems_leaves_the_collector_as_it_was(
    tmp_path: Path, collecting: bool
) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("name: bad\nsteps:\n  a: {runn: x.f}\n", encoding="utf-8")
    with pytest.raises(pipeflow.ConfigError):
        pipeflow.load(path)
    assert gc.isenabled() is collecting
