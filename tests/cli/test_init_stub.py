"""`pipeflow init --step`: the stub it writes never breaks the steps module. A step function
named like a builtin or a name the module uses is refused; argument names are identifiers
Python accepts, distinct from each other; nothing is written on a refusal."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeflow.config.yaml_loading import scalar
from tests.cli.test_init import invoke, pipeflow, project  # noqa: F401  (a fixture)

EXTRA = """

try:
    import simplejson as json
except ImportError:
    import json

if True:
    limit = 3


def dump(values: list[float]) -> str:
    return json.dumps(values[:limit]) + helper()  # `helper` is set up elsewhere
"""


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".pipeflow" not in path.parts
    }


def refused(folder: Path, *args: str) -> str:
    before = files(folder)
    code, output = invoke("init", str(folder), *args)
    assert code == 2, output
    assert "Traceback" not in output
    assert "hint:" in output
    assert files(folder) == before  # nothing written
    return output


@pytest.mark.parametrize("name", ["sum", "len", "print", "open", "min", "__debug__", "object"])
def test_a_step_named_like_a_builtin_is_refused(project: Path, name: str) -> None:  # noqa: F811
    output = refused(project, "--step", name, "--input", "scale")
    assert f"`{name}`" in output
    assert "builtin" in output


@pytest.mark.parametrize("name", ["json", "limit", "helper"])
def test_a_step_named_like_a_name_the_module_uses_is_refused(
    project: Path,  # noqa: F811
    name: str,
) -> None:
    module = project / "steps" / "pipeline.py"
    module.write_text(module.read_text() + EXTRA)
    output = refused(project, "--step", name)
    assert f"uses `{name}`" in output


def test_the_starter_still_runs_and_tests_after_a_step_is_added(
    project: Path,  # noqa: F811
) -> None:
    code, output = invoke("init", str(project), "--step", "report", "--input", "summarize")
    assert code == 0, output
    assert pipeflow("run", "pipeline.yaml", "-q", cwd=project).returncode == 0
    tests = pipeflow("validate", "pipeline.yaml", cwd=project)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def rename_step(folder: Path, old: str, new: str) -> None:
    config = folder / "pipeline.yaml"
    config.write_text(
        config.read_text()
        .replace(f"  {old}:", f"  {scalar(new)}:")
        .replace(f"steps.{old}}}", f"steps.{new}}}")
    )


@pytest.mark.parametrize(
    ("step", "argument"),
    [
        ("class", "class_"),
        ("import", "import_"),
        ("None", "None_"),
        ("True", "True_"),
        ("__debug__", "__debug___"),
        ("class-name", "class_name"),
        ("sum-up", "sum_up"),
    ],
)
def test_an_input_step_whose_name_is_no_argument_gets_one_python_accepts(
    project: Path,  # noqa: F811
    step: str,
    argument: str,
) -> None:
    rename_step(project, "summarize", step)
    assert pipeflow("validate", "pipeline.yaml", cwd=project).returncode == 0
    code, output = invoke("init", str(project), "--step", "report", "--input", step)
    assert code == 0, output
    source = (project / "steps" / "pipeline.py").read_text()
    ast.parse(source)
    assert f"def report({argument}: object) -> object:" in source
    if argument != step.replace("-", "_"):
        assert f"`{argument}`" in output  # said so
    checked = pipeflow("validate", "pipeline.yaml", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert pipeflow("run", "pipeline.yaml", "-q", cwd=project).returncode == 0


@pytest.mark.parametrize(
    "inputs",
    [["sum-up", "sum_up"], ["scale", "scale"], ["class", "class_"], ["import", "import_"]],
)
def test_inputs_that_would_share_an_argument_are_refused(
    project: Path,  # noqa: F811
    inputs: list[str],
) -> None:
    config = project / "pipeline.yaml"
    if inputs[1] != inputs[0]:
        rename_step(project, "summarize", inputs[0])
        config.write_text(
            config.read_text()
            + f"  {inputs[1]}:\n    run: steps.pipeline.summarize\n"
            + "    inputs:\n      values: ${steps.scale}\n"
        )
    assert pipeflow("validate", "pipeline.yaml", cwd=project).returncode == 0
    args = [arg for step in inputs for arg in ("--input", step)]
    output = refused(project, "--step", "report", *args)
    assert "argument" in output


@pytest.mark.parametrize(
    ("name", "suggested"), [("données", "donnees"), ("Ωmega", "mega"), ("数据", "name")]
)
def test_a_step_name_a_config_would_refuse_is_refused_before_anything_is_written(
    project: Path,  # noqa: F811
    name: str,
    suggested: str,
) -> None:
    """Python takes `données` as a function name; a config does not take it as a step's:
    `init --step` wrote a step that `validate`, its own next command, refused."""
    output = refused(project, "--step", name)
    assert f"`{name}`" in output
    assert "identifier of ASCII letters, digits" in output
    assert f"e.g. `{suggested}`" in output
