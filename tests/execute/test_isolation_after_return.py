"""A value is taken as its step returned it: what changes the object afterwards changes
nothing another step receives.

A step may return an object its module keeps (a module-level registry, a frame an
`lru_cache`d loader hands out to every caller). Another step that changes that object in
place later, without taking it as an input, must not change what the first step's consumers
receive: on `processes` the value left its worker as it was returned, and read from the store
it is as it was stored, so on every executor it must be the same (SPEC section 12).
"""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.executors import EXECUTORS

STEPS = """
import functools

import numpy as np
import pandas as pd


class Registry:
    def __init__(self):
        self.names = ["a"]


KEPT = {
    "list": [1, [2]],
    "dict": {"a": [1]},
    "array": np.arange(3),
    "frame": pd.DataFrame({"x": [1, 2]}),
    "object": Registry(),
}


@functools.lru_cache
def cached_frame():
    return pd.DataFrame({"x": [1.0, 2.0]})


def describe(value):
    if isinstance(value, pd.DataFrame):
        return repr(value.to_dict())
    if isinstance(value, np.ndarray):
        return repr(value.tolist())
    if isinstance(value, Registry):
        return repr(value.names)
    return repr(value)


def give(kind):
    return cached_frame() if kind == "loader" else KEPT[kind]


def give_inside(kind):
    return {"inside": give(kind)}


def change_kept():
    KEPT["list"].append("changed")
    KEPT["list"][1].append("changed")
    KEPT["dict"]["a"].append("changed")
    KEPT["array"][0] = -1
    KEPT["frame"].loc[0, "x"] = -1
    KEPT["object"].names.append("changed")
    cached_frame().loc[0, "x"] = float("nan")
    return True


def observe(value):
    if isinstance(value, dict) and set(value) == {"inside"}:
        return "inside " + describe(value["inside"])
    return describe(value)
"""

KINDS = ("list", "dict", "array", "frame", "object", "loader")

EXPECTED = {
    "list": "[1, [2]]",
    "dict": "{'a': [1]}",
    "array": "[0, 1, 2]",
    "frame": "{'x': {0: 1, 1: 2}}",
    "object": "['a']",
    "loader": "{'x': {0: 1.0, 1: 2.0}}",
}


def config_text(executor: str) -> str:
    producers = ", ".join(f"give_{kind}, inside_{kind}" for kind in KINDS)
    lines = [
        "name: returned",
        f"executor: {executor}",
        "results: {root: out}",
        "steps:",
        f"  change: {{run: kept.change_kept, after: [{producers}]}}",
    ]
    for kind in KINDS:
        lines += [
            f'  give_{kind}: {{run: kept.give, inputs: {{kind: "{kind}"}}}}',
            f'  inside_{kind}: {{run: kept.give_inside, inputs: {{kind: "{kind}"}}}}',
            f'  observe_{kind}: {{run: kept.observe, inputs: {{value: "${{steps.give_{kind}}}"}},'
            " after: [change]}",
            f"  observe_inside_{kind}:",
            "    run: kept.observe",
            f'    inputs: {{value: "${{steps.inside_{kind}}}"}}',
            "    after: [change]",
        ]
    return "\n".join(lines) + "\n"


def executor_config(executor: str) -> str:
    # On dask, one worker for the run: every step shares the module the steps changed.
    return "{type: dask, workers: 1}" if executor == "dask" else f"{{type: {executor}}}"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_what_changes_a_returned_object_later_changes_no_consumer_of_it(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(config_text(executor_config(executor)), kept=STEPS)
    run = pipeflow.load(config).run(history=False)
    assert run.ok, {name: o.error for name, o in run.outcomes.items() if o.error}
    assert run.output("change") is True
    seen = {kind: run.output(f"observe_{kind}") for kind in KINDS}
    assert seen == EXPECTED
    inside = {kind: run.output(f"observe_inside_{kind}") for kind in KINDS}
    assert inside == {kind: f"inside {text}" for kind, text in EXPECTED.items()}
