"""A `run:` path naming a method through its class (`module:Model.fit`): a plain method needs
an instance as `self`, which a step cannot make. Before, validation said "missing input
`self`" and hinted "add `self: ...` under `inputs`". Static and class methods, and a method
given an instance as its `self` input, are fine."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests.conftest import ProjectFactory

MODELS = """
class Model:
    def __init__(self, k=2):
        self.k = k

    def fit(self, x):
        return x * self.k

    async def fit_later(self, x):
        return x * self.k

    @staticmethod
    def check(x):
        return x

    @classmethod
    def make(cls, k):
        return cls(k)


def model():
    return Model(3)
"""


@pytest.mark.parametrize("method", ["fit", "fit_later"])
def test_a_plain_method_named_through_its_class_is_refused_saying_why(
    make_project: ProjectFactory, method: str
) -> None:
    config = make_project(
        f"""
        name: methods
        steps:
          train: {{run: "models:Model.{method}", inputs: {{x: 1}}}}
        """,
        models=MODELS,
    )
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert f"`Model.{method}` is a method: it needs an instance of `Model` as `self`" in (
        result.output
    )
    assert "@staticmethod" in result.output, result.output
    assert "add `self: ...`" not in result.output, result.output


def test_static_and_class_methods_and_a_method_given_its_instance_run(
    make_project: ProjectFactory,
) -> None:
    config = make_project(
        """
        name: methods
        steps:
          made: {run: "models:Model.make", inputs: {k: 4}}
          checked: {run: "models:Model.check", inputs: {x: 5}}
          trained: {run: "models:Model.fit", inputs: {self: "${steps.made}", x: 2}}
        """,
        models=MODELS,
    )
    run = pipeflow.load(config).run()
    assert run.ok, {name: outcome.error for name, outcome in run.outcomes.items()}
    assert (run.output("checked"), run.output("trained")) == (5, 8)
