"""A KeyboardInterrupt that a step's code raises itself, without Ctrl-C (a library turning its
own signal handling into one), is that step's failure like any exception, on every executor:
`k: FAILED: KeyboardInterrupt`, exit code 1, retried as `retries:` says, with its output and
traceback kept; the other steps run as after any failure. Only a SIGINT interrupts the run
(exit 130; `test_interrupt.py`).

Before, `sequential` took it for Ctrl-C (exit 130, "interrupted"), `threads` too and reported
the raising step `not run` (an innocent running step could read `FAILED: interrupted`), and
`processes` failed it without its traceback or output (`KeyboardInterrupt: `)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

STEPS = """
from pathlib import Path


def k():
    print("k is about to give up")
    raise KeyboardInterrupt  # as a library that handles SIGINT itself may


def timed():
    raise KeyboardInterrupt("from a step with a timeout")


def flaky():
    marker = Path(__file__).with_name("flaky.tried")
    if not marker.exists():
        marker.write_text("once")
        raise KeyboardInterrupt
    return 2


def ok():
    return 1
"""

CONFIG = """
name: kbi
executor: {{type: {executor}}}
results: {{root: out}}
steps:
  k: {{run: kbsteps.k, cache: false}}
  timed: {{run: kbsteps.timed, cache: false, timeout: 60s}}
  flaky: {{run: kbsteps.flaky, cache: false, retries: 1, retry_delay: 0s}}
  after_k: {{run: kbsteps.ok, cache: false, after: [k]}}
  o: {{run: kbsteps.ok, cache: false}}
"""


def _pipeflow(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=folder,
        env={**os.environ, "PIPEFLOW_HOME": str(folder / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_keyboard_interrupt_a_step_raises_is_its_failure(tmp_path: Path, executor: str) -> None:
    (tmp_path / "kbsteps.py").write_text(STEPS)
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG.format(executor=executor)))

    run = _pipeflow(tmp_path, "run", "pipeline.yaml", "--log-format", "plain", "--keep-going")
    shown = run.stdout + run.stderr
    assert run.returncode == 1, shown
    printed = run.stdout.splitlines()
    assert "k: FAILED: KeyboardInterrupt" in printed, shown
    assert "timed: FAILED: KeyboardInterrupt: from a step with a timeout" in printed, shown
    assert any(line.startswith("flaky: done") for line in printed), shown  # retried
    assert "k | k is about to give up" in printed, shown
    assert any(line.startswith("o: done") for line in printed), shown
    assert any(line.startswith("after_k: not run") for line in printed), shown
    assert "interrupted" not in shown, shown
    assert "Traceback (most recent call last)" not in run.stderr, shown

    (tmp_path / "flaky.tried").unlink()
    again = _pipeflow(tmp_path, "run", "pipeline.yaml", "--keep-going", "--json", "report.json")
    assert again.returncode == 1, again.stdout + again.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["state"] == "failed", report
    states = {item["name"]: item["state"] for item in report["steps"]}
    assert states == {
        "k": "failed",
        "timed": "failed",
        "flaky": "done",
        "after_k": "not run",
        "o": "done",
    }, states

    details = _pipeflow(tmp_path, "runs", "show", report["run_id"], "--traceback")
    assert " failed" in details.stdout, details.stdout + details.stderr
    assert "raise KeyboardInterrupt  # as a library" in details.stdout, details.stdout
    logs = _pipeflow(tmp_path, "logs", report["run_id"], "--step", "k")
    assert "k | k is about to give up" in logs.stdout.splitlines(), logs.stdout + logs.stderr
