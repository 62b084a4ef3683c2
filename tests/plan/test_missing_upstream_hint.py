"""A selected step that needs a stale step outside the selection is refused with a hint that
works: `--until STEP` (the step and all it needs) always; `--only STEP` only where the
selection is made with `--only` alone, since `--from`, `--until` and `--tag` narrow what
`--only` adds.

Before, `--from c` with `a` stale said "add it to the selection (e.g. --only a)", and
`--from c --only a` then selected no step at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import StaleResults

STEPS = """
def a() -> int:
    return 1


def b(x: int) -> int:
    return x + 1


def c(x: int) -> int:
    return x * 10
"""

YAML = """
name: chain
results: {root: out}
steps:
  a: {run: chain_steps.a, tags: [prep]}
  b: {run: chain_steps.b, inputs: {x: "${steps.a}"}}
  c: {run: chain_steps.c, inputs: {x: "${steps.b}"}, tags: [model]}
"""
TOML = """
name = "chain"
[results]
root = "out"
[steps.a]
run = "chain_steps.a"
tags = ["prep"]
[steps.b]
run = "chain_steps.b"
inputs = {x = "${steps.a}"}
[steps.c]
run = "chain_steps.c"
inputs = {x = "${steps.b}"}
tags = ["model"]
"""

# How `c` alone is selected, on the command line and in Python, and whether --only widens it.
SELECTIONS = {
    "only": (["--only", "c"], {"only": "c"}, True),
    "from": (["--from", "c"], {"start": "c"}, False),
    "tag": (["--tag", "model"], {"tags": "model"}, False),
    "from-until": (["--from", "c", "--until", "c"], {"start": "c", "until": "c"}, False),
}


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The project, run once, then `b`'s code changed: `b` is stale, `c` needs it."""
    steps = tmp_path / "chain_steps.py"
    steps.write_text(STEPS, encoding="utf-8")
    path = tmp_path / f"pipeline.{request.param}"
    path.write_text(YAML if request.param == "yaml" else TOML, encoding="utf-8")
    assert pipeflow.load(path).run().ok
    steps.write_text(STEPS.replace("x + 1", "x + 2"), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(SELECTIONS))
@pytest.mark.parametrize("command", [["run"], ["run", "--dry-run"], ["status"]])
def test_the_hint_names_options_that_select_the_missing_step(
    config: Path, case: str, command: list[str]
) -> None:
    options, _, widens = SELECTIONS[case]
    result = CliRunner().invoke(cli, [*command, str(config), *options])
    assert result.exit_code == 2, result.output
    assert "`c` needs the result of `b`, which is not selected" in result.output
    assert "`--until b` runs it and all it needs" in result.output, result.output
    assert ("--only b" in result.output) is widens, result.output
    # Following the hint: `b` made current, then the same selection runs.
    done = CliRunner().invoke(cli, ["run", str(config), "--until", "b"])
    assert done.exit_code == 0, done.output
    again = CliRunner().invoke(cli, [*command, str(config), *options])
    assert again.exit_code == 0, again.output
    if widens:  # the other way the hint gives
        config.parent.joinpath("chain_steps.py").write_text(
            STEPS.replace("x + 1", "x + 3"), encoding="utf-8"
        )
        widened = CliRunner().invoke(cli, [*command, str(config), *options, "--only", "b"])
        assert widened.exit_code == 0, widened.output


@pytest.mark.parametrize("case", sorted(SELECTIONS))
def test_python_gets_the_same_hint(config: Path, case: str) -> None:
    _, keywords, widens = SELECTIONS[case]
    pipe = pipeflow.load(config)
    for method in (pipe.plan, pipe.status, pipe.run):
        with pytest.raises(pipeflow.ConfigError) as refused:
            method(**keywords)
        [problem] = refused.value.problems
        assert problem.hint is not None
        assert "`--until b` runs it and all it needs" in problem.hint
        assert ("--only b" in problem.hint) is widens


@pytest.mark.parametrize("case", sorted(SELECTIONS))
@pytest.mark.parametrize("command", [["run"], ["run", "--dry-run"]])
def test_frozen_reports_a_stale_step_the_selection_needs_as_stale(
    config: Path, case: str, command: list[str]
) -> None:
    """`--frozen` proves the results a run would use current: a stale step the selection needs
    is one of them (exit 3, as for a selected stale step). Before, exit 2, which CI reads as a
    broken config or command."""
    options, keywords, _ = SELECTIONS[case]
    result = CliRunner().invoke(cli, [*command, str(config), *options, "--frozen"])
    assert result.exit_code == 3, result.output
    assert "--frozen: 1 step(s) of `chain` would run:" in result.output, result.output
    assert "b: code of chain_steps.py changed" in result.output, result.output
    assert "not selected; `c` needs its result" in result.output, result.output
    with pytest.raises(StaleResults):
        pipeflow.load(config).run(**keywords, frozen=True)
    assert not list(config.parent.joinpath("out").glob("*.json"))


@pytest.fixture(params=["yaml", "toml"])
def current(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The project, run once: every stored result is current."""
    (tmp_path / "chain_steps.py").write_text(STEPS, encoding="utf-8")
    path = tmp_path / f"pipeline.{request.param}"
    path.write_text(YAML if request.param == "yaml" else TOML, encoding="utf-8")
    assert pipeflow.load(path).run().ok
    return path


@pytest.mark.parametrize("case", sorted(SELECTIONS))
@pytest.mark.parametrize("command", [["run"], ["run", "--dry-run"]])
def test_no_cache_says_it_is_why_a_current_result_is_not_taken(
    current: Path, case: str, command: list[str]
) -> None:
    """With `--no-cache` no stored result is read, so a step outside the selection cannot be
    taken from the store even when its result is current. Before, the refusal said it "has no
    up-to-date stored result" and hinted `--until b`, after which the same command was refused
    again."""
    options, keywords, _ = SELECTIONS[case]
    result = CliRunner().invoke(cli, [*command, str(current), *options, "--no-cache"])
    assert result.exit_code == 2, result.output
    assert "`c` needs the result of `b`, which is not selected" in result.output
    assert "has no up-to-date stored result" not in result.output, result.output
    assert "--no-cache reads no stored result" in result.output, result.output
    assert "drop --no-cache" in result.output, result.output
    # Either way the hint gives works.
    assert CliRunner().invoke(cli, [*command, str(current), *options]).exit_code == 0
    hinted = CliRunner().invoke(cli, [*command, str(current), "--until", "c", "--no-cache"])
    assert hinted.exit_code == 0, hinted.output
    pipe = pipeflow.load(current)
    for method in (pipe.plan, pipe.run):
        with pytest.raises(pipeflow.ConfigError) as refused:
            method(**keywords, no_cache=True)
        problems = refused.value.problems
        assert problems
        for problem in problems:  # `b`, and `a` that `b` needs
            assert "--no-cache reads no stored result" in problem.message
            assert problem.hint is not None
            assert "drop --no-cache" in problem.hint


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("case", sorted(SELECTIONS))
def test_each_missing_step_is_said_to_be_needed_by_the_step_that_takes_its_value(
    tmp_path: Path, spelling: str, case: str
) -> None:
    """Nothing stored yet: `c` needs `b`, which needs `a`. Before, both were said to be needed
    by `c` ("`c` needs the result of `a`"), which takes no value of `a`."""
    (tmp_path / "chain_steps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / f"pipeline.{spelling}"
    config.write_text(YAML if spelling == "yaml" else TOML, encoding="utf-8")
    options, keywords, _ = SELECTIONS[case]
    for command in (["run"], ["run", "--dry-run"], ["status"]):
        result = CliRunner().invoke(cli, [*command, str(config), *options])
        assert result.exit_code == 2, result.output
        assert "`c` needs the result of `b`, which is not selected" in result.output
        assert "`b` needs the result of `a`, which is not selected" in result.output
        assert "`c` needs the result of `a`" not in result.output, result.output
    frozen = CliRunner().invoke(cli, ["run", str(config), *options, "--frozen"])
    assert frozen.exit_code == 3, frozen.output
    assert "(not selected; `b` needs its result)" in frozen.output, frozen.output
    with pytest.raises(pipeflow.ConfigError) as refused:
        pipeflow.load(config).plan(**keywords)
    messages = [problem.message for problem in refused.value.problems]
    assert any(message.startswith("`b` needs the result of `a`") for message in messages)
