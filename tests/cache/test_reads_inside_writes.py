"""A file a step is given as a path input below a folder it writes is what it reads.

SPEC 12: a path input counts as read, like an entry of `reads:`; `docs/files.md` says a
path input below a step's own declared folder (`base: models/base.txt` beside
`writes: [models/]`) is read, not written. So when that file changes, the step runs again
(`status` names the file) and the new content reaches its output; the user's edit is never
put back to the version the store holds. Before, such an input counted as the step's own
output: the key ignored it, the step stayed cached, and the restore that followed ("models
differs from the stored version") overwrote the user's edit with the stored copy.

Every spelling of the input (a literal, a param reference, inside a list, a folder below
the write), YAML and TOML, the command line and the Python API, every executor. A path input
naming a file the step itself writes below its folder stays its output: an unchanged
re-run runs nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

STEPS = """
from pathlib import Path


def tune(base, out):
    paths = base if isinstance(base, list) else [base]
    texts = []
    for path in paths:
        path = Path(path)
        files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
        texts += [file.read_text() for file in files]
    Path(out, "model.txt").write_text("+".join(texts))
    return len(texts)


def model_file(out_file):
    Path(out_file).parent.mkdir(exist_ok=True)
    Path(out_file).write_text("model")
    return 1
"""

# input of `tune` -> the file below `models/` that the test edits, and what `status` names
SPELLINGS = {
    "literal": ('"models/base.txt"', "models/base.txt", "models/base.txt"),
    "param": ('"${params.base}"', "models/base.txt", "models/base.txt"),
    "list": ('["models/base.txt"]', "models/base.txt", "models/base.txt"),
    "folder": ('"models/raw"', "models/raw/part.txt", "models/raw"),
}


def _yaml(base: str, executor: str) -> str:
    return (
        "name: inside\n"
        "params: {base: models/base.txt}\n"
        "results: {root: out}\n"
        f"executor: {executor}\n"
        "steps:\n"
        "  tune:\n"
        "    run: insidesteps.tune\n"
        f"    inputs: {{base: {base}, out: models}}\n"
        "    writes: [models/]\n"
    )


def _toml(base: str, executor: str) -> str:
    assert executor == "{type: sequential}", executor
    return (
        'name = "inside"\n'
        'executor = {type = "sequential"}\n'
        "[params]\n"
        'base = "models/base.txt"\n'
        "[results]\n"
        'root = "out"\n'
        "[steps.tune]\n"
        'run = "insidesteps.tune"\n'
        'writes = ["models/"]\n'
        "[steps.tune.inputs]\n"
        f"base = {base}\n"
        'out = "models"\n'
    )


def _project(tmp_path: Path, spelling: str, kind: str, executor: str) -> tuple[Path, Path]:
    base, edited, _ = SPELLINGS[spelling]
    (tmp_path / "insidesteps.py").write_text(STEPS)
    source = tmp_path / edited
    source.parent.mkdir(parents=True)
    source.write_text("first")
    make = _yaml if kind == "yaml" else _toml
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(make(base, executor))
    return config, source


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_an_edited_input_below_the_written_folder_reruns_the_step_from_the_cli(
    tmp_path: Path, spelling: str, kind: str
) -> None:
    config, source = _project(tmp_path, spelling, kind, "{type: sequential}")
    first = pipeflow_in(tmp_path, "run", config.name)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "models" / "model.txt").read_text() == "first"

    source.write_text("second")
    status = pipeflow_in(tmp_path, "status", config.name)
    assert status.returncode == 0, status.stderr
    assert "restore" not in status.stdout
    kind_said = "input folder" if spelling == "folder" else "input file"
    assert f"{kind_said} {SPELLINGS[spelling][2]} changed" in status.stdout

    second = pipeflow_in(tmp_path, "run", config.name)
    assert second.returncode == 0, second.stderr
    assert source.read_text() == "second"  # the user's edit stays
    assert (tmp_path / "models" / "model.txt").read_text() == "second"

    third = pipeflow_in(tmp_path, "run", config.name)
    assert third.returncode == 0, third.stderr
    assert "1 cached" in third.stdout + third.stderr


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_an_edited_input_below_the_written_folder_reruns_the_step_from_python(
    tmp_path: Path, request: pytest.FixtureRequest, spelling: str, executor: str
) -> None:
    config, source = _project(tmp_path, spelling, "yaml", executor_spec(executor, request))
    assert pipeflow.load(config).run().ok
    source.write_text("second")

    run = pipeflow.load(config).run()
    assert run.ok
    assert run.state("tune") is StepState.DONE
    assert source.read_text() == "second"
    assert (tmp_path / "models" / "model.txt").read_text() == "second"

    # Back to the first content: the first version comes back, from the store.
    source.write_text("first")
    run = pipeflow.load(config).run()
    assert run.state("tune") is StepState.CACHED
    assert source.read_text() == "first"
    assert (tmp_path / "models" / "model.txt").read_text() == "first"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_file_the_step_writes_below_its_folder_stays_its_output(
    tmp_path: Path, request: pytest.FixtureRequest, executor: str
) -> None:
    (tmp_path / "insidesteps.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: inside\n"
        "results: {root: out}\n"
        f"executor: {executor_spec(executor, request)}\n"
        "steps:\n"
        "  make:\n"
        "    run: insidesteps.model_file\n"
        "    inputs: {out_file: models/model.txt}\n"
        "    writes: [models/]\n"
    )
    assert pipeflow.load(config).run().ok
    again = pipeflow.load(config).run()
    assert again.state("make") is StepState.CACHED

    (tmp_path / "models" / "model.txt").unlink()
    restored = pipeflow.load(config).run()
    assert restored.state("make") is StepState.CACHED
    assert (tmp_path / "models" / "model.txt").read_text() == "model"


GLOB_STEPS = """
from pathlib import Path


def train(kind, out):
    bases = sorted(path.name for path in Path(out).glob("base*.txt"))
    (Path(out) / f"model_{kind}.txt").write_text(kind + ":" + ",".join(bases))
    return kind
"""


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("spelling", ["reads", "input"])
def test_a_glob_read_below_the_written_folder_counts_only_what_the_step_did_not_write(
    tmp_path: Path, request: pytest.FixtureRequest, executor: str, spelling: str
) -> None:
    """`reads: [models/*.txt]` beside `writes: [models/]` matches the models the step
    writes too. They are its output, not what it reads: before, each model it wrote
    changed its own key, so an unchanged re-run ran it again, and switching a param back
    ran it instead of restoring the earlier version. A file the user adds is still read."""
    (tmp_path / "globsteps.py").write_text(GLOB_STEPS)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "base.txt").write_text("base")
    read = (
        "    reads: [models/*.txt]\n"
        if spelling == "reads"
        else "    inputs: {kind: '${params.kind}', out: models, bases: models/*.txt}\n"
    )
    inputs = "" if spelling == "input" else "    inputs: {kind: '${params.kind}', out: models}\n"
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: globbed\n"
        "params: {kind: a}\n"
        "results: {root: out}\n"
        f"executor: {executor_spec(executor, request)}\n"
        "steps:\n"
        "  train:\n"
        "    run: globsteps.train\n"
        f"{inputs}{read}"
        "    writes: [models/]\n"
    )
    if spelling == "input":  # a glob input: the function takes it
        (tmp_path / "globsteps.py").write_text(
            GLOB_STEPS.replace("def train(kind, out):", "def train(kind, out, bases):")
        )

    def state(**params: object) -> StepState:
        run = pipeflow.load(config, params=params or None).run()
        assert run.ok, run.outcomes
        return run.state("train")

    assert state() is StepState.DONE
    assert state() is StepState.CACHED  # its own model_a.txt is no new input
    assert state(kind="b") is StepState.DONE
    assert state(kind="b") is StepState.CACHED
    assert state(kind="a") is StepState.CACHED  # restored, not run
    assert (tmp_path / "models" / "model_a.txt").read_text() == "a:base.txt"

    (tmp_path / "models" / "base2.txt").write_text("another base")  # by hand: read
    assert state(kind="a") is StepState.DONE
    assert (tmp_path / "models" / "model_a.txt").read_text() == "a:base.txt,base2.txt"
