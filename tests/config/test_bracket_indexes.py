"""An index or key in brackets, as Python, Jinja and OmegaConf write it (`${params.files[0]}`,
`${params.m['k']}`, `{params.files[1]}` in a target), is refused with the dotted spelling
pipeflow reads: "write `${params.files.0}`". Before, the hint was "did you mean `files`?"
(or "declare it under `params:`") in a reference, and "e.g. {params.model.depth}" in a
target. YAML and TOML, `validate` and `pipeflow.load`, every place a reference is read."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def show(v=None):\n    return v\n"
CHILD = "name: child\nparams: {k: 1}\nsteps:\n  s: {run: bsteps.show}\n"

# (the place, the YAML text of the step, what the hint says)
PLACES = [
    ("inputs.v", "run: bsteps.show\n    inputs: {v: '${params.files[0]}'}", "`${params.files.0}`"),
    ("inputs.v", "run: bsteps.show\n    inputs: {v: \"${params.m['k']}\"}", "`${params.m.k}`"),
    ("inputs.v", "run: bsteps.show\n    inputs: {v: 'x-${params.g[1][0]}'}", "`${params.g.1.0}`"),
    ("when", "run: bsteps.show\n    when: '${params.flags[1]}'", "`${params.flags.1}`"),
    ("foreach", "run: bsteps.show\n    foreach: '${params.g[0]}'\n    as: v", "`${params.g.0}`"),
    (
        "params.k",
        "pipeline: child.yaml\n    params: {k: '${params.files[1]}'}",
        "`${params.files.1}`",
    ),
    (
        "result.target",
        "run: bsteps.show\n    result: {target: '{params.files[1]}.json'}",
        "`{params.files.1}`",
    ),
]


def _toml(step: str) -> str:
    """The YAML step above in TOML."""
    lines = []
    for line in step.split("\n"):
        key, _, value = line.strip().partition(": ")
        if value.startswith("{"):
            inner_key, _, inner = value[1:-1].partition(": ")
            value = "{" + f"{inner_key} = {inner}" + "}"
        lines.append(f"{key} = {value if value[0] in '{' + chr(39) + chr(34) else repr(value)}")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("where", "step", "hint"), PLACES)
def test_brackets_are_refused_with_the_dotted_spelling(
    make_project: ProjectFactory, kind: str, where: str, step: str, hint: str
) -> None:
    make_project(CHILD, name="child.yaml", bsteps=STEPS)
    if kind == "yaml":
        text = (
            "name: p\nparams: {files: [a, b], m: {k: 1}, g: [[1, 2], [3]], flags: [true, false]}\n"
            f"steps:\n  a:\n    {step}\n"
        )
    else:
        text = (
            "name = 'p'\n[params]\nfiles = ['a', 'b']\nm = {k = 1}\ng = [[1, 2], [3]]\n"
            f"flags = [true, false]\n[steps.a]\n{_toml(step)}\n"
        )
    config = make_project(text, name=f"pipeline.{kind}")
    result = pipeflow_in(config.parent, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error at `steps.a.{where}`" in result.stderr
    assert f"write {hint}" in result.stderr, result.stderr
    with pytest.raises(pipeflow.ConfigError, match=f"write {hint}".replace("$", r"\$")):
        pipeflow.load(config)
