"""`pipeflow --help` stays fast: the CLI imports the engine, config and storage only when a
command runs, so help and usage errors load click and little else."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Modules `--help` must not load: each of them (and what it imports) costs start-up time.
HEAVY = (
    "pipeflow.plan",
    "pipeflow.cache",
    "pipeflow.storage",
    "pipeflow.config",
    "pipeflow.api",
    "pipeflow.execute",
    "pipeflow.importing",
    "pipeflow.report.picture",
    "PIL",
    "yaml",
    "jsonschema",
    "fsspec",
    "importlib.metadata",
    "sysconfig",
)

CHILD = """
import json, sys
started_with = set(sys.modules)  # what the interpreter itself loaded (site may load sysconfig)
from pipeflow.cli import cli
try:
    cli(sys.argv[1:], prog_name="pipeflow")
except SystemExit as exit:
    code = exit.code
heavy = %r
new = set(sys.modules) - started_with
loaded = sorted(m for m in new if any(m == h or m.startswith(h + ".") for h in heavy))
print("@@" + json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(*args: str) -> tuple[int, list[str]]:
    """(exit code, heavy modules in sys.modules) after `pipeflow ARGS` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD % (HEAVY,), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert marker, done.stdout + done.stderr
    found = json.loads(marker[-1][2:])
    return found["code"], found["loaded"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["validate", "--help"],
        ["status", "--help"],
        ["graph", "--help"],
    ],
)
def test_help_loads_only_the_cli(args: list[str]) -> None:
    code, loaded = loaded_by(*args)
    assert code == 0
    assert loaded == []


def test_force_without_a_step_means_every_step_everywhere() -> None:
    from pipeflow.api import ALL as api_all
    from pipeflow.cli.running import run
    from pipeflow.model.run import ALL
    from pipeflow.plan.planner import ALL as planner_all

    force = next(p for p in run.params if p.name == "force")
    assert ALL == api_all == planner_all == force.flag_value == "*"
