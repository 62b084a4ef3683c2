"""A long-lived process (a notebook) runs the code its cache keys are computed from: a project
module edited since it was imported is imported afresh before the next run calls anything, so
the old code's value is never stored under the new code's key (and served to later runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action

EXECUTORS = ["sequential", "threads"]

CONFIG = """\
name: edited
steps:
  own: {run: steps.own.f}
  helped: {run: steps.helped.f}
  method: {run: "steps.model:Model.predict"}
  lazy: {run: steps.lazy.f}
"""

MODULES = {
    "steps/__init__.py": "",
    "steps/own.py": "def f():\n    return 'own-1'\n",
    "steps/helpers.py": "VALUE = 'helper-1'\n",
    "steps/helped.py": "from steps.helpers import VALUE\n\ndef f():\n    return VALUE\n",
    "steps/model.py": (
        "class Model:\n    @staticmethod\n    def predict():\n        return 'method-1'\n"
    ),
    "steps/late.py": "VALUE = 'late-1'\n",
    "steps/lazy.py": "def f():\n    from steps.late import VALUE\n    return VALUE\n",
}

EDITS = {  # step -> (file, old, new): each new text longer, so the file's size changes too
    "own": ("steps/own.py", "own-1", "own-22"),
    "helped": ("steps/helpers.py", "helper-1", "helper-22"),
    "method": ("steps/model.py", "method-1", "method-22"),
    "lazy": ("steps/late.py", "late-1", "late-22"),
}


def write_project(folder: Path, config: str = CONFIG) -> Path:
    for name, text in MODULES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "imports.log").write_text("", encoding="utf-8")
    path = folder / "pipeline.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def edit(folder: Path, step: str) -> str:
    file, old, new = EDITS[step]
    path = folder / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return new


def fresh_process_run(config: Path) -> dict[str, list[str]]:
    """Each step's value and state in a run by a new Python process: what the cache serves."""
    code = textwrap.dedent(
        f"""
        import json, pipeflow
        run = pipeflow.load({str(config)!r}).run()
        print(json.dumps({{s: [run.output(s), run.state(s).value] for s in run.pipeline.steps}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=config.parent, check=True
    )
    found: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("step", sorted(EDITS))
def test_an_edit_after_a_run_runs_the_edited_code(tmp_path: Path, executor: str, step: str) -> None:
    config = write_project(tmp_path)
    pipe = pipeflow.load(config)
    first = pipe.run(executor=executor)
    assert first.ok, first.result.failed
    new = edit(tmp_path, step)
    again = pipe.run(executor=executor)
    assert again.ok, again.result.failed
    assert again.output(step) == new
    assert again.state(step).value == "done"
    # What was stored is the edited code's value: a new process takes it from the cache.
    assert fresh_process_run(config)[step] == [new, "cached"]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_an_edit_between_load_and_run_runs_the_edited_code(tmp_path: Path, executor: str) -> None:
    config = write_project(tmp_path)
    pipe = pipeflow.load(config)  # validation imports the step modules
    assert "steps.own" in sys.modules
    for step in EDITS:
        edit(tmp_path, step)
    run = pipe.run(executor=executor)
    assert run.ok, {name: run.outcomes[name].error for name in run.result.failed}
    assert {step: run.output(step) for step in EDITS} == {s: e[2] for s, e in EDITS.items()}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_runs_without_an_edit_import_nothing_again(tmp_path: Path, executor: str) -> None:
    config = write_project(tmp_path)
    own = tmp_path / "steps/own.py"
    own.write_text(
        f"with open({str(tmp_path / 'imports.log')!r}, 'a') as log:\n"
        "    log.write('imported\\n')\n" + own.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    pipe = pipeflow.load(config)
    pipe.run(executor=executor)
    modules = {name: sys.modules[name] for name in ("steps.own", "steps.helped", "steps.late")}
    for _ in range(2):
        assert pipe.run(executor=executor, force=True).ok
    assert all(sys.modules[name] is module for name, module in modules.items())
    assert (tmp_path / "imports.log").read_text(encoding="utf-8") == "imported\n"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_module_that_cannot_be_imported_again_fails_the_step_and_stores_nothing(
    tmp_path: Path, executor: str
) -> None:
    config = write_project(tmp_path)
    marker = f"_pipeflow_test_once_{executor}"
    (tmp_path / "steps/own.py").write_text(
        "import builtins\n"
        f"if getattr(builtins, {marker!r}, False):\n"
        "    raise RuntimeError('this module cannot be imported twice')\n"
        f"setattr(builtins, {marker!r}, True)\n\n"
        "def f():\n    return 'own-1'\n",
        encoding="utf-8",
    )
    try:
        pipe = pipeflow.load(config)
        assert pipe.run(executor=executor).output("own") == "own-1"
        edit(tmp_path, "own")
        run = pipe.run(executor=executor)
    finally:
        delattr(__import__("builtins"), marker)
    assert "own" in run.result.failed
    outcome = run.outcomes["own"]
    error = f"{outcome.error} {outcome.traceback}"
    assert "cannot be imported twice" in error
    assert "restart the interpreter" in error
    decisions = {d.step: d for d in pipe.plan()}
    assert decisions["own"].action is Action.RUN  # nothing stored for the edited code
    assert fresh_process_run(config)["own"] == ["own-22", "done"]


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("step", sorted(EDITS))
def test_a_file_copied_over_with_its_size_and_time_kept_runs_the_new_code(
    tmp_path: Path, executor: str, step: str
) -> None:
    """`cp -p`, `rsync -t`, `tar x`: a module replaced by one of the same size and mtime. Its
    ctime changed (any write sets it): the key and the code that runs follow the new file."""
    import os
    import shutil

    config = write_project(tmp_path)
    file, old, _ = EDITS[step]
    path = tmp_path / file
    new = old[:-1] + "9"  # same length: the same size
    variant = tmp_path / "variant.py"
    variant.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    status = path.stat()
    os.utime(variant, ns=(status.st_atime_ns, status.st_mtime_ns))  # the same mtime
    pipe = pipeflow.load(config)
    assert pipe.run(executor=executor).output(step) == old
    shutil.copy2(variant, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (status.st_size, status.st_mtime_ns)
    again = pipe.run(executor=executor)
    assert again.ok, again.result.failed
    assert (again.output(step), again.state(step).value) == (new, "done")
    assert fresh_process_run(config)[step] == [new, "cached"]


SCRIPT = """\
import sys
import pipeflow

main = sys.modules["__main__"]
pipe = pipeflow.load("pipeline.yaml")
assert pipe.run(executor=sys.argv[1]).ok
with open("steps/own.py", "w") as file:
    file.write("def f():\\n    return 'own-22'\\n")
run = pipe.run(executor=sys.argv[1])
assert run.output("own") == "own-22", run.output("own")
assert sys.modules.get("__main__") is main, "the script was forgotten"
print("again:", pipe.run(executor="processes", force=True).ok)
"""


@pytest.mark.parametrize("executor", [*EXECUTORS, "processes"])
@pytest.mark.parametrize("how", ["script", "module"])
def test_a_script_in_the_project_folder_is_never_forgotten(
    tmp_path: Path, executor: str, how: str
) -> None:
    """Before, the script running the pipeline (`python run.py` beside the config, or
    `python -m runner`) counted as a project module: a run after an edit dropped `__main__`
    from sys.modules, and the next run on the processes executor failed with
    KeyError: '__main__' before starting anything."""
    write_project(tmp_path)
    (tmp_path / "runner.py").write_text(SCRIPT, encoding="utf-8")
    command = ["runner.py"] if how == "script" else ["-m", "runner"]
    done = subprocess.run(
        [sys.executable, *command, executor],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "again: True"


LIBRARY = {
    "lib/outside_lib/__init__.py": "VALUE = 'lib-1'\n",
    "lib/outside_lib/deep.py": "from outside_lib import VALUE\n\ndef value():\n    return VALUE\n",
}
LIBRARY_CONFIG = """\
name: edited
steps:
  direct: {run: steps.uses.direct}
  deep: {run: steps.uses.deep}
"""
USES = (
    "import outside_lib\nfrom outside_lib.deep import value\n\n"
    "def direct():\n    return outside_lib.VALUE\n\n"
    "def deep():\n    return value()\n"
)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_an_edit_of_a_library_outside_the_project_runs_the_edited_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str
) -> None:
    """A library on the path that no installer copied (PYTHONPATH, `pip install -e`) counts by
    its source (`cache/module_kinds.py`): after an edit of it, the next run in the same process
    must run its new code, not the module imported before, whose value would be stored under
    the new code's key."""
    project = tmp_path / "project"
    project.mkdir()
    for name, text in LIBRARY.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = write_project(project, LIBRARY_CONFIG)
    (project / "steps/uses.py").write_text(USES, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    for name in [n for n in sys.modules if n.split(".")[0] == "outside_lib"]:
        monkeypatch.delitem(sys.modules, name)  # another test's copy
    pipe = pipeflow.load(config)
    first = pipe.run(executor=executor)
    assert (first.output("direct"), first.output("deep")) == ("lib-1", "lib-1")
    library = tmp_path / "lib/outside_lib/__init__.py"
    library.write_text("VALUE = 'lib-22'\n", encoding="utf-8")
    again = pipe.run(executor=executor)
    assert again.ok, again.result.failed
    assert (again.output("direct"), again.output("deep")) == ("lib-22", "lib-22")
    assert {again.state("direct").value, again.state("deep").value} == {"done"}
    unrelated = [n for n in sys.modules if n == "tests" or n.startswith("tests.")]
    assert unrelated, "the suite's own modules are loaded"
    assert all(name in sys.modules for name in unrelated)  # only what changed is forgotten
