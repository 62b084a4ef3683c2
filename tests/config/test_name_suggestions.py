"""The name a refused name's hint suggests is the one meant: `after: ["${steps.load}"]` (a
reference where `after` takes names) suggests `load`, not `steps_load`; a step named `ünï`
suggests `uni`, not `n` (letters with accents keep their letter); an output named
`${params.x}` suggests `x`. YAML and TOML, `validate` and `pipeflow.load`."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def one():\n    return {'a': 1}\n"

# (YAML text, TOML text, where, the suggestion)
CASES = [
    (
        "name: p\nsteps:\n  load: {run: nsteps.one}\n"
        '  b: {run: nsteps.one, after: ["${steps.load}"]}\n',
        "name = 'p'\n[steps.load]\nrun = 'nsteps.one'\n[steps.b]\nrun = 'nsteps.one'\n"
        "after = ['${steps.load}']\n",
        "steps.b.after[0]",
        "e.g. `load`",
    ),
    (
        "name: p\nsteps:\n  ünï: {run: nsteps.one}\n",
        "name = 'p'\n[steps.'ünï']\nrun = 'nsteps.one'\n",
        'steps["ünï"]',
        "e.g. `uni`",
    ),
    (
        "name: Données\nsteps:\n  a: {run: nsteps.one}\n",
        "name = 'Données'\n[steps.a]\nrun = 'nsteps.one'\n",
        "name",
        "Donnees",
    ),
    (
        'name: p\nsteps:\n  a: {run: nsteps.one, outputs: ["${params.x}"]}\n',
        "name = 'p'\n[steps.a]\nrun = 'nsteps.one'\noutputs = ['${params.x}']\n",
        "steps.a.outputs[0]",
        "e.g. `x`",
    ),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("yaml_text", "toml_text", "where", "suggested"), CASES)
def test_the_suggested_name_is_the_one_meant(
    make_project: ProjectFactory,
    kind: str,
    yaml_text: str,
    toml_text: str,
    where: str,
    suggested: str,
) -> None:
    text = yaml_text if kind == "yaml" else toml_text
    config = make_project(text, name=f"pipeline.{kind}", nsteps=STEPS)
    result = pipeflow_in(config.parent, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error at `{where}`" in result.stderr, result.stderr
    assert suggested in result.stderr, result.stderr
    with pytest.raises(pipeflow.ConfigError, match=suggested.replace("`", ".")):
        pipeflow.load(config)


def test_a_name_listed_twice_in_outputs_is_known_once(tmp_path: Path) -> None:
    """With `outputs: [x, x]` (refused as a repeat) a reference to another part was told
    "known outputs: `x`, `x`"."""
    (tmp_path / "nsteps.py").write_text("def f(v=None):\n    return {'x': 1}\n")
    (tmp_path / "p.yaml").write_text(
        "name: p\nsteps:\n  a: {run: nsteps.f, outputs: [x, x]}\n"
        '  b: {run: nsteps.f, inputs: {v: "${steps.a.zzz}"}}\n'
    )
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(tmp_path / "p.yaml")
    hints = [p.hint for p in raised.value.problems if p.path == "steps.b.inputs.v"]
    assert hints == ["known outputs: `x`"]
