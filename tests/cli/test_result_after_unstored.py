"""`pipeflow result` (and `Pipeline.result`) of a step after one that runs every time (`result:
false`, `cache: false`, `pipeflow.read`): whether its stored result is up to date is known
only once that step has run, as the run keys it by that step's value, and `result` runs no
step. It says so, naming the step and why, and what to do. Before, it said "(`load` runs
first); run the pipeline first", right after a run that had taken the step from the cache,
and running again never changed it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import PipeflowError

STEPS = """
def load(n=3):
    return list(range(n))


def middle(rows):
    return rows[1:]


def total(rows):
    return sum(rows)
"""

# Each kind of step that runs every time, and why it does.
LOADS = {
    "result: false": (
        "{run: asteps.load, result: false}",
        "its result is never stored (`result: false`)",
    ),
    "cache: false": (
        "{run: asteps.load, cache: false}",
        "caching is off for it (`cache: false`)",
    ),
    "pipeflow.read": (
        "{run: pipeflow.read, inputs: {path: data/rows.json}}",
        "it reads a result or file that may have changed: read again",
    ),
}


def project(tmp_path: Path, load: str, *, chain: bool = False) -> Path:
    (tmp_path / "asteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.json").write_text(json.dumps([0, 1, 2]))
    rows = "${steps.middle}" if chain else "${steps.load}"
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: res\nparams: {k: 1}\nresults: {root: store}\nsteps:\n"
        f"  load: {load}\n"
        + ('  middle: {run: asteps.middle, inputs: {rows: "${steps.load}"}}\n' if chain else "")
        + f'  total: {{run: asteps.total, inputs: {{rows: "{rows}"}}}}\n'
    )
    assert pipeflow.load(config).run().ok
    assert pipeflow.load(config).run().state("total").value == "cached"
    return config


@pytest.mark.parametrize("kind", sorted(LOADS))
@pytest.mark.parametrize("chain", [False, True], ids=["next", "two steps after"])
def test_result_after_a_step_that_always_runs_says_why_it_cannot_know(
    tmp_path: Path, kind: str, chain: bool
) -> None:
    load, why = LOADS[kind]
    config = project(tmp_path, load, chain=chain)

    shown = CliRunner().invoke(cli, ["result", str(config), "total"])

    assert shown.exit_code == 3, shown.output
    said = shown.stderr.strip()
    assert "run the pipeline first" not in said
    assert "whether its stored result is up to date is known only once `load` has run" in said
    assert f"({why})" in said
    assert "`pipeflow result` runs no step" in said
    with pytest.raises(PipeflowError) as raised:
        pipeflow.load(config).result("total")
    assert str(raised.value) == said


def test_a_step_before_it_that_changed_still_asks_for_a_run(tmp_path: Path) -> None:
    """When a stored step before it runs for a change (a param), its result is stale: run the
    pipeline first, as before."""
    (tmp_path / "asteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: res\nparams: {k: 3}\nresults: {root: store}\nsteps:\n"
        '  sized: {run: asteps.load, inputs: {n: "${params.k}"}}\n'
        "  load: {run: asteps.load, result: false}\n"
        '  total: {run: asteps.total, inputs: {rows: "${steps.sized}"}, after: [load]}\n'
    )
    assert pipeflow.load(config).run().ok

    shown = CliRunner().invoke(cli, ["result", str(config), "total", "--param", "k=4"])

    assert shown.exit_code == 3
    # A param makes `sized` run: the advice about params (tests/cli/test_result_params_hint.py).
    assert "(`sized` runs first); run the pipeline with these params first" in shown.stderr
