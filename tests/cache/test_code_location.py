"""A cache key does not depend on where pipeflow, or the project, sits on disk: a laptop and a
CI job sharing a bucket share the results of pipeflow's own steps and of installed code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests import journals
from tests.conftest import REPO

CONFIG = """
name: shared
results: {root: out}
steps:
  table: {run: pipeflow.read, inputs: {path: data.json}}
  count: {run: steps.count.rows, inputs: {table: "${steps.table}"}}
"""

RUN = """
import json, sys
import pipeflow
from pipeflow.cache.code import CodeFingerprinter
print("@@pipeflow " + pipeflow.__file__)
run = pipeflow.load("pipeline.yaml").run()
assert run.ok
parts = CodeFingerprinter(".").fingerprint("pipeflow.read").parts
print("@@parts " + json.dumps(dict(parts), sort_keys=True))
"""


def machine(root: Path) -> tuple[Path, Path]:
    """A copy of pipeflow and of a project, each in a folder of its own under `root`."""
    library = root / "site" / "lib"
    shutil.copytree(
        REPO / "pipeflow", library / "pipeflow", ignore=shutil.ignore_patterns("__pycache__")
    )
    project = root / "home" / "work" / "project"
    (project / "steps").mkdir(parents=True)
    (project / "steps" / "__init__.py").write_text("", encoding="utf-8")
    (project / "steps" / "count.py").write_text(
        "def rows(table: dict) -> int:\n    return len(table['rows'])\n", encoding="utf-8"
    )
    (project / "data.json").write_text('{"rows": [1, 2, 3]}', encoding="utf-8")
    (project / "pipeline.yaml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    return library, project


def run_on(library: Path, project: Path) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
    """(the code parts of `pipeflow.read`, the manifest of each step) after a run there."""
    done = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=project,
        env={"PYTHONPATH": str(library), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(
        line[2:].split(" ", 1) for line in done.stdout.splitlines() if line.startswith("@@")
    )
    assert Path(lines["pipeflow"]).is_relative_to(library), "ran the copy of pipeflow"
    manifests = {
        step: journals.latest_document(project / "out", "shared", step)
        for step in ("table", "count")
    }
    return json.loads(lines["parts"]), manifests


def test_keys_are_the_same_wherever_pipeflow_and_the_project_are(tmp_path: Path) -> None:
    laptop = run_on(*machine(tmp_path / "laptop"))
    ci = run_on(*machine(tmp_path / "ci" / "runner"))
    laptop_parts, laptop_manifests = laptop
    ci_parts, ci_manifests = ci
    assert laptop_parts == ci_parts
    assert not [part for part in laptop_parts if str(tmp_path) in part]
    assert "pipeflow/__init__.py::read" in laptop_parts
    for step in ("table", "count"):
        assert laptop_manifests[step]["components"] == ci_manifests[step]["components"]
        assert laptop_manifests[step]["key"] == ci_manifests[step]["key"]
    assert str(tmp_path) not in json.dumps(laptop_manifests["table"]["components"])
