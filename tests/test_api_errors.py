"""Every error pipeflow raises on purpose can be caught by its name on `pipeflow`.

`run(frozen=True)` raised `StaleResults`, a Ctrl-C `Interrupted`, a store that cannot be read
`StorageError`, but only `ConfigError`, `PipeflowError` and `StepFailed` were names of the
package: `except pipeflow.StaleResults:` was an AttributeError in the handler.
"""

from __future__ import annotations

import inspect

import pytest

import pipeflow
from pipeflow import errors
from tests.conftest import ProjectFactory

RAISED = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.PipeflowError) and cls.__module__ == errors.__name__
]


@pytest.mark.parametrize("cls", RAISED, ids=[cls.__name__ for cls in RAISED])
def test_each_error_is_a_name_of_the_package(cls: type[errors.PipeflowError]) -> None:
    assert getattr(pipeflow, cls.__name__) is cls
    assert cls.__name__ in pipeflow.__all__


def test_a_frozen_run_with_stale_steps_is_caught_by_its_name(make_project: ProjectFactory) -> None:
    config = make_project(
        "name: stale\nsteps:\n  a: {run: esteps.make}\n", esteps="def make():\n    return 1\n"
    )
    with pytest.raises(pipeflow.StaleResults) as raised:
        pipeflow.load(config).run(frozen=True, history=False)
    assert raised.value.exit_code == 3
