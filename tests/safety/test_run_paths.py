"""Adversarial: a config names callables, never code (SPEC section 10), in every spelling.

Each attack below would write a marker file in the test's own folder if its callable ran. For
every spelling: `pipeflow.load` raises ConfigError with the message, `pipeflow validate` exits
2 with it, `pipeflow run` exits 2 and runs nothing, and a worker handed the path without any
validation (as a config loaded with `check_code=False` would) fails the step without calling
anything — on every executor. An installed-like package outside the project writes its own
marker when imported: validation refuses it without importing it, or any package above it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from pipeflow.execute.task import Task, execute
from pipeflow.importing import use_project
from pipeflow.importing.loading import import_module, load_callable
from pipeflow.importing.paths import ImportProblem
from pipeflow.model.run import StepState

# What each class of refusal says (any one of the fragments).
THROUGH_MODULE = ("walks through the module",)
NOT_DEFINED = ("did not define", "which `steps.helpers` imports", "which `steps` imports")
INTERNALS = ("is part of pipeflow's internals",)
PYTHON_INTERNALS = ("reaches into Python's internals",)
OUTSIDE = ("is outside the project",)

HELPERS = """
import os
import subprocess
import subprocess as sp
from builtins import open
from os import system
from subprocess import getoutput

from pipeflow.importing import load_callable
from pipeflow.importing.loading import import_module

run_cmd = os.system
shell = sp.getoutput
opener = open
maker = __import__


class Tools:
    run = staticmethod(os.system)
    plain = os.system
    output = sp.getoutput

    @staticmethod
    def fine(**inputs):
        return "fine"


class Child(Tools):
    pass


def fine(**inputs):
    return "fine"
"""

STEPS_INIT = """
from subprocess import getoutput

from . import helpers
from .helpers import fine, run_cmd, system
"""

# An installed-like package outside the project: importing it (or its submodule) writes a
# marker; so does calling its function.
EVIL_INIT = """
from pathlib import Path
Path({marker!r}).write_text("evilpkg was imported")

def f(**inputs):
    Path({marker!r}).write_text("evilpkg.f ran")
"""
EVIL_SUB = """
from pathlib import Path
Path({marker!r}).write_text("evilpkg.sub was imported")

def f(**inputs):
    Path({marker!r}).write_text("evilpkg.sub.f ran")
"""


def command(marker: Path) -> dict[str, Any]:
    return {"command": f"touch {marker}"}


def output(marker: Path) -> dict[str, Any]:
    return {"cmd": f"touch {marker}"}


def opened(marker: Path) -> dict[str, Any]:
    return {"file": str(marker), "mode": "w"}


def nothing(marker: Path) -> dict[str, Any]:
    return {}


# (run path, what the inputs are, what the refusal says)
ATTACKS: list[tuple[str, Any, tuple[str, ...]]] = [
    # walking through a module object
    ("steps.helpers:os.system", command, THROUGH_MODULE),
    ("steps.helpers:sp.getoutput", output, THROUGH_MODULE),
    ("steps.helpers:subprocess.getoutput", output, THROUGH_MODULE),
    ("steps.helpers:os.path.os.system", command, THROUGH_MODULE),
    ("steps:helpers.system", command, THROUGH_MODULE),
    ("steps:helpers.run_cmd", command, THROUGH_MODULE),
    # a name the module imported
    ("steps.helpers.system", command, NOT_DEFINED),
    ("steps.helpers:system", command, NOT_DEFINED),
    ("steps.helpers.getoutput", output, NOT_DEFINED),
    ("steps.helpers.open", opened, NOT_DEFINED),
    # re-exported by the package
    ("steps.system", command, NOT_DEFINED),
    ("steps.getoutput", output, NOT_DEFINED),
    ("steps.run_cmd", command, NOT_DEFINED),
    # a name bound by assignment to an imported object (a builtin too)
    ("steps.helpers.run_cmd", command, NOT_DEFINED),
    ("steps.helpers:run_cmd", command, NOT_DEFINED),
    ("steps.helpers.shell", output, NOT_DEFINED),
    ("steps.helpers.opener", opened, NOT_DEFINED),
    ("steps.helpers.maker", lambda marker: {"name": "evilpkg"}, NOT_DEFINED),
    # class attributes that are imported functions, defined or inherited
    ("steps.helpers:Tools.run", command, NOT_DEFINED),
    ("steps.helpers:Tools.plain", command, NOT_DEFINED),
    ("steps.helpers:Tools.output", output, NOT_DEFINED),
    ("steps.helpers:Child.run", command, NOT_DEFINED),
    # Python's internals
    ("steps.helpers:fine.__globals__", nothing, PYTHON_INTERNALS),
    ("steps.helpers:__builtins__.open", opened, PYTHON_INTERNALS),
    ("steps.helpers:Tools.__init_subclass__", nothing, PYTHON_INTERNALS),
    # pipeflow's own modules: only its documented steps
    ("pipeflow.importing.projects:os.system", command, INTERNALS),
    ("pipeflow.ui.launch:subprocess.getoutput", output, INTERNALS),
    ("pipeflow.importing.load_callable", nothing, INTERNALS),
    ("pipeflow.importing:load_callable", nothing, INTERNALS),
    ("pipeflow:importing.load_callable", nothing, INTERNALS),
    ("pipeflow.importing.loading.import_module", nothing, INTERNALS),
    ("pipeflow.execute.task.execute", nothing, INTERNALS),
    ("pipeflow.builtin:PipeflowError", nothing, INTERNALS),
    # pipeflow's internals re-exported by a project module
    ("steps.helpers.load_callable", nothing, NOT_DEFINED),
    ("steps.helpers.import_module", nothing, NOT_DEFINED),
    # modules outside the project, not listed under allow_imports
    ("os.system", command, OUTSIDE),
    ("os:system", command, OUTSIDE),
    ("subprocess.getoutput", output, OUTSIDE),
    ("builtins.open", opened, OUTSIDE),
    ("builtins:open", opened, OUTSIDE),
]

# Spellings of an installed package outside the project; its import writes the marker.
INSTALLED = ["evilpkg.sub.f", "evilpkg.sub:f", "evilpkg:sub.f", "evilpkg.f", "evilpkg:f"]


def attack_id(path: str) -> str:
    return path.replace(":", "~")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "steps").mkdir(parents=True)
    (folder / "steps" / "__init__.py").write_text(textwrap.dedent(STEPS_INIT), encoding="utf-8")
    (folder / "steps" / "helpers.py").write_text(textwrap.dedent(HELPERS), encoding="utf-8")
    return folder


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "MARKER"


@pytest.fixture
def installed(tmp_path: Path, marker: Path) -> Iterator[Path]:
    """`evilpkg` in a folder outside the project, as if installed; forgotten afterwards."""
    site = tmp_path / "site"
    (site / "evilpkg").mkdir(parents=True)
    (site / "evilpkg" / "__init__.py").write_text(
        EVIL_INIT.format(marker=str(marker)), encoding="utf-8"
    )
    (site / "evilpkg" / "sub.py").write_text(EVIL_SUB.format(marker=str(marker)), encoding="utf-8")
    yield site
    for name in [n for n in sys.modules if n == "evilpkg" or n.startswith("evilpkg.")]:
        del sys.modules[name]


def config_text(steps: list[tuple[str, dict[str, Any]]], *, allow: Sequence[str] = ()) -> str:
    lines = ["name: attacks"]
    if allow:
        lines.append(f"allow_imports: {json.dumps(list(allow))}")
    lines.append("steps:")
    for index, (path, inputs) in enumerate(steps):
        lines.append(f"  s{index}: {{run: {json.dumps(path)}, inputs: {json.dumps(inputs)}}}")
    return "\n".join(lines) + "\n"


def write_config(project: Path, steps: list[tuple[str, dict[str, Any]]], **options: Any) -> Path:
    path = project / "pipeline.yaml"
    path.write_text(config_text(steps, **options), encoding="utf-8")
    return path


def cli(*args: str, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    if pythonpath is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(pythonpath), *filter(None, [environment.get("PYTHONPATH")])]
        )
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def says(text: str, fragments: tuple[str, ...]) -> bool:
    return any(fragment in text for fragment in fragments)


# -- the API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "inputs", "refusal"), ATTACKS, ids=[attack_id(a[0]) for a in ATTACKS]
)
def test_load_refuses_every_spelling(
    project: Path, marker: Path, path: str, inputs: Any, refusal: tuple[str, ...]
) -> None:
    config = write_config(project, [(path, inputs(marker))])
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    [problem] = raised.value.problems
    assert problem.path == "steps.s0.run"
    assert says(problem.message, refusal), problem.message
    assert problem.hint
    assert not marker.exists()


@pytest.mark.parametrize("path", INSTALLED)
def test_load_refuses_an_installed_package_without_importing_it(
    project: Path,
    marker: Path,
    installed: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    monkeypatch.syspath_prepend(str(installed))
    config = write_config(project, [(path, {})])
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    [problem] = raised.value.problems
    assert says(problem.message, OUTSIDE), problem.message
    assert "evilpkg" in (problem.hint or "")
    assert not marker.exists(), marker.read_text()
    assert not any(n == "evilpkg" or n.startswith("evilpkg.") for n in sys.modules)


def test_the_marker_package_does_write_its_marker_when_imported(
    marker: Path, installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: importing `evilpkg` writes the marker, so its absence above means it was
    not imported."""
    monkeypatch.syspath_prepend(str(installed))
    __import__("evilpkg")
    assert marker.read_text() == "evilpkg was imported"


def test_an_installed_package_listed_under_allow_imports_runs(
    project: Path, marker: Path, installed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the installed package: listed, it is allowed (and its function runs)."""
    monkeypatch.syspath_prepend(str(installed))
    config = write_config(project, [("evilpkg.sub.f", {})], allow=["evilpkg"])
    run = pipeflow.load(config).run(results=str(project / "out"))
    assert run.ok
    assert marker.read_text() == "evilpkg.sub.f ran"


def test_the_same_function_spelled_within_the_rule_validates_and_runs(
    project: Path, marker: Path
) -> None:
    """Legitimate spellings keep working: project functions, re-exports of them, static
    methods of project classes, the built-in step, and exactly what `allow_imports` lists."""
    data = project / "data.json"
    data.write_text('{"rows": 3}', encoding="utf-8")
    config = write_config(
        project,
        [
            ("steps.helpers.fine", {}),
            ("steps.helpers:fine", {}),
            ("steps.fine", {}),  # a project function the package re-exports
            ("steps.helpers:Tools.fine", {}),
            ("pipeflow.read", {"path": str(data)}),
            ("pipeflow:read", {"path": str(data)}),
            ("pipeflow.builtin.read", {"path": str(data)}),
            ("pipeflow.builtin:read", {"path": str(data)}),
            ("json.dumps", {"obj": [1]}),
            ("os.system", command(marker)),  # listed exactly: the control that the marker works
        ],
        allow=["json", "os.system"],
    )
    run = pipeflow.load(config).run(results=str(project / "out"))
    assert run.ok
    assert [run.output(f"s{i}") for i in range(4)] == ["fine"] * 4
    assert [run.output(f"s{i}") for i in range(4, 8)] == [{"rows": 3}] * 4
    assert marker.exists()


def test_listing_a_module_does_not_list_what_it_imports(project: Path, marker: Path) -> None:
    """`allow_imports: [os]` allows what `os` defines; `os.system` is defined in `posix` (os
    imports it), so it needs its own entry — which the hint names."""
    config = write_config(project, [("os.system", command(marker))], allow=["os"])
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    [problem] = raised.value.problems
    assert says(problem.message, NOT_DEFINED), problem.message
    assert "`posix.system`" in (problem.hint or "")
    assert not marker.exists()


# -- the command line ---------------------------------------------------------------------


def every_attack(marker: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(path, inputs(marker)) for path, inputs, _ in ATTACKS] + [
        (path, {}) for path in INSTALLED
    ]


def refusals() -> list[tuple[str, ...]]:
    return [refusal for _, _, refusal in ATTACKS] + [OUTSIDE] * len(INSTALLED)


def reports_by_step(stderr: str) -> dict[str, str]:
    """The report of each step, keyed by step name (`s0`), from `validate`'s text output."""
    found: dict[str, str] = {}
    current = None
    for line in stderr.splitlines():
        if "error at `steps." in line:
            current = line.split("error at `steps.")[1].split(".")[0]
            found[current] = line
        elif current is not None and line.startswith("    "):
            found[current] += "\n" + line
    return found


@pytest.mark.parametrize("command_name", ["validate", "run"])
def test_the_cli_refuses_every_spelling_and_runs_nothing(
    project: Path, marker: Path, installed: Path, command_name: str
) -> None:
    write_config(project, every_attack(marker))
    done = cli(command_name, "pipeline.yaml", cwd=project, pythonpath=installed)
    assert done.returncode == 2, done.stdout + done.stderr
    reports = reports_by_step(done.stderr)
    for index, refusal in enumerate(refusals()):
        report = reports.get(f"s{index}", "")
        assert says(report, refusal), (index, every_attack(marker)[index][0], report)
        assert "hint:" in report
    assert not marker.exists(), marker.read_text()
    assert "Zen of Python" not in done.stdout + done.stderr
    assert not (project / "data").exists()
    assert not (project / ".pipeflow" / "history.db").exists()


def test_validate_never_imports_a_refused_module_under_any_spelling(
    project: Path, marker: Path, installed: Path
) -> None:
    """`this.sub.f` would import `this`, which prints the Zen of Python."""
    write_config(project, [(p, {}) for p in ["this.sub.f", "this.sub:f", "this:sub.f", *INSTALLED]])
    done = cli("validate", "pipeline.yaml", cwd=project, pythonpath=installed)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Zen of Python" not in done.stdout + done.stderr
    assert done.stderr.count("is outside the project") == 3 + len(INSTALLED)
    assert not marker.exists(), marker.read_text()


# -- the worker: defence in depth ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "inputs", "refusal"), ATTACKS, ids=[attack_id(a[0]) for a in ATTACKS]
)
def test_the_worker_refuses_what_validation_refuses(
    project: Path,
    marker: Path,
    path: str,
    inputs: Any,
    refusal: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    use_project(str(project))
    task = Task(
        run_id="attack",
        step="s0",
        function=path,
        inputs=inputs(marker),
        project_dir=str(project),
    )
    result = execute(task)
    assert not result.ok
    assert "ImportProblem" in (result.error or "")
    assert says(result.error or "", refusal + NOT_DEFINED), result.error
    assert not marker.exists()


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_every_executor_fails_such_steps_without_running_them(
    project: Path,
    marker: Path,
    installed: Path,
    executor: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A config that reached the run unvalidated (`check_code=False`) still runs nothing."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", str(installed))  # the process pool's workers see it too
    monkeypatch.syspath_prepend(str(installed))
    write_config(project, every_attack(marker))
    pipeline = pipeflow.load(project / "pipeline.yaml", check_code=False)
    use_project(str(project))  # what a checked load does, so in-process steps can import
    run = pipeline.run(executor=executor, keep_going=True, results=str(project / "out"))
    assert not run.ok
    for index in range(len(every_attack(marker))):
        assert run.state(f"s{index}") is StepState.FAILED
        assert "ImportProblem" in (run.outcomes[f"s{index}"].error or "")
    assert not marker.exists(), marker.read_text()


# -- sub-pipelines: each config's own `allow_imports` --------------------------------------


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_sub_pipelines_steps_obey_its_own_allow_imports(tmp_path: Path, executor: str) -> None:
    """The child lists `json`, the parent lists nothing: the child's step validates and runs,
    on the worker too (which checks it against the child's list, not the parent's)."""
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "pipeline.yaml").write_text(
        "name: child\nallow_imports: [json]\n"
        "steps:\n  dump: {run: json.dumps, inputs: {obj: [1, 2]}}\n",
        encoding="utf-8",
    )
    parent = tmp_path / "pipeline.yaml"
    parent.write_text(
        "name: parent\nsteps:\n  child: {pipeline: child/pipeline.yaml}\n", encoding="utf-8"
    )
    run = pipeflow.load(parent).run(executor=executor, results=str(tmp_path / "out"))
    assert run.ok, run.outcomes
    assert run.output("child/dump") == "[1, 2]"


def test_a_parents_allow_imports_does_not_extend_to_its_sub_pipelines(tmp_path: Path) -> None:
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "pipeline.yaml").write_text(
        "name: child\nsteps:\n  dump: {run: json.dumps, inputs: {obj: [1, 2]}}\n",
        encoding="utf-8",
    )
    parent = tmp_path / "pipeline.yaml"
    parent.write_text(
        "name: parent\nallow_imports: [json]\nsteps:\n  child: {pipeline: child/pipeline.yaml}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(parent)
    [problem] = raised.value.problems
    assert problem.file is not None
    assert problem.file.endswith("child/pipeline.yaml")
    assert says(problem.message, OUTSIDE), problem.message


@pytest.mark.parametrize("path", ["steps.helpers.fine", "steps.helpers:Tools.fine"])
def test_a_callable_loaded_before_is_checked_again_once_what_it_names_changes(
    project: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker remembers what it loaded (a `foreach` loads once for all its items), but
    gives it again only while the module and every object on the way are the ones checked."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    use_project(str(project))
    loaded = load_callable(path, project_dir=str(project))
    assert loaded() == "fine"
    assert load_callable(path, project_dir=str(project)) is loaded
    helpers = import_module("steps.helpers", project_dir=project)
    holder = helpers.Tools if ":" in path else helpers
    monkeypatch.setattr(holder, "fine", os.system)
    with pytest.raises(ImportProblem) as refused:
        load_callable(path, project_dir=str(project))
    assert says(str(refused.value), NOT_DEFINED), refused.value
    monkeypatch.undo()
    monkeypatch.setattr(sys, "path", list(sys.path))
    # Another module object under the same name (a reload) is checked as well.
    fresh = types.ModuleType("steps.helpers")
    fresh.fine = os.system  # type: ignore[attr-defined]
    fresh.Tools = types.SimpleNamespace(fine=os.system)  # type: ignore[attr-defined]
    fresh.__file__ = helpers.__file__
    monkeypatch.setitem(sys.modules, "steps.helpers", fresh)
    with pytest.raises(ImportProblem):
        load_callable(path, project_dir=str(project))
