"""`--results URL` (`results=` in the API) moves a sub-pipeline's results with the run's: the
store given for the run replaces the `results.root` of the config and of every sub-pipeline it
runs, so a shared cache holds every step (docs/ci.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action

REPO = Path(__file__).resolve().parents[2]

STEPS = "def add(a, b):\n    return a + b\n"

# One child declares its own root, one (in a subfolder) has the default beside its file, and
# one step of the first has its own `result.root`, which `--results` leaves where it is.
OWN_ROOT = """
name: own
results: {root: own_out}
steps:
  s: {run: st.add, inputs: {a: 1, b: 2}, result: {target: "{pipeline}-s.json"}}
  kept: {run: st.add, inputs: {a: 1, b: 3}, result: {root: kept_out}}
outputs: {s: "${steps.s}"}
"""

DEFAULT_ROOT = """
name: plain
steps:
  s: {run: subst.add, inputs: {a: 1, b: 5}}
outputs: {s: "${steps.s}"}
"""

PARENT = """
name: parent
steps:
  c: {pipeline: own.yaml}
  d: {pipeline: sub/plain.yaml}
  t: {run: st.add, inputs: {a: "${steps.c.s}", b: "${steps.d.s}"}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "sub").mkdir(parents=True)
    (folder / "st.py").write_text(STEPS)
    (folder / "sub" / "subst.py").write_text(STEPS)
    (folder / "own.yaml").write_text(textwrap.dedent(OWN_ROOT))
    (folder / "sub" / "plain.yaml").write_text(textwrap.dedent(DEFAULT_ROOT))
    (folder / "parent.yaml").write_text(textwrap.dedent(PARENT))
    return folder


def pipeflow_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def stored_pipelines(store: Path) -> list[str]:
    """The pipelines with results in the store: in its journal, or (a target's) manifests."""
    found = set(os.listdir(store / ".pipeflow" / "journal"))
    if (store / ".pipeflow" / "manifests").is_dir():
        found |= set(os.listdir(store / ".pipeflow" / "manifests"))
    return sorted(found)


def local_roots(project: Path) -> list[str]:
    """The result folders the config names, other than the step's own `result.root`."""
    return [
        name
        for name in ("data/processed", "own_out", "sub/data/processed")
        if (project / name).exists()
    ]


def test_run_with_results_stores_the_sub_pipelines_steps_there(project: Path) -> None:
    store = project.parent / "shared-cache"
    ran = pipeflow_process("run", "parent.yaml", "-q", "--results", str(store), cwd=project)
    assert ran.returncode == 0, ran.stderr
    assert local_roots(project) == []  # nothing went to a child's own root
    assert stored_pipelines(store) == ["own", "parent", "plain"]
    assert (project / "kept_out").is_dir()  # a step's own `result.root` is not moved

    # Another checkout would share the cache through the store alone:
    frozen = pipeflow_process(
        "run", "parent.yaml", "--frozen", "--results", str(store), cwd=project
    )
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr
    status = pipeflow_process("status", "parent.yaml", "--results", str(store), cwd=project)
    assert status.returncode == 0, status.stderr
    assert "no stored result" not in status.stdout
    result = pipeflow_process("result", "parent.yaml", "c/s", "--results", str(store), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert local_roots(project) == []


def test_the_api_results_keyword_moves_the_sub_pipelines_steps(project: Path) -> None:
    store = project.parent / "api-cache"
    pipeline = pipeflow.load(project / "parent.yaml")
    run = pipeline.run(results=str(store))
    assert run.ok
    assert local_roots(project) == []
    assert (store / "own-s.json").read_text().strip() == "3"  # a target goes there too
    assert stored_pipelines(store) == ["own", "parent", "plain"]
    for planned in (pipeline.plan(results=str(store)), pipeline.status(results=store)):
        assert {d.step: d.action for d in planned} == {
            "c/s": Action.CACHED,
            "c/kept": Action.CACHED,
            "d/s": Action.CACHED,
            "t": Action.CACHED,
        }
    assert pipeline.result("d/s", results=str(store)).load() == 6
    # Without the keyword the config's own roots are used, where nothing is stored yet.
    assert {d.step: d.action for d in pipeline.plan()}["c/s"] is Action.RUN


def test_a_memory_store_given_for_a_processes_run_is_refused_once_at_results(
    project: Path,
) -> None:
    ran = pipeflow_process(
        "run", "parent.yaml", "--executor", "processes", "--results", "memory://x", cwd=project
    )
    assert ran.returncode == 2, ran.stdout + ran.stderr
    errors = [line for line in ran.stderr.splitlines() if "the results root memory://x" in line]
    assert len(errors) == 1, ran.stderr  # the sub-pipelines' steps are stored there too
    assert errors[0].startswith("error at `--results`:")
