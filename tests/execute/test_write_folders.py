"""A path input naming a folder a step's declared writes go into, before it exists: it is a
path of the project (made absolute), on every executor and from any working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WRITER = """
import os


def write_one(name, outdir):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, name + ".out"), "w") as handle:
        handle.write(name.upper())
    return outdir
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("spelling", ["data/out", "data/out/"])
def test_a_folder_the_writes_go_into_is_the_projects(
    tmp_path: Path, executor: str, spelling: str
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "writer.py").write_text(textwrap.dedent(WRITER))
    (project / "pipeline.yaml").write_text(
        "name: into\nresults: {root: results}\nsteps:\n"
        "  each:\n"
        "    run: writer.write_one\n"
        "    foreach: [a, b]\n"
        "    as: name\n"
        f'    inputs: {{outdir: "{spelling}"}}\n'
        '    writes: ["data/out/${name}.out"]\n'
    )
    ran = _run(project / "pipeline.yaml", executor, elsewhere)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert sorted(p.name for p in (project / "data" / "out").iterdir()) == ["a.out", "b.out"]
    assert list(elsewhere.iterdir()) == []


def _run(config: Path, executor: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pipeflow", "run", str(config), "--executor", executor]
    return subprocess.run(
        [*command, "-q"],
        cwd=cwd,  # not the project's folder: a relative `data/out` would land here
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PIPEFLOW_HOME": str(cwd.parent / "home")},
    )


FAILING = """
def fail(out):
    raise ValueError("before writing")
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_failed_step_leaves_no_empty_folder_made_for_its_writes(
    tmp_path: Path, executor: str
) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "failing.py").write_text(textwrap.dedent(FAILING))
    (project / "pipeline.yaml").write_text(
        "name: failing\nresults: {root: results}\nsteps:\n"
        "  fail: {run: failing.fail, inputs: {out: data/deep/er/x.txt}, "
        "writes: [data/deep/er/x.txt]}\n"
    )
    ran = _run(project / "pipeline.yaml", executor, project)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "before writing" in ran.stdout + ran.stderr
    assert list((project / "data").iterdir()) == []  # `data` was there: it stays
