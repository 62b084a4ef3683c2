"""The references of a pipeline's top-level `outputs:` are checked as a step's inputs are.

`outputs: {w: "${params.nope}"}` validated (an unknown param went unreported), and a parent
running that pipeline as a step crashed with a `KeyError` traceback while loading; an unset
`${env.*}` there went unreported too. Now each is a located problem (exit 2): in the config
itself, and, through the child, when a parent is validated or run; YAML and TOML, CLI and API.
A param that exists reaches the parent's step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = "def make():\n    return 1\n\n\ndef show(x):\n    return repr(x)\n"

PARENT = """\
name: parent
steps:
  c: {pipeline: child.CHILD_KIND}
  use: {run: osteps.show, inputs: {x: "${steps.c.w}"}}
"""


def _child(kind: str, value: str) -> str:
    if kind == "toml":
        return (
            'name = "child"\n[params]\nratio = 0.5\n[steps.a]\nrun = "osteps.make"\n'
            f"[outputs]\nw = '{value}'\n"
        )
    return (
        "name: child\nparams: {ratio: 0.5}\nsteps:\n  a: {run: osteps.make}\n"
        f"outputs:\n  w: '{value}'\n"
    )


# (value, what the problem says, its hint)
CASES = [
    ("${params.ratoi}", "`${params.ratoi}` names no param `ratoi`", "did you mean `ratio`?"),
    (
        "${env.PIPEFLOW_TEST_UNSET_X}",
        "environment variable `PIPEFLOW_TEST_UNSET_X` is not set",
        "give a default",
    ),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("value", "says", "hint"), CASES, ids=["param", "env"])
def test_an_unknown_reference_in_outputs_is_a_located_problem(
    tmp_path: Path, kind: str, value: str, says: str, hint: str
) -> None:
    (tmp_path / "osteps.py").write_text(STEPS)
    child = tmp_path / f"child.{kind}"
    child.write_text(_child(kind, value))
    (tmp_path / "parent.yaml").write_text(PARENT.replace("CHILD_KIND", kind))
    line = 7 if kind == "toml" else 6
    for config in (child.name, "parent.yaml"):
        with pytest.raises(pipeflow.ConfigError) as raised:
            pipeflow.load(tmp_path / config)
        (problem,) = raised.value.problems
        assert (Path(problem.file or "").name, problem.line) == (child.name, line)
        assert problem.path == "outputs.w"
        assert problem.message == says
        assert hint in (problem.hint or "")
        for command in ("validate", "run"):
            result = pipeflow_in(tmp_path, command, config)
            assert result.returncode == 2, result.stderr
            assert "Traceback" not in result.stderr, result.stderr
            assert f"{child.name}:{line}:" in result.stderr, result.stderr


def test_a_param_in_outputs_reaches_the_parent(tmp_path: Path) -> None:
    (tmp_path / "osteps.py").write_text(STEPS)
    (tmp_path / "child.yaml").write_text(_child("yaml", "${params.ratio}"))
    (tmp_path / "parent.yaml").write_text(PARENT.replace("CHILD_KIND", "yaml"))
    run = pipeflow.load(tmp_path / "parent.yaml").run(history=False)
    assert run.ok, run.outcomes
    assert run.output("use") == "0.5"
