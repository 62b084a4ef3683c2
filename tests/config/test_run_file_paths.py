"""A `run:` written as a file path (`steps/iris.py:load`, `./steps/iris.load`, `steps\\iris.load`),
as a script runner or Kedro's `path/to/file.py` would take it, is refused with the dotted
import path meant (`steps.iris.load`). Before, it was "no module named `steps/iris`" with a
hint to check the spelling."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def load():\n    return 1\n"

CASES = {
    "steps/iris.py:load": "`steps.iris.load`",
    "steps/iris.load": "`steps.iris.load`",
    "./steps/iris.load": "`steps.iris.load`",
    "steps\\\\iris.load": "`steps.iris.load`",
    "steps/iris.py": "`steps.iris.FUNCTION`",
    "steps/iris.py:Loader.load": "`steps.iris:Loader.load`",
    "/srv/project/steps/iris.py:load": "`module.function` with the module found from the config",
    "../steps/iris.load": "`module.function` with the module found from the config",
}


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("written", sorted(CASES))
def test_a_file_path_in_run_is_refused_with_the_dotted_path(
    make_project: ProjectFactory, kind: str, written: str
) -> None:
    if kind == "yaml":
        text = f'name: p\nsteps:\n  a: {{run: "{written}"}}\n'
    else:
        text = f'name = "p"\n[steps.a]\nrun = "{written}"\n'
    config = make_project(text, name=f"pipeline.{kind}")
    (config.parent / "steps").mkdir()
    (config.parent / "steps" / "iris.py").write_text(STEPS)
    shown = written.replace("\\\\", "\\")
    result = pipeflow_in(config.parent, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error at `steps.a.run`" in result.stderr
    assert f"`{shown}` is a file path" in result.stderr
    assert f"write the dotted import path, {CASES[written]}" in result.stderr
    with pytest.raises(pipeflow.ConfigError, match="is a file path"):
        pipeflow.load(config)
