"""A step with `outputs:` whose parts do not all fit their formats fails before any part is
written: no file of a failed step is left where its target points. Before, the parts before
the refused one were written (with no manifest), beside the real outputs."""

from __future__ import annotations

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
def stats():
    return {"counts": [1, 2, 3], "tags": {"a", "b"}, "mean": 2.0}
"""


@pytest.mark.parametrize("executor", ["sequential", "processes"])
@pytest.mark.parametrize(
    "result",
    ['{target: "stats/{output}.json"}', '{target: "stats/{output}.{ext}", format: json}'],
)
def test_a_part_no_format_holds_fails_the_step_before_any_part_is_written(
    make_project: ProjectFactory, executor: str, result: str
) -> None:
    config = make_project(
        f"""
        name: parts
        executor: {{type: {executor}}}
        results: {{root: out}}
        steps:
          stats:
            run: psteps.stats
            outputs: [counts, tags, mean]
            result: {result}
        """,
        psteps=STEPS,
    )
    run = pipeflow.load(config).run(history=False)
    outcome = run.outcomes["stats"]
    assert outcome.state is StepState.FAILED
    assert "json" in (outcome.error or ""), outcome.error
    written = sorted(p.name for p in (config.parent / "out").rglob("*") if p.is_file())
    assert not [name for name in written if not name.startswith(".")], written
    assert not (config.parent / "out" / "stats").exists()
