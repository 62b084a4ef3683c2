"""A `reads:` entry naming a key of the `foreach` item (`${item.path}`) that an item made
during the run lacks fails that step with a message that names the reference: "`${item.path}`:
the `foreach` item has no `path`". Before, the message was the KeyError's repr, in quotes
(`'the `foreach` item has no `path`'`), naming neither the entry nor the reference. Every
executor; the list known before the run is refused by `validate` instead
(tests/config/test_item_parts_in_files.py)."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address  # noqa: F401
from tests.executors import EXECUTORS, executor_spec

STEPS = """
def entries():
    return [{"path": "a.txt"}, {"name": "b"}]


def use(entry):
    return entry
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_key_an_item_lacks_fails_the_step_naming_the_reference(
    make_project: ProjectFactory, request: pytest.FixtureRequest, executor: str
) -> None:
    config = make_project(
        f"""
        name: items
        executor: {executor_spec(executor, request)}
        steps:
          entries: {{run: isteps.entries}}
          use:
            run: isteps.use
            foreach: "${{steps.entries}}"
            as: entry
            reads: ["${{entry.path}}"]
        """,
        isteps=STEPS,
    )
    (config.parent / "a.txt").write_text("a")
    run = pipeflow.load(config).run()
    assert not run.ok
    error = run.outcomes["use"].error or ""
    assert "`${entry.path}`: the `foreach` item has no `path`" in error, error
    assert "'" not in error.split("`${entry.path}`")[0], error
