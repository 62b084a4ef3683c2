"""The console's line for a failed `foreach` step counts calls over its items, not retries.

Before, a `foreach` step with `retries: 0` whose third item of four failed read
"FAILED after 4 attempts": its attempts count every item's call, and there was no retry.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

STEPS = """
def square(x):
    if x == 3:
        raise ValueError("three")
    return x * x


def flaky(x):
    raise ValueError("always")
"""
YAML = """
name: fans
results: {root: out}
executor: {type: EXECUTOR}
steps:
  square: {run: fansteps.square, foreach: [1, 2, 3, 4], as: x}
  flaky: {run: fansteps.flaky, inputs: {x: 1}, retries: 1, retry_delay: 0s}
"""
TOML = """
name = "fans"
[results]
root = "out"
[executor]
type = "EXECUTOR"
[steps.square]
run = "fansteps.square"
foreach = [1, 2, 3, 4]
as = "x"
[steps.flaky]
run = "fansteps.flaky"
inputs = {x = 1}
retries = 1
retry_delay = "0s"
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_failed_foreach_step_counts_calls_over_its_items(
    tmp_path: Path, spelling: str, executor: str
) -> None:
    (tmp_path / "fansteps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / f"pipeline.{spelling}"
    config.write_text((YAML if spelling == "yaml" else TOML).replace("EXECUTOR", executor))
    result = CliRunner().invoke(cli, ["run", str(config), "--keep-going"])
    assert result.exit_code == 1, result.output
    failed = {line.split(":")[0]: line for line in result.output.splitlines() if "FAILED" in line}
    assert "attempts" not in failed["square"], failed
    assert "square: FAILED after " in failed["square"], failed
    assert " calls over its items: item 3 of 4" in failed["square"], failed
    assert "flaky: FAILED after 2 attempts: ValueError: always" in failed["flaky"], failed
