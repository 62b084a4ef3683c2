"""No results root or target may land in a Python installation or import folder, where a
written file runs as code (a `.pth` file at every start of Python): refused by `validate`
where the root is known, and by the store at run (a root from `${env.*}`)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

PLANT = "import pathlib; pathlib.Path({marker!r}).touch()\n"


def _pipeflow(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _config(project: Path, kind: str, root: str, target: str) -> Path:
    if kind == "yaml":
        text = (
            f'name: pr_config\nresults: {{root: "{root}"}}\nsteps:\n'
            "  notes:\n    run: pipeflow.read\n"
            "    inputs: {path: notes.txt, format: txt}\n"
            f'    result: {{target: "{target}", format: txt}}\n'
        )
    else:
        text = (
            f'name = "pr_config"\n[results]\nroot = "{root}"\n[steps.notes]\n'
            'run = "pipeflow.read"\ninputs = {path = "notes.txt", format = "txt"}\n'
            f'result = {{target = "{target}", format = "txt"}}\n'
        )
    config = project / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "pr"
    folder.mkdir()
    (folder / "notes.txt").write_text(PLANT.format(marker=str(tmp_path / "PWNED")))
    return folder


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """Another Python environment (the CI job's), made by `venv`."""
    folder = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return folder


def _site(venv: Path) -> Path:
    found = list(venv.glob("lib/python3*/site-packages"))
    assert found
    return found[0]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_root_from_the_environment_in_site_packages_fails_the_run(
    project: Path, venv: Path, kind: str
) -> None:
    site = _site(venv)
    relative = site.relative_to(venv).as_posix()
    config = _config(project, kind, "${env.VENV_DIR}/" + relative, "zz_notes.pth")
    result = _pipeflow(project, "run", config.name, VENV_DIR=str(venv))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "would land in" in result.stdout + result.stderr
    assert not (site / "zz_notes.pth").exists()
    subprocess.run([str(venv / "bin" / "python"), "-c", "pass"], check=True)
    assert not (project.parent / "PWNED").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_validate_refuses_roots_and_targets_in_python_places(
    project: Path, venv: Path, kind: str
) -> None:
    site = _site(venv)
    here = sysconfig.get_paths()
    cases = [
        (str(site), "zz.pth", "results.root"),  # another environment's site-packages
        (here["purelib"], "zz.pth", "results.root"),  # this Python's
        (here["stdlib"], "zz.pth", "results.root"),
        (sys.prefix, "zz.pth", "results.root"),
        (str(venv), f"{site.relative_to(venv).as_posix()}/zz.pth", "target"),  # below a venv
        (str(venv), "bin/activate", "target"),
    ]
    for root, target, where in cases:
        config = _config(project, kind, root, target)
        result = _pipeflow(project, "validate", config.name)
        assert result.returncode == 2, (root, target, result.stdout + result.stderr)
        assert "would land in" in result.stderr, (root, target)
        assert where in result.stderr, (root, target, result.stderr)
    assert not (site / "zz.pth").exists()


def test_a_project_with_its_own_venv_keeps_its_results_root(project: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True
    )
    for root in ("out", ".", str(project / "data")):
        config = _config(project, "yaml", root, "notes.txt")
        result = _pipeflow(project, "run", config.name)
        assert result.returncode == 0, (root, result.stdout + result.stderr)
