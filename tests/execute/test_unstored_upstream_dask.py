"""On Dask too, a step after one with `result: false` is keyed by that step's value, hashed
on the worker that made it (`tests/cache/test_unstored_upstream.py` has the other executors
and the kinds of value)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pipeflow
from pipeflow.model.run import StepState
from tests.cache.test_unstored_upstream import STEPS


def test_a_step_after_an_unstored_step_on_dask_runs_again_when_its_value_changed(
    tmp_path: Path, dask_address: str
) -> None:
    (tmp_path / "usteps.py").write_text(STEPS)
    (tmp_path / "source.txt").write_text("hello\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: unstored
            executor: {{type: dask, address: "{dask_address}", shared_filesystem: true}}
            results: {{root: out}}
            steps:
              fetch: {{run: usteps.fetch, inputs: {{kind: text}}, result: false}}
              shout: {{run: usteps.shout, inputs: {{value: "${{steps.fetch}}"}}}}
            """
        )
    )
    assert pipeflow.load(config).run(history=False).ok
    again = pipeflow.load(config).run(history=False)
    assert again.state("shout") is StepState.CACHED, again.outcomes
    (tmp_path / "source.txt").write_text("world\n")
    changed = pipeflow.load(config).run(history=False)
    assert changed.state("shout") is StepState.DONE, changed.outcomes
    assert "WORLD" in changed.output("shout")
