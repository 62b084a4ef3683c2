"""A target's fields are in single braces (`{params.n}`); a `${...}` reference, the spelling
of `inputs`, was not refused there: `models/${params.n}.json` passed `validate` and the run
stored the result at `models/$1.json`, a path no one asked for. It is refused where it is
written, with the spelling a target takes, by `validate`, `run` and `pipeflow.load`, in YAML
and TOML, whatever the reference names."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def one(n=0):\n    return n\n"

YAML = """\
name: p
params: {n: 1, tag: x}
steps:
  a:
    run: asteps.one
    foreach: [1, 2]
    as: n
    result: {target: %s}
"""
TOML = """\
name = "p"
[params]
n = 1
tag = "x"
[steps.a]
run = "asteps.one"
foreach = [1, 2]
as = "n"
[steps.a.result]
target = %s
"""

CASES = [
    ("models/${params.tag}-{n}.json", "write `{params.tag}`"),
    ("models/${n}.json", "write `{n}`"),
    ("models/${item}.json", "write `{item}`"),
    ("models/{n}-${step}.json", "write `{step}`"),
    ("models/{n}/${env.HOME}.json", "`${env.HOME}`"),
    ("models/{n}/${steps.b}.json", "`${steps.b}`"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("target", "hint"), CASES)
def test_a_reference_in_a_target_is_refused_where_it_is(
    make_project: ProjectFactory, kind: str, target: str, hint: str
) -> None:
    text = (YAML if kind == "yaml" else TOML) % f'"{target}"'
    config = make_project(text, name=f"pipeline.{kind}", asteps=STEPS)
    line = text.splitlines().index(next(x for x in text.splitlines() if "target" in x)) + 1
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, config.name)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"{config.name}:{line}:" in result.stderr
        assert "error at `steps.a.result.target`" in result.stderr
        assert "takes no `${...}` reference" in result.stderr
        assert hint in result.stderr
        assert not (config.parent / "data").exists()
    with pytest.raises(pipeflow.ConfigError, match=r"takes no `\$\{\.\.\.\}` reference"):
        pipeflow.load(config)


def test_a_dollar_sign_of_its_own_is_still_a_file_name(make_project: ProjectFactory) -> None:
    config = make_project(YAML % '"models/$ {n}-$$.json"', asteps=STEPS)
    run = pipeflow.load(config).run()
    assert run.ok
    stored = sorted(p.name for p in (Path(config.parent) / "data/processed/models").iterdir())
    assert stored == ["$ 1-$$.json", "$ 2-$$.json"]
