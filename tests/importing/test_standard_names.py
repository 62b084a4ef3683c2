"""A project module named like a standard-library module that pipeflow itself imports
(`json.py`, `re.py`, `threading.py`, a package `typing/`, `sysconfig.py`) leaves pipeflow
whole, at `validate`, at `run` and from `pipeflow.load`, in YAML and TOML, and in a
sub-pipeline's folder too: Python's module is the one imported, by pipeflow and the steps.
The project folder comes first on the import path, and loading a config forgot the modules
named like the project's files: before, pipeflow then imported the project's file and failed
with a traceback ("module 'json' has no attribute 'dumps'", "module 'threading' has no
attribute '_shutdown'"). Refusing such files would refuse projects that work (`secrets.py`).
A project module named like one pipeflow does not import (`statistics.py`) stays a project
module (tests/cache/test_source_outside_packages.py); a folder without `__init__.py` (`json/`
holding data) is no module Python prefers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.importing.shadows import PIPEFLOW_IMPORTS
from tests.system import pipeflow_in

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _path_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A project loaded here goes first on this process's path: the processes it starts later
    (a Dask nanny's worker, spawned with this path) would import its `json.py`."""
    monkeypatch.setattr(sys, "path", list(sys.path))


STEPS = "def one():\n    return 1\n"
YAML = "name: shadow\nresults: {root: out}\nsteps:\n  a: {run: steps.one}\n"
TOML = 'name = "shadow"\nresults = {root = "out"}\n[steps.a]\nrun = "steps.one"\n'


def _project(folder: Path, kind: str, module: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "steps.py").write_text(STEPS, encoding="utf-8")
    if module.endswith("/"):
        (folder / module).mkdir()
        (folder / module / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    else:
        (folder / module).write_text("X = 1\n", encoding="utf-8")
    config = folder / f"pipeline.{kind}"
    config.write_text(YAML if kind == "yaml" else TOML, encoding="utf-8")
    return config


def _pipeflow(tmp_path: Path, command: str, config: Path) -> subprocess.CompletedProcess[str]:
    """`pipeflow COMMAND CONFIG` from another folder: `python -m` puts the current folder
    first on the path, where any Python program would import the project's `json.py`."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    return pipeflow_in(elsewhere, command, str(config))


STEP_USING_JSON = "import json\n\n\ndef one():\n    return json.loads(json.dumps(1))\n"


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    "module",
    [
        "json.py",
        "re.py",
        "threading.py",
        "typing/",
        "difflib.py",
        "collections.py",
        "sysconfig.py",  # imported by pipeflow after the project folder is on the path
        "zoneinfo/",
        "secrets.py",
    ],
)
def test_a_module_named_like_one_pipeflow_imports_leaves_pipeflow_whole(
    tmp_path: Path, command: str, kind: str, module: str
) -> None:
    config = _project(tmp_path / "project", kind, module)
    (config.parent / "steps.py").write_text(STEP_USING_JSON, encoding="utf-8")
    done = _pipeflow(tmp_path, command, config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    if command == "run":
        assert (config.parent / "out").is_dir()


def test_the_api_and_a_sub_pipeline_too(tmp_path: Path) -> None:
    config = _project(tmp_path / "main", "yaml", "steps_helpers.py")
    child = _project(tmp_path / "main" / "flows", "yaml", "json.py")
    (child.parent / "sysconfig.py").write_text("X = 1\n", encoding="utf-8")
    child.write_text(YAML.replace("shadow", "child"), encoding="utf-8")
    (child.parent / "steps.py").rename(child.parent / "flow_steps.py")
    child.write_text(child.read_text().replace("steps.one", "flow_steps.one"))
    config.write_text(YAML + "  sub: {pipeline: flows/pipeline.yaml}\n", encoding="utf-8")
    run = pipeflow.load(config).run()
    assert run.ok
    import json

    assert json.dumps(1) == "1"  # this process's `json` is Python's still


@pytest.mark.parametrize("module", ["statistics.py", "json/"])
def test_other_names_stay_the_projects(tmp_path: Path, module: str) -> None:
    config = _project(tmp_path / "project", "yaml", module)
    if module == "json/":
        (config.parent / "json" / "__init__.py").unlink()  # a folder of data files
        (config.parent / "json" / "data.json").write_text("{}", encoding="utf-8")
    done = _pipeflow(tmp_path, "run", config)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_list_is_what_pipeflow_imports() -> None:
    found: set[str] = set()
    for path in (REPO / "pipeflow").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    assert {name for name in found if name in sys.stdlib_module_names} == set(PIPEFLOW_IMPORTS)
