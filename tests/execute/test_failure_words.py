"""A step that fails with pipeflow's own words (a value `outputs:` cannot split, a store it
cannot write to) shows those words alone: no traceback of pipeflow's frames under them. A step's
own error keeps its traceback, from the step's code on."""

from __future__ import annotations

import sys

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
def pair() -> dict:
    return {"a": 1, "b": 2}


def boom() -> int:
    raise ValueError("bad value")
"""


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "wsteps", raising=False)


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_pipeflows_own_words_come_without_its_frames(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(
        f"""
        name: words
        executor: {{type: {executor}}}
        results: {{root: blocker/out}}
        steps:
          split: {{run: wsteps.pair, outputs: [a, c], result: false}}
          stored: {{run: wsteps.pair}}
          raised: {{run: wsteps.boom, result: false}}
        """,
        wsteps=STEPS,
    )
    pipe = pipeflow.load(config)
    # After the checks (a root below a file is refused there): the store fails to write.
    (config.parent / "blocker").write_text("a file, where the results root needs a folder")
    run = pipe.run(keep_going=True, history=False)
    split, stored, raised = (run.outcomes[name] for name in ("split", "stored", "raised"))
    assert split.state is StepState.FAILED
    assert "returned a dict without `c`" in (split.error or "")
    assert split.traceback is None
    assert stored.state is StepState.FAILED
    assert "StorageError: cannot create" in (stored.error or "")
    assert "blocker/out" in (stored.error or "")
    assert stored.traceback is None
    assert raised.state is StepState.FAILED
    shown = raised.traceback or ""
    assert 'raise ValueError("bad value")' in shown
    assert "/pipeflow/" not in shown
