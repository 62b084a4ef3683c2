"""No result may land as a Python module in a folder Python imports from: the project's own.

pipeflow puts the config's folder first on `sys.path` for every run, so a result stored there
as `steps.py` (or `pkg/mod.py`, a namespace package's module; bytecode in `__pycache__`; an
extension module) would be imported as code by the next run, or even by `validate`: a config
changed in a pull request would run what it wrote. Every spelling is refused: a results root
of `.` or a step's `result.root` in the project, YAML and TOML, a target from a param (by
`validate`, exit 2) or from a `foreach` item only known during the run (the step fails, on
every executor); the module is left as it was and nothing of the config's text runs. A target
with another extension, or a `.py` target under a root Python does not import from, is stored.
"""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import pytest

from tests.execute.conftest import dask_address
from tests.executors import executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

VICTIM = """
from pathlib import Path


def one():
    return 1


def names():
    return ["victim"]


def text(name):
    return Path(__file__).with_name(name).read_text()
"""
PLANT = "import pathlib\npathlib.Path({marker!r}).touch()\n"

# (results root, step's result.root or None, target): each a module the next run imports
MODULE_TARGETS = [
    (".", None, "victim.py"),
    (".", None, "VICTIM.PY"),  # a case-insensitive disk imports it as victim.py
    (".", None, "pkg/module.py"),
    ("out", ".", "victim.py"),
    ("out", "pkg", "module.py"),
    (".", None, "victim.pyc"),
    (".", None, "__pycache__/victim.cpython-311.pyc"),
    (".", None, f"victim{importlib.machinery.EXTENSION_SUFFIXES[0]}"),
    (".", None, "victim.so"),
    (".", None, "{params.name}.py"),
]


def target_config(
    project: Path,
    kind: str,
    root: str,
    own_root: str | None,
    target: str,
    name: str = "victim",
) -> Path:
    """`pipeline.KIND`: step `notes` stores `notes.txt` at `target` (param `name`: `name`)."""
    own = "" if own_root is None else own_root
    if kind == "yaml":
        result = f'target: "{target}", format: txt' + (f', root: "{own}"' if own else "")
        text = (
            f'name: pr\nparams: {{name: "{name}"}}\nresults: {{root: "{root}"}}\nsteps:\n'
            f"  notes:\n    run: pipeflow.read\n    inputs: {{path: notes.txt, format: txt}}\n"
            f"    result: {{{result}}}\n"
        )
    else:
        result = f'target = "{target}", format = "txt"' + (f', root = "{own}"' if own else "")
        text = (
            f'name = "pr"\n[params]\nname = "{name}"\n[results]\nroot = "{root}"\n'
            '[steps.notes]\nrun = "pipeflow.read"\ninputs = {path = "notes.txt", format = "txt"}\n'
            f"result = {{{result}}}\n"
        )
    config = project / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "pkg").mkdir(parents=True)
    (folder / "victim.py").write_text(VICTIM)
    (folder / "pkg" / "module.py").write_text(VICTIM)
    (folder / "notes.txt").write_text(PLANT.format(marker=str(tmp_path / "PWNED")))
    (folder / "victim.yaml").write_text("name: victim\nsteps:\n  a: {run: victim.one}\n")
    return folder


def _untouched(project: Path) -> None:
    assert (project / "victim.py").read_text() == VICTIM
    assert (project / "pkg" / "module.py").read_text() == VICTIM
    victim = pipeflow_in(project, "run", "victim.yaml")
    assert victim.returncode == 0, victim.stdout + victim.stderr
    assert not (project.parent / "PWNED").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("root", "own_root", "target"), MODULE_TARGETS)
def test_a_target_that_would_be_a_module_of_the_project_is_refused(
    project: Path, kind: str, root: str, own_root: str | None, target: str
) -> None:
    config = target_config(project, kind, root, own_root, target)
    for command in ("validate", "run"):
        result = pipeflow_in(project, command, config.name)
        assert result.returncode == 2, (command, result.stdout + result.stderr)
        assert "Python imports" in result.stderr, result.stderr
        assert "steps.notes.result.target" in result.stderr, result.stderr
    _untouched(project)


# A target made of `foreach` items only known during the run: `{name}.EXT`.
RUN_TIME = """
name: items
results: {root: "."}
executor: EXECUTOR
steps:
  names: {run: victim.names}
  notes:
    run: victim.text
    foreach: "${steps.names}"
    as: name
    result: {target: "{name}.EXT", format: txt}
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes", "dask"])
def test_a_module_target_known_only_during_the_run_fails_its_step(
    project: Path, executor: str, request: pytest.FixtureRequest
) -> None:
    spec = executor_spec(executor, request)
    (project / "victim").write_text((project / "notes.txt").read_text())  # the item's path
    (project / "items.yaml").write_text(RUN_TIME.replace("EXECUTOR", spec).replace("EXT", "py"))
    result = pipeflow_in(project, "run", "items.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Python imports" in result.stdout + result.stderr
    _untouched(project)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_other_targets_and_modules_outside_import_folders_are_stored(
    project: Path, kind: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    for root, own_root, target in [
        (".", None, "notes.py.txt"),
        ("out", None, "victim.json"),
        (str(elsewhere), None, "generated.py"),
    ]:
        config = target_config(project, kind, root, own_root, target)
        result = pipeflow_in(project, "run", config.name)
        assert result.returncode == 0, (target, result.stdout + result.stderr)
    assert (elsewhere / "generated.py").read_text() == (project / "notes.txt").read_text()
    _untouched(project)
