"""An unknown option that another tool spells for what pipeflow calls otherwise (Kedro's
`--to-nodes`, DVC's `--downstream`, ...) is answered with pipeflow's option (`--until`,
`--from`, `--only`), on `run` and `status`; click alone suggested the closest spellings
(`--json`, `--only`, `--tag` for `--to`), never `--until`. Exit 2, as for any usage error.
"""

from __future__ import annotations

import pytest

from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

CONFIG = "name: p\nsteps:\n  a: {run: tool_steps.one}\n"
STEPS = "def one():\n    return 1\n"

ELSEWHERE = [
    ("--to", "--until"),
    ("--to-nodes", "--until"),
    ("--to-outputs", "--until"),
    ("--from-nodes", "--from"),
    ("--from-inputs", "--from"),
    ("--downstream", "--from"),
    ("--nodes", "--only"),
    ("--node", "--only"),
    ("--select", "--only"),
]


@pytest.mark.parametrize("command", ["run", "status"])
@pytest.mark.parametrize(("written", "meant"), ELSEWHERE)
def test_another_tools_option_is_answered_with_pipeflows(
    make_project: ProjectFactory, command: str, written: str, meant: str
) -> None:
    config = make_project(CONFIG, tool_steps=STEPS)
    for given in ([written, "a"], [f"{written}=a"]):
        result = pipeflow_in(config.parent, command, config.name, *given)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"No such option '{written}'" in result.stderr, result.stderr
        assert f"(Did you mean '{meant}'?)" in result.stderr, result.stderr
        assert not (config.parent / "out").exists()


def test_a_mistyped_option_still_gets_the_closest_spelling(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, tool_steps=STEPS)
    result = pipeflow_in(config.parent, "run", config.name, "--unti", "a")
    assert result.returncode == 2, result.stderr
    assert "'--until'" in result.stderr, result.stderr
