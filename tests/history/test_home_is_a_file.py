"""`$PIPEFLOW_HOME` naming a file, not a folder: every history command says so (exit 2).

Before, `pipeflow runs` said "no runs recorded in FILE/runs.db" and exited 0, `logs` and
`runs show` that no run was recorded: as if the history were empty, while every run warned
that it could not be recorded there. (`--home FILE` is refused by its option already.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

COMMANDS = {
    "runs": ["runs"],
    "runs --json": ["runs", "--json"],
    "runs show": ["runs", "show"],
    "runs prune": ["runs", "prune", "--keep", "1"],
    "logs": ["logs"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_home_that_is_a_file_is_said_to_be_one(tmp_path: Path, command: str) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(cli, COMMANDS[command], env={"PIPEFLOW_HOME": str(home)})
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"$PIPEFLOW_HOME is {home}, a file: the history is kept in a folder" in said
    assert "point $PIPEFLOW_HOME at a folder" in said
    assert "no runs recorded" not in result.output
    assert home.read_text(encoding="utf-8") == "not a folder"
