"""An option that takes one value, given twice (`--results a --results b`, `--schedule 1
--schedule 2`, `--json a.json --json b.json`), is refused (exit 2) on every command, naming
the option and its values, as `--from` and `--until` were already.

Before, click kept the last value and dropped the others without a word: a run went to the
second store, took the second schedule's params, wrote one report of the two asked for.
Options meant to repeat (`--param`, `--param-file`, `--only`, `--force`, `--tag`) and flags
stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.cli.main import load_commands
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

CONFIG = """
name: twice
params: {n: 1}
results: {root: out}
steps:
  one: {run: twice_steps.one, inputs: {n: "${params.n}"}}
schedules:
  - interval: 1h
    params: {n: 2}
  - interval: 2h
    params: {n: 3}
"""

STEPS = """
def one(n: int) -> int:
    return n
"""


def commands() -> Iterator[tuple[list[str], click.Command]]:
    """Every command and subcommand, with the words that call it."""
    load_commands()
    for name, command in sorted(cli.commands.items()):
        yield [name], command
        if isinstance(command, click.Group):
            for inner, subcommand in sorted(command.commands.items()):
                yield [name, inner], subcommand


# What each positional argument is given, so that a command would otherwise run.
POSITIONAL = {"config": "pipeline.yaml", "configs": "pipeline.yaml", "step": "one"}


def single_options() -> Iterator[tuple[list[str], str]]:
    for words, command in commands():
        positional = [
            POSITIONAL.get(parameter.name or "", "x")
            for parameter in command.params
            if isinstance(parameter, click.Argument) and parameter.required
        ]
        words = [*words, *positional]
        for parameter in command.params:
            if not isinstance(parameter, click.Option) or parameter.hidden:
                continue
            if parameter.multiple or parameter.is_flag or parameter.count:
                continue
            yield words, max(parameter.opts, key=len)


SINGLE = list(single_options())


def test_the_options_under_test_include_those_a_run_goes_by() -> None:
    run = {option for words, option in SINGLE if words[0] == "run"}
    assert {"--results", "--schedule", "--json", "--junit", "--executor", "--workers"} <= run


@pytest.mark.parametrize(("words", "option"), SINGLE, ids=[f"{' '.join(w)} {o}" for w, o in SINGLE])
def test_an_option_of_one_value_given_twice_is_refused(
    make_project: ProjectFactory, words: list[str], option: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(CONFIG, twice_steps=STEPS)
    monkeypatch.chdir(config.parent)
    arguments = [*words, option, "1", option, "2"]
    if words[0] == "ui":  # given its last value, it would serve until stopped: a process
        ran = pipeflow_in(config.parent, *arguments, timeout=60)
        code, output = ran.returncode, ran.stdout + ran.stderr
    else:
        result = CliRunner().invoke(cli, arguments)
        code, output = result.exit_code, result.output
    assert code == 2, output
    assert f"{option} takes one value, and it is given 2: `1`, `2`" in output
    assert not (Path(config.parent) / "out").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["run", "pipeline.yaml", "--results", "a", "--results", "a", "--dry-run"],  # the same
        ["run", "pipeline.yaml", "--param", "n=4", "--param", "n=5", "--dry-run"],
        ["run", "pipeline.yaml", "--only", "one", "--only", "one", "--dry-run"],
        ["run", "pipeline.yaml", "--dry-run", "--dry-run"],
        ["status", "pipeline.yaml", "--force", "--force", "one"],
    ],
)
def test_options_meant_to_repeat_still_do(
    make_project: ProjectFactory, arguments: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(CONFIG, twice_steps=STEPS)
    monkeypatch.chdir(config.parent)
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
