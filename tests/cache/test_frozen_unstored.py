"""`--frozen` and steps whose result is never stored (`result: false`, `persist: false`).

Such a step has no stored result to be current or stale: a frozen run neither runs it nor
counts it as stale, so a pipeline that ends in a `result: false` step (a notification, a
report printed to the log) can pass `--frozen` once everything it stores is current.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import StaleResults
from pipeflow.model.run import Action, StepState

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def total(values, factor):
    note("total")
    return sum(values) * factor


def notify(total):
    note("notify")
    print("total is", total)


def shout(item):
    note("shout " + item)
"""

# `notify` and `shout` (one call per item) store nothing; `total` is stored.
YAML = """
name: frozen
params: {factor: 2, people: [ann, bob]}
results: {root: out}
steps:
  total: {run: mysteps.total, inputs: {values: [1, 2, 3], factor: "${params.factor}"}}
  notify: {run: mysteps.notify, inputs: {total: "${steps.total}"}, result: false}
  shout: {run: mysteps.shout, foreach: "${params.people}", result: false}
"""

TOML = """
name = "frozen"
params = { factor = 2, people = ["ann", "bob"] }
results = { root = "out" }
[steps.total]
run = "mysteps.total"
inputs = { values = [1, 2, 3], factor = "${params.factor}" }
[steps.notify]
run = "mysteps.notify"
inputs = { total = "${steps.total}" }
result = false
[steps.shout]
run = "mysteps.shout"
foreach = "${params.people}"
result = false
"""

# Nothing of this pipeline is stored.
UNSTORED = """
name: unstored
results: {root: out, persist: false}
steps:
  total: {run: mysteps.total, inputs: {values: [1, 2, 3], factor: 2}}
  notify: {run: mysteps.notify, inputs: {total: "${steps.total}"}}
"""


@pytest.fixture(params=["pipeline.yaml", "pipeline.toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / request.param
    path.write_text(textwrap.dedent(YAML if path.suffix == ".yaml" else TOML))
    return path


def calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    found = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return found


def test_a_frozen_run_passes_without_running_steps_that_store_nothing(config: Path) -> None:
    assert pipeflow.load(config).run().ok
    assert sorted(calls(config.parent)) == ["notify", "shout ann", "shout bob", "total"]
    run = pipeflow.load(config).run(frozen=True)
    assert run.ok
    assert calls(config.parent) == []
    assert run.state("total") is StepState.CACHED
    for name in ("notify", "shout"):
        assert run.state(name) is StepState.SKIPPED
        assert "--frozen runs nothing" in run.outcomes[name].reason
    plan = {d.step: d for d in pipeflow.load(config).plan(frozen=True)}
    assert plan["notify"].action is Action.SKIPPED
    assert plan["total"].action is Action.CACHED


def test_frozen_passes_on_the_command_line_and_says_why_they_are_skipped(config: Path) -> None:
    folder = config.parent
    assert CliRunner().invoke(cli, ["run", str(config), "-q"]).exit_code == 0
    calls(folder)
    report = folder / "report.json"
    for options in (["--json", str(report)], ["--dry-run"]):
        frozen = CliRunner().invoke(cli, ["run", str(config), "--frozen", *options])
        assert frozen.exit_code == 0, frozen.output
        assert "would run" not in frozen.output
        assert "its result is never stored (`result: false`); --frozen runs nothing" in (
            frozen.output
        )
        assert calls(folder) == []
    steps = {s["name"]: s for s in json.loads(report.read_text())["steps"]}
    assert steps["notify"]["state"] == "skipped"
    assert steps["total"]["state"] == "cached"


def test_a_frozen_run_with_a_stale_step_still_fails_and_runs_nothing(config: Path) -> None:
    assert pipeflow.load(config).run().ok
    calls(config.parent)
    with pytest.raises(StaleResults) as caught:
        pipeflow.load(config).run(frozen=True, params={"factor": 3})
    assert "total: param factor changed (2 -> 3)" in str(caught.value)
    assert "notify" in str(caught.value)  # it would run after `total`
    assert calls(config.parent) == []
    stale = CliRunner().invoke(cli, ["run", str(config), "--frozen", "--param", "factor=3"])
    assert stale.exit_code == 3, stale.output
    assert calls(config.parent) == []


def test_a_pipeline_that_stores_nothing_has_nothing_stale(tmp_path: Path) -> None:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(textwrap.dedent(UNSTORED))
    frozen = CliRunner().invoke(cli, ["run", str(config), "--frozen"])
    assert frozen.exit_code == 0, frozen.output
    assert "nothing is stored (`results: {persist: false}`); --frozen runs nothing" in (
        frozen.output
    )
    assert calls(tmp_path) == []


# `total` is computed from an unstored step's value: it is decided once `numbers` has run.
FED = """
name: fed
results: {root: out}
steps:
  numbers: {run: mysteps.numbers, result: false}
  total: {run: mysteps.total, inputs: {values: "${steps.numbers}", factor: 2}}
  doubled: {run: mysteps.total, inputs: {values: ["${steps.total}"], factor: 2}}
"""


def test_the_header_does_not_count_steps_decided_after_an_unstored_one_as_to_run(
    tmp_path: Path,
) -> None:
    """Before, a frozen run's first line said `3 steps (3 to run)` and then found `total`
    and `doubled` cached: those decided once the unstored step has run were counted as to run."""
    (tmp_path / "mysteps.py").write_text(
        textwrap.dedent(STEPS) + "\n\ndef numbers():\n    return [1, 2, 3]\n"
    )
    config = tmp_path / "pipeline.yaml"
    config.write_text(textwrap.dedent(FED))
    assert CliRunner().invoke(cli, ["run", str(config), "-q"]).exit_code == 0
    calls(tmp_path)
    ran = CliRunner().invoke(cli, ["run", str(config), "--frozen", "--log-format", "plain"])
    assert ran.exit_code == 0, ran.output
    header = ran.output.splitlines()[0]
    assert header.endswith(": 3 steps (1 to run, 2 to decide later)"), header
    assert "2 cached" in ran.output
    assert calls(tmp_path) == []
