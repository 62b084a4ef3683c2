"""A Step works out what it references once; that changes nothing else about it."""

from __future__ import annotations

import dataclasses
import pickle

from pipeflow.model.pipeline import Step
from pipeflow.model.refs import Ref, parse_value


def make() -> Step:
    return Step(
        name="s",
        run="m.f",
        inputs=parse_value({"x": "${steps.a}", "y": ["${steps.b.part}", "${params.n}"]}),
        when=parse_value("${steps.c}"),
        after=("d", "a"),
    )


def test_references_and_upstream() -> None:
    step = make()
    assert step.references() == [
        Ref("steps", ("a",)),
        Ref("steps", ("b", "part")),
        Ref("params", ("n",)),
        Ref("steps", ("c",)),
    ]
    assert step.value_upstream() == ("a", "b", "c")
    assert step.upstream() == ("a", "b", "c", "d")


def test_they_are_worked_out_once() -> None:
    step = make()
    assert step.upstream() is step.upstream()
    assert step.value_upstream() is step.value_upstream()
    step.references().clear()  # a caller's copy: the step keeps its own
    assert len(step.references()) == 4


def test_equality_pickling_and_replace_are_unchanged() -> None:
    step = make()
    step.upstream()
    assert step == make()
    assert repr(step) == repr(make())
    copy = pickle.loads(pickle.dumps(step))
    assert copy == step
    assert copy.upstream() == step.upstream()
    assert dataclasses.replace(step, after=()).upstream() == ("a", "b", "c")
