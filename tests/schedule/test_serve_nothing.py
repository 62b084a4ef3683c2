"""`pipeflow serve` given only configs without `schedules:` has nothing to do: a usage error
(exit 2), as `--export` of such a config is. Before, it logged "nothing to serve" and exited
0, which a supervisor (systemd `Restart=on-failure`, a CI job) took for a serve that ended well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = "def hello() -> str:\n    return 'hello'\n"
PLAIN = "name: {name}\nsteps:\n  hello: {{run: nsteps.hello}}\n"


@pytest.mark.parametrize("count", [1, 2])
def test_serving_configs_without_schedules_is_a_usage_error(
    make_project: ProjectFactory, tmp_path: Path, count: int
) -> None:
    configs = [
        str(make_project(PLAIN.format(name=f"p{n}"), name=f"p{n}.yaml", nsteps=STEPS))
        for n in range(count)
    ]
    result = CliRunner().invoke(cli, ["serve", *configs])
    assert result.exit_code == 2, result.output
    assert "nothing to serve" in result.stderr, result.stderr
    assert "add `schedules:`" in result.stderr, result.stderr
    assert "serving" not in result.stdout, result.stdout
