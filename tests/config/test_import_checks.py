"""A step module that fails while being imported is a validation error naming the user's file
and line; a run whose step module fails to import shows that file and line too; and validation
imports a step module only when its code changed since it last imported cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError
from pipeflow.model.run import StepState

CONFIG = """
name: imports
steps:
  first: {run: steps.broken.f}
  second: {run: "steps.broken:f"}
"""

# (module source, the line the error is on, what the message says)
BROKEN = {
    "raise": (
        "import os\n\nraise RuntimeError('no config file')\n\ndef f():\n    return 1\n",
        3,
        "RuntimeError: no config file",
    ),
    "missing-package": (
        "import os\nimport no_such_package_here\n\ndef f():\n    return 1\n",
        2,
        "ModuleNotFoundError: No module named 'no_such_package_here'",
    ),
    "name-error": (
        "def f():\n    return 1\n\nLIMIT = undefined_name + 1\n",
        4,
        "NameError: name 'undefined_name' is not defined",
    ),
    "syntax-error": ("def f():\n    return 1\n\ndef g(:\n    pass\n", 4, "SyntaxError: "),
    "exit": ("import sys\nsys.exit('stop')\n\ndef f():\n    return 1\n", 2, "SystemExit: stop"),
    "decorated": (
        "def wrap(f):\n    raise ValueError('bad wrap')\n\n@wrap\ndef f():\n    return 1\n",
        2,
        "ValueError: bad wrap",
    ),
}


def project(tmp_path: Path, source: str, config: str = CONFIG) -> Path:
    (tmp_path / "steps").mkdir(exist_ok=True)
    (tmp_path / "steps" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "steps" / "broken.py").write_text(source, encoding="utf-8")
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(config), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_an_import_time_error_is_a_validation_error_at_the_users_line(
    tmp_path: Path, case: str
) -> None:
    source, line, said = BROKEN[case]
    config = project(tmp_path, source)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    problems = raised.value.problems
    assert [p.path for p in problems] == ["steps.first.run", "steps.second.run"]
    for problem in problems:
        assert problem.message.startswith("importing `steps.broken` failed: "), problem.message
        assert said in problem.message
        assert problem.message.endswith(f"(at steps/broken.py:{line})"), problem.message
        assert f"steps/broken.py:{line}" in (problem.hint or "")


@pytest.mark.parametrize("command", ["validate", "run"])
def test_the_cli_reports_it_with_exit_2_and_runs_nothing(tmp_path: Path, command: str) -> None:
    source, line, _ = BROKEN["missing-package"]
    project(tmp_path, source)
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", command, "pipeline.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"(at steps/broken.py:{line})" in done.stderr
    assert "install the package that provides `no_such_package_here`" in done.stderr
    assert not (tmp_path / ".pipeflow" / "runs.db").exists()


def test_the_error_points_at_the_project_file_where_it_happened(tmp_path: Path) -> None:
    """The step module is fine; a project module it imports (through its package) is not."""
    config = project(tmp_path, "from steps import util\n\ndef f():\n    return util.VALUE\n")
    (tmp_path / "steps" / "util.py").write_text("VALUE = 1\nOTHER = 1 / 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    message = raised.value.problems[0].message
    assert "ZeroDivisionError" in message
    assert message.endswith("(at steps/util.py:2)"), message


def test_a_broken_package_init_is_reported(tmp_path: Path) -> None:
    config = project(tmp_path, "def f():\n    return 1\n")
    (tmp_path / "steps" / "__init__.py").write_text("import os\nraise ImportError('init')\n")
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    assert raised.value.problems[0].message.endswith("(at steps/__init__.py:2)")


COUNTING = """
from pathlib import Path
_counter = Path(__file__).parent.parent / "imports.txt"
_counter.write_text(_counter.read_text() + "x" if _counter.exists() else "x")
from steps import helper

def f():
    return helper.VALUE
"""


def times_imported(tmp_path: Path) -> int:
    counter = tmp_path / "imports.txt"
    return len(counter.read_text()) if counter.exists() else 0


def test_a_step_module_is_imported_again_only_when_its_code_changed(tmp_path: Path) -> None:
    config = project(tmp_path, COUNTING)
    helper = tmp_path / "steps" / "helper.py"
    helper.write_text("VALUE = 1\n", encoding="utf-8")
    pipeflow.load(config)
    assert times_imported(tmp_path) == 1
    remembered = json.loads((tmp_path / ".pipeflow" / "import-checks.json").read_text())
    assert list(remembered["modules"]) == ["steps.broken"]

    pipeflow.load(config)
    pipeflow.load(config)
    assert times_imported(tmp_path) == 1, "unchanged code is not imported again"

    broken = tmp_path / "steps" / "broken.py"
    broken.write_text(COUNTING + "\n# a comment does not change the code\n", encoding="utf-8")
    pipeflow.load(config)
    assert times_imported(tmp_path) == 1

    broken.write_text(COUNTING + "\nEXTRA = 2\n", encoding="utf-8")
    pipeflow.load(config)
    assert times_imported(tmp_path) == 2, "the step module changed"

    helper.write_text("VALUE = 2\n", encoding="utf-8")
    pipeflow.load(config)
    assert times_imported(tmp_path) == 3, "a project module it imports changed"

    (tmp_path / "steps" / "__init__.py").write_text("# the package\nNAME = 'steps'\n")
    pipeflow.load(config)
    assert times_imported(tmp_path) == 4, "its package changed"

    pipeflow.load(config)
    assert times_imported(tmp_path) == 4


def test_a_failure_is_never_remembered(tmp_path: Path) -> None:
    config = project(tmp_path, "def f():\n    return 1\n")
    pipeflow.load(config)
    broken = tmp_path / "steps" / "broken.py"
    broken.write_text("raise RuntimeError('x')\ndef f():\n    return 1\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError):
            pipeflow.load(config)
    remembered = json.loads((tmp_path / ".pipeflow" / "import-checks.json").read_text())
    assert remembered["modules"] == {}
    broken.write_text("def f():\n    return 2\n", encoding="utf-8")
    pipeflow.load(config)


def test_a_damaged_or_forged_cache_never_lets_a_refused_path_through(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        "import os\nfrom os import system\nrun_cmd = os.system\n\ndef f():\n    return 1\n",
        """
        name: forged
        steps:
          a: {run: steps.broken.system, inputs: {command: "true"}}
          b: {run: steps.broken.run_cmd, inputs: {command: "true"}}
        """,
    )
    (tmp_path / ".pipeflow").mkdir()
    cache = tmp_path / ".pipeflow" / "import-checks.json"
    for text in ("{not json", json.dumps({"version": 1, "modules": {"steps.broken": "forged"}})):
        cache.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as raised:
            pipeflow.load(config)
        assert [p.path for p in raised.value.problems] == ["steps.a.run", "steps.b.run"]


# Imports cleanly until a file named DOWN appears beside the config (a file, not an
# environment variable, so that a process pool started earlier sees it too).
ENV_BROKEN = """
from pathlib import Path
if (Path(__file__).parent.parent / "DOWN").exists():
    raise RuntimeError("the service this module connects to is down")

def f():
    return 1
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_run_whose_step_module_fails_to_import_shows_the_users_line(
    tmp_path: Path, executor: str
) -> None:
    """Validation passed (the module imported then, and is remembered); at run time the
    import fails: the step fails, and its error and traceback name the user's file and line."""
    config = project(tmp_path, ENV_BROKEN, "name: env\nsteps:\n  first: {run: steps.broken.f}\n")
    pipeflow.load(config)  # imports cleanly, and is remembered
    (tmp_path / "DOWN").write_text("", encoding="utf-8")
    run = pipeflow.load(config).run(executor=executor, results=str(tmp_path / "out"))
    outcome = run.outcomes["first"]
    assert outcome.state is StepState.FAILED
    assert (outcome.error or "").endswith("(at steps/broken.py:4)"), outcome.error
    traceback = outcome.traceback or ""
    assert f'File "{tmp_path / "steps" / "broken.py"}", line 4' in traceback, traceback
    assert 'raise RuntimeError("the service this module connects to is down")' in traceback
    assert "importlib" not in traceback


def test_the_cli_shows_the_users_line_when_a_step_module_fails_at_run_time(
    tmp_path: Path,
) -> None:
    project(tmp_path, ENV_BROKEN, "name: env\nsteps:\n  first: {run: steps.broken.f}\n")
    checked = subprocess.run(
        [sys.executable, "-m", "pipeflow", "validate", "pipeline.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    (tmp_path / "DOWN").write_text("", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "(at steps/broken.py:4)" in output
    assert 'broken.py", line 4' in output


def test_validate_in_process_keeps_bytecode_out_of_the_project(tmp_path: Path) -> None:
    config = project(tmp_path, "def f():\n    return 1\n")
    sys.dont_write_bytecode = False
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.rglob("__pycache__"))
