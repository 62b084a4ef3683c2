"""Params given in Python are layers, `load` first, then `with_params`, then `run`: each merges
into the ones before it and the later value wins, whatever carries it (`params=` with a
dotted key or a mapping, `param_options=`, `param_files=`), a run's layer is for that run
only, and no mapping the caller passes is changed (docs/params.md, "From Python").

Before, `nested_overrides` merged a later layer into the caller's own nested mapping (kept
in the pipeline's options), so `pipe.run(params={"model.lr": 0.5})` left `lr` 0.5 for every
later run of `pipe` and in the caller's dict; and the params of `load` were applied after
the files and `--param` options of a later `run`, so `load(params=...).run(param_options=...)`
lost the run's value."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.conftest import ProjectFactory

CONFIG = """
name: layers
params: {cfg: {a: 0, b: {c: 2, d: 3}}, n: 1}
steps:
  show: {run: layersteps.show, inputs: {cfg: "${params.cfg}", n: "${params.n}"}, cache: false}
"""
STEPS = """
def show(cfg, n):
    return {"cfg": cfg, "n": n}
"""
DEFAULTS = {"cfg": {"a": 0, "b": {"c": 2, "d": 3}}, "n": 1}


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG, layersteps=STEPS)


def _nested(dotted: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in dotted.items():
        *above, last = key.split(".")
        into = nested
        for name in above:
            into = into.setdefault(name, {})
        into[last] = value
    return nested


def _file(folder: Path, dotted: dict[str, Any]) -> Path:
    path = folder / f"layer-{len(list(folder.glob('layer-*')))}.json"
    path.write_text(json.dumps(_nested(dotted)))
    return path


# Each way of giving a layer of overrides, as keywords of load, with_params or run.
Channel = Callable[[Path, dict[str, Any]], dict[str, Any]]
CHANNELS: dict[str, Channel] = {
    "dotted params": lambda folder, dotted: {"params": dict(dotted)},
    "nested params": lambda folder, dotted: {"params": _nested(dotted)},
    "param_options": lambda folder, dotted: {
        "param_options": [f"{key}={value}" for key, value in dotted.items()]
    },
    "param_files": lambda folder, dotted: {"param_files": [_file(folder, dotted)]},
}


def _with(pipe: pipeflow.Pipeline, keywords: dict[str, Any]) -> pipeflow.Pipeline:
    params = keywords.pop("params", None)
    return pipe.with_params(params, **keywords)


def _shown(run: Any) -> Any:
    assert run.ok
    return run.output("show")


@pytest.mark.parametrize("later", CHANNELS)
@pytest.mark.parametrize("earlier", CHANNELS)
def test_a_run_s_layer_wins_over_load_s_whatever_carries_them(
    config: Path, earlier: str, later: str
) -> None:
    folder = config.parent
    pipe = pipeflow.load(config, **CHANNELS[earlier](folder, {"cfg.b.d": 30, "n": 2}))
    shown = _shown(pipe.run(**CHANNELS[later](folder, {"cfg.b.d": 4})))
    assert shown == {"cfg": {"a": 0, "b": {"c": 2, "d": 4}}, "n": 2}, (earlier, later)


@pytest.mark.parametrize("middle", CHANNELS)
def test_with_params_is_a_layer_between_load_and_run(config: Path, middle: str) -> None:
    folder = config.parent
    pipe = pipeflow.load(config, param_options=["cfg.b.d=30", "n=2", "cfg.a=7"])
    middled = _with(pipe, CHANNELS[middle](folder, {"cfg.b.d": 5, "n": 3}))
    assert middled.params == {"cfg": {"a": 7, "b": {"c": 2, "d": 5}}, "n": 3}
    shown = _shown(middled.run(params={"n": 4}))
    assert shown == {"cfg": {"a": 7, "b": {"c": 2, "d": 5}}, "n": 4}
    later = _with(middled, CHANNELS[middle](folder, {"cfg.b.d": 6}))
    assert later.params == {"cfg": {"a": 7, "b": {"c": 2, "d": 6}}, "n": 3}


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_run_s_params_are_for_that_run_only(config: Path, channel: str) -> None:
    folder = config.parent
    pipe = pipeflow.load(config, params={"cfg": {"a": 1}})
    first = _shown(pipe.run(**CHANNELS[channel](folder, {"cfg.b.c": 5, "n": 2})))
    assert first == {"cfg": {"a": 1, "b": {"c": 5, "d": 3}}, "n": 2}
    _with(pipe, CHANNELS[channel](folder, {"cfg.b.d": 9}))  # a new pipeline; pipe unchanged
    second = _shown(pipe.run(**CHANNELS[channel](folder, {"cfg.b.d": 6})))
    assert second == {"cfg": {"a": 1, "b": {"c": 2, "d": 6}}, "n": 1}
    assert _shown(pipe.run()) == {"cfg": {"a": 1, "b": {"c": 2, "d": 3}}, "n": 1}
    assert pipe.params == {"cfg": {"a": 1, "b": {"c": 2, "d": 3}}, "n": 1}


def test_no_mapping_a_caller_passes_is_changed(config: Path) -> None:
    given = {
        "load": {"cfg": {"a": 1, "b": {"c": 4}}},
        "with_params": {"cfg": {"b": {"d": 5}}, "cfg.a": 2},
        "first run": {"cfg": {"b": {"c": 6}}, "cfg.b.d": 7},
        "second run": {"cfg": {"a": 3}, "cfg.b": {"c": 8}},
    }
    before = copy.deepcopy(given)
    pipe = pipeflow.load(config, params=given["load"])
    middled = pipe.with_params(given["with_params"])
    assert _shown(middled.run(params=given["first run"]))["cfg"] == {
        "a": 2,
        "b": {"c": 6, "d": 7},
    }
    assert _shown(pipe.run(params=given["second run"]))["cfg"] == {"a": 3, "b": {"c": 8, "d": 3}}
    assert given == before
    # Nor does changing what a pipeline hands out change the pipeline.
    pipe.params["cfg"]["a"] = 99
    pipe.options["params"]["cfg"]["a"] = 99
    assert pipe.params == {"cfg": {"a": 1, "b": {"c": 4, "d": 3}}, "n": 1}
    assert _shown(pipe.run())["cfg"] == {"a": 1, "b": {"c": 4, "d": 3}}


BAD = {"n": "many"}
CALLS: dict[str, Callable[[Path], Any]] = {
    "load": lambda path: pipeflow.load(path, params=BAD),
    "with_params": lambda path: pipeflow.load(path).with_params(BAD),
    "run": lambda path: pipeflow.load(path).run(params=BAD),
}


@pytest.mark.parametrize("call", CALLS)
def test_a_problem_names_the_call_whose_params_caused_it(config: Path, call: str) -> None:
    with pytest.raises(ConfigError) as raised:
        CALLS[call](config)
    assert f"(from the params passed to {call}())" in str(raised.value.format())
