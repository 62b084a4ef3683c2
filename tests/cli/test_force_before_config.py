"""`pipeflow run --force pipeline.yaml`: --force takes an optional STEP, so it took the config.

Before, click then said only "Missing argument 'CONFIG'", though the config was right there.
Now the error (exit 2) says that --force took it, and how to write what was meant.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

CONFIGS = {
    "yaml": "name: forced\nresults: {root: out}\nsteps:\n  a: {run: forcedsteps.f}\n",
    "toml": 'name = "forced"\n[results]\nroot = "out"\n[steps.a]\nrun = "forcedsteps.f"\n',
}


@pytest.mark.parametrize("spelling", sorted(CONFIGS))
@pytest.mark.parametrize("command", ["run", "status"])
def test_a_config_taken_by_force_is_named_with_what_to_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str, command: str
) -> None:
    (tmp_path / "forcedsteps.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    name = f"pipeline.{spelling}"
    (tmp_path / name).write_text(CONFIGS[spelling], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [command, "--force", name])
    assert result.exit_code == 2, result.output
    assert "Missing argument" not in result.output
    assert f"`--force {name}` takes `{name}` as the step to force, not as the config" in (
        result.output
    )
    assert f"`pipeflow {command} {name} --force`" in result.output
    assert not (tmp_path / "out").exists()
    # Written the other way round, it does what was meant.
    fine = CliRunner().invoke(cli, [command, name, "--force"])
    assert fine.exit_code == 0, fine.output
    assert CliRunner().invoke(cli, [command, name, "--force", "a"]).exit_code == 0
