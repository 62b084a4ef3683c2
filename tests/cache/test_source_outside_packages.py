"""Code a step imports from source counts by its source, wherever Python finds it.

Before, two kinds of such code counted by nothing, so an edit of it left the step cached with
the value of the old code:

- a project module named like a module of the standard library (`statistics.py`,
  `calendar/`): the project folder comes first on `sys.path`, so it is what the step imports,
  but its name made it count as the standard library;
- a library outside the project that is not installed in site-packages (a folder on
  `PYTHONPATH`, a source checkout installed with `pip install -e`): it counted by its
  distribution's version, which an edit does not change (or by "unknown", without one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from tests.system import pipeflow_in

YAML = """
name: src
results: {root: out}
steps:
  plain: {run: steps.m.plain, inputs: {x: 1}}
  %s
"""
TOML = """
name = "src"
[results]
root = "out"
[steps.plain]
run = "steps.m.plain"
inputs = {x = 1}
%s
"""


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _config(project: Path, spelling: str, steps: list[str]) -> Path:
    if spelling == "yaml":
        body = "\n  ".join(f"{name}: {{run: steps.m.{name}, inputs: {{x: 1}}}}" for name in steps)
        path = project / "pipeline.yaml"
        path.write_text(YAML % body, encoding="utf-8")
    else:
        body = "\n".join(
            f'[steps.{name}]\nrun = "steps.m.{name}"\ninputs = {{x = 1}}' for name in steps
        )
        path = project / "pipeline.toml"
        path.write_text(TOML % body, encoding="utf-8")
    return path


def _outputs(
    config: Path, steps: list[str], *, env: dict[str, str], executor: str
) -> dict[str, object]:
    """Each step's value after a run in a fresh interpreter, as a user's script gets it."""
    script = (
        "import json, sys, pipeflow\n"
        f"run = pipeflow.load(sys.argv[1]).run(executor={executor!r})\n"
        "assert run.ok, run.failed\n"
        f"print(json.dumps({{name: run.output(name) for name in {steps!r}}}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(config)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outputs: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return outputs


@pytest.fixture
def stdlib_kept() -> Iterator[None]:
    """Loading the project in this process puts its folder on sys.path and its `statistics`
    and `calendar` in sys.modules, in place of the standard library's
    (`importing/projects.py`): put both back, or a later test on this worker (or the
    processes executor's forkserver, which copies sys.path) imports pandas over the project's
    `calendar`."""
    tops = ("statistics", "calendar")
    kept = {n: m for n, m in sys.modules.items() if n.split(".")[0] in tops}
    path = list(sys.path)
    yield
    sys.path[:] = path
    for name in [n for n in sys.modules if n.split(".")[0] in tops]:
        del sys.modules[name]
    sys.modules.update(kept)


def _running(config: Path) -> set[str]:
    return {d.step for d in pipeflow.load(config).status() if d.action is Action.RUN}


STDLIB_NAMED = {
    "statistics.py": "K = 1\n\ndef summarize(x):\n    return x + K\n",
    "calendar/__init__.py": "from calendar.inner import K\n",
    "calendar/inner.py": "K = 1\n",
    "steps/__init__.py": "",
    "steps/helpers.py": "import statistics\n\ndef helped(x):\n    return statistics.summarize(x)\n",
    "steps/m.py": """
        import calendar
        import statistics
        from statistics import summarize

        from steps.helpers import helped


        def plain(x):
            return x


        def from_import(x):
            return summarize(x)


        def attribute(x):
            return statistics.K + x


        def package(x):
            return calendar.K + x


        def through_helper(x):
            return helped(x)
        """,
}
STDLIB_STEPS = ["from_import", "attribute", "package", "through_helper"]
STDLIB_EDITS = {
    "statistics.py": {"from_import", "attribute", "through_helper"},
    "calendar/inner.py": {"package"},
}


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("edited", sorted(STDLIB_EDITS))
def test_a_project_module_named_like_the_standard_librarys_counts_by_its_source(
    tmp_path: Path, stdlib_kept: None, spelling: str, edited: str
) -> None:
    _write(tmp_path, STDLIB_NAMED)
    config = _config(tmp_path, spelling, STDLIB_STEPS)
    env = {**os.environ, "PYTHONPATH": ""}
    before = _outputs(config, STDLIB_STEPS, env=env, executor="sequential")
    assert before == {"from_import": 2, "attribute": 2, "package": 2, "through_helper": 2}
    assert _running(config) == set()

    path = tmp_path / edited
    path.write_text(path.read_text().replace("K = 1", "K = 5"), encoding="utf-8")
    assert _running(config) == STDLIB_EDITS[edited]
    after = _outputs(config, STDLIB_STEPS, env=env, executor="processes")
    for name in STDLIB_STEPS:
        assert after[name] == (6 if name in STDLIB_EDITS[edited] else 2), (name, after)


OUTSIDE = {
    "lib/extlib/__init__.py": "K = 1\n",
    "lib/extlib/sub.py": "from extlib.deeper import M\n\ndef f(x):\n    return x * M\n",
    "lib/extlib/deeper.py": "M = 1\n",
    "project/steps/__init__.py": "",
    "project/steps/helpers.py": "import extlib\n\ndef helped(x):\n    return x + extlib.K\n",
    "project/steps/m.py": """
        import extlib
        from extlib import K
        from extlib.sub import f

        from steps.helpers import helped


        def plain(x):
            return x


        def attribute(x):
            return x + extlib.K


        def from_import(x):
            return x + K


        def submodule(x):
            return f(x) + 1


        def through_helper(x):
            return helped(x)
        """,
}
OUTSIDE_STEPS = ["attribute", "from_import", "submodule", "through_helper"]
OUTSIDE_EDITS = {  # file -> (old, new, the steps whose value changes)
    "lib/extlib/__init__.py": ("K = 1", "K = 5", {"attribute", "from_import", "through_helper"}),
    "lib/extlib/deeper.py": ("M = 1", "M = 5", {"submodule"}),
}
# `extlib.K` is read through the package, which holds the `extlib.sub` the module imports:
# the steps that use `extlib` count its submodules too. Importing `extlib.sub` runs
# `extlib/__init__.py` first: a step using it counts that file (its value may not change).
OUTSIDE_RUNS = {
    "lib/extlib/__init__.py": {"attribute", "from_import", "through_helper", "submodule"},
    "lib/extlib/deeper.py": {"submodule", "attribute"},
}


def _forget_other_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process may hold `extlib` from another test's folder: a run here imports this one."""
    for name in [n for n in sys.modules if n.split(".")[0] == "extlib"]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("edited", sorted(OUTSIDE_EDITS))
def test_a_library_on_the_path_outside_site_packages_counts_by_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str, edited: str
) -> None:
    _write(tmp_path, OUTSIDE)
    project, lib = tmp_path / "project", tmp_path / "lib"
    config = _config(project, spelling, OUTSIDE_STEPS)
    env = {**os.environ, "PYTHONPATH": str(lib)}
    monkeypatch.syspath_prepend(str(lib))  # as PYTHONPATH puts it, for this process's status
    _forget_other_copies(monkeypatch)
    before = _outputs(config, OUTSIDE_STEPS, env=env, executor="sequential")
    assert before == {"attribute": 2, "from_import": 2, "submodule": 2, "through_helper": 2}
    assert _running(config) == set()

    old, new, expected = OUTSIDE_EDITS[edited]
    path = tmp_path / edited
    path.write_text(path.read_text().replace(old, new), encoding="utf-8")
    decisions = {d.step: d.reason for d in pipeflow.load(config).status()}
    assert _running(config) == OUTSIDE_RUNS[edited], decisions
    after = _outputs(config, OUTSIDE_STEPS, env=env, executor="processes")
    changed = {"attribute": 6, "from_import": 6, "through_helper": 6, "submodule": 6}
    for name in OUTSIDE_STEPS:
        assert after[name] == (changed[name] if name in expected else 2), (name, after)
    assert _running(config) == set()


def test_the_reason_names_the_edited_library_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, OUTSIDE)
    project, lib = tmp_path / "project", tmp_path / "lib"
    config = _config(project, "yaml", OUTSIDE_STEPS)
    monkeypatch.syspath_prepend(str(lib))
    _forget_other_copies(monkeypatch)
    _outputs(
        config, OUTSIDE_STEPS, env={**os.environ, "PYTHONPATH": str(lib)}, executor="sequential"
    )
    path = lib / "extlib" / "deeper.py"
    path.write_text("M = 3\n", encoding="utf-8")
    reasons = {d.step: d.reason for d in pipeflow.load(config).status()}
    assert reasons["submodule"] == "code of extlib/deeper.py changed", reasons


def test_a_distribution_installed_into_a_folder_counts_by_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pip install --target DIR` puts a distribution's `.dist-info` beside its package: an
    installer's copy, which counts by its version (an edit there is no edit of its source),
    as a remote cluster's version check compares it."""
    _write(tmp_path, OUTSIDE)
    project, lib = tmp_path / "project", tmp_path / "lib"
    info = lib / "extlib-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extlib\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("extlib\n")
    config = _config(project, "yaml", OUTSIDE_STEPS)
    monkeypatch.syspath_prepend(str(lib))
    _forget_other_copies(monkeypatch)
    _outputs(
        config, OUTSIDE_STEPS, env={**os.environ, "PYTHONPATH": str(lib)}, executor="sequential"
    )
    (lib / "extlib" / "deeper.py").write_text("M = 3\n", encoding="utf-8")
    assert _running(config) == set()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extlib\nVersion: 1.1\n")
    status = pipeflow_in(  # a new process: this one remembers the version it read
        project, "status", config.name, env={"PYTHONPATH": str(lib)}
    )
    assert status.returncode == 0, status.stdout + status.stderr
    assert "package extlib changed (1.0 -> 1.1)" in status.stdout, status.stdout
