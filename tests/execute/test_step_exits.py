"""A step that calls `sys.exit()` or raises an exception that cannot be shown fails as any
step does, on every executor: exit code 1, the summary line, the `--json` and `--junit`
reports, and the history's record of a failed run.

Before, on `sequential` and `threads`, `sys.exit(0)` ended the whole `pipeflow run` with exit
code 0 and no report (a failed run looked like a success to CI; `sys.exit(3)` looked like
`--frozen`'s code), and an exception whose `str()` raised crashed pipeflow with a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest

STEPS = """
import sys


class Unshowable(Exception):
    def __str__(self):
        raise RuntimeError("str broke")


def exit_zero():
    sys.exit(0)


def exit_three():
    sys.exit(3)


def exit_text():
    sys.exit("bye")


def raise_system_exit():
    raise SystemExit


def unshowable():
    raise Unshowable("never shown")


def empty():
    raise ValueError()


def ok():
    return 1
"""

# step -> what its FAILED line says
FAILURES = {
    "exit_zero": "SystemExit: 0 (",
    "exit_three": "SystemExit: 3 (",
    "exit_text": "SystemExit: bye (",
    "raise_system_exit": "SystemExit: None (",
    "unshowable": "Unshowable: <exception str() failed>",
    "empty": "ValueError",
}


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("step", FAILURES)
def test_a_step_that_exits_or_cannot_show_its_error_fails_as_any_step(
    tmp_path: Path, executor: str, step: str
) -> None:
    (tmp_path / "exitsteps.py").write_text(STEPS)
    (tmp_path / "pipeline.yaml").write_text(
        textwrap.dedent(
            f"""
            name: exits
            executor: {{type: {executor}}}
            results: {{root: out}}
            steps:
              s: {{run: exitsteps.{step}}}
              t: {{run: exitsteps.ok, after: [s]}}
              free: {{run: exitsteps.ok}}
            """
        )
    )
    command = [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml", "--log-format", "plain"]
    command += ["--keep-going", "--json", "report.json", "--junit", "report.xml"]
    process = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "PIPEFLOW_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    shown = process.stdout + process.stderr
    assert process.returncode == 1, shown
    assert "Traceback (most recent call last)" not in process.stderr, shown
    failed = [line for line in process.stdout.splitlines() if line.startswith("s: FAILED: ")]
    assert len(failed) == 1, shown
    assert failed[0].removeprefix("s: FAILED: ").startswith(FAILURES[step]), failed[0]
    if step == "empty":
        assert failed[0] == "s: FAILED: ValueError", failed[0]  # no dangling colon
    assert "free: done" in process.stdout, shown  # --keep-going ran what does not depend on s
    assert "t: not run" in process.stdout, shown
    assert "failed in" in process.stdout.splitlines()[-1], shown

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["state"] == "failed"
    states = {item["name"]: item["state"] for item in report["steps"]}
    assert states["s"] == "failed", states
    assert states["free"] == "done", states
    suite = ElementTree.parse(tmp_path / "report.xml").getroot()
    assert suite.find(".//testcase[@name='s']/failure") is not None

    runs = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs"],
        cwd=tmp_path,
        env={**os.environ, "PIPEFLOW_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert " failed " in runs.stdout, runs.stdout + runs.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "show", report["run_id"]],
        cwd=tmp_path,
        env={**os.environ, "PIPEFLOW_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    reason = "called sys.exit()" if "exit" in step else "raised an error"
    assert reason in shown.stdout, shown.stdout + shown.stderr
