"""A module installed under the config's folder is not project code (SPEC 10): the standard
library of a Python that lives in the project (a conda env made with `conda create -p ./env`,
a copied interpreter) and a package `pip install -t .` put there are refused without
`allow_imports`, in every spelling, at `validate` and at run; the project's own modules
beside them still run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import pipeflow

REPO = Path(pipeflow.__file__).resolve().parent.parent
SITE = sysconfig.get_paths()["purelib"]
SKIP = shutil.ignore_patterns(
    "__pycache__", "site-packages", "test", "tests", "idlelib", "tkinter", "turtledemo",
    "ensurepip", "lib2to3", "config-3*", "*.a",
)  # fmt: skip


def _pipeflow(python: Path | str, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), SITE])}
    return subprocess.run(
        [str(python), "-m", "pipeflow", *args, "pipeline.yaml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _config(project: Path, run: str, inputs: str) -> None:
    (project / "pipeline.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: pr_config
            results: {{root: out}}
            steps:
              innocent_looking: {{run: "{run}", inputs: {inputs}}}
            """
        ),
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def python_in_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project folder holding a copy of this Python (its binary and standard library)."""
    project = tmp_path_factory.mktemp("conda_like")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    home = stdlib.parent.parent
    binary = Path(sys.executable).resolve()
    env = project / "env"
    (env / "bin").mkdir(parents=True)
    shutil.copytree(stdlib, env / "lib" / stdlib.name, ignore=SKIP)
    (env / "lib" / stdlib.name / "site-packages").mkdir()
    for library in home.joinpath("lib").glob("libpython3*"):
        shutil.copy(library, env / "lib" / library.name, follow_symlinks=True)
    shutil.copy(binary, env / "bin" / binary.name)
    python = env / "bin" / binary.name
    check = subprocess.run(
        [str(python), "-c", "import subprocess; print(subprocess.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "LD_LIBRARY_PATH": str(env / "lib")},
    )
    if check.returncode != 0 or not check.stdout.startswith(str(env)):
        pytest.skip(f"this Python does not run from a copy: {check.stderr or check.stdout}")
    return project, python


@pytest.mark.parametrize("run", ["subprocess.run", "subprocess:run", "os.system", "shutil:rmtree"])
def test_the_stdlib_of_a_python_inside_the_project_is_not_project_code(
    python_in_project: tuple[Path, Path], run: str
) -> None:
    project, python = python_in_project
    marker = project / "PWNED"
    inputs = f"{{args: [touch, {marker}]}}" if "subprocess" in run else f'["{marker}"]'
    _config(project, run, inputs if "subprocess" in run else "{}")
    os.environ.setdefault("LD_LIBRARY_PATH", "")
    for command in ("validate", "run"):
        result = _pipeflow(python, project, command)
        assert result.returncode == 2, result.stdout + result.stderr
        module = run.replace(":", ".").rsplit(".", 1)[0]
        assert f"`{run}` is outside the project" in result.stdout + result.stderr, module
        assert "allow_imports" in result.stdout + result.stderr
    assert not marker.exists()


def test_a_project_module_beside_the_python_inside_the_project_runs(
    python_in_project: tuple[Path, Path],
) -> None:
    project, python = python_in_project
    (project / "mine.py").write_text("def one():\n    return 1\n", encoding="utf-8")
    _config(project, "mine.one", "{}")
    result = _pipeflow(python, project, "run")
    assert result.returncode == 0, result.stdout + result.stderr


def _pip_install_target(project: Path, tmp_path: Path) -> None:
    """`pip install -t PROJECT` of a small wheel made here (no index, no build needed)."""
    import base64
    import hashlib
    import zipfile

    code = "import subprocess\n\ndef callit(cmd):\n    return subprocess.call(cmd)\n"
    info = "cmdrunner-1.0.dist-info"
    files = {
        "cmdmod.py": code,
        "cmdpkg/__init__.py": "",
        "cmdpkg/tools.py": code,
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: cmdrunner\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{info}/top_level.txt": "cmdmod\ncmdpkg\n",
    }
    record = []
    for name, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{name},sha256={encoded},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = tmp_path / "cmdrunner-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    subprocess.run(
        [*pip, "-t", str(project), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (project / info / "RECORD").is_file()
    assert (project / "cmdpkg" / "tools.py").is_file()


@pytest.mark.parametrize("run", ["cmdmod.callit", "cmdmod:callit", "cmdpkg.tools.callit"])
def test_a_package_pip_installed_into_the_project_is_not_project_code(
    tmp_path: Path, run: str
) -> None:
    project = tmp_path / "lambda_like"
    project.mkdir()
    _pip_install_target(project, tmp_path)
    marker = project / "PWNED"
    _config(project, run, f"{{cmd: [touch, {marker}]}}")
    for command in ("validate", "run"):
        result = _pipeflow(sys.executable, project, command)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"`{run}` is outside the project" in result.stdout + result.stderr
    assert not marker.exists()
    # The project's own module beside it, and a source tree's egg-info, are the project's.
    (project / "mine.py").write_text("def one():\n    return 1\n", encoding="utf-8")
    egg = project / "mine.egg-info"
    egg.mkdir()
    (egg / "SOURCES.txt").write_text("mine.py\n", encoding="utf-8")
    (egg / "top_level.txt").write_text("mine\n", encoding="utf-8")
    _config(project, "mine.one", "{}")
    result = _pipeflow(sys.executable, project, "run")
    assert result.returncode == 0, result.stdout + result.stderr
