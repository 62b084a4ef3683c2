"""`pipeflow init --step`: the stub it writes never breaks the steps module. A step function
named like a builtin or a name the module uses is refused; nothing is written on a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

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
