"""A `foreach` step's item is passed as the input `as:` names (`item` without `as:`); the same
name under `inputs:` is refused by every channel that validates (exit 2, at the input, naming
both), whatever the `foreach` is (a list, a param, a step's value), in YAML and TOML. Before,
the config validated and the run silently dropped the input's value.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError

STEPS = """
from pathlib import Path

def items():
    return [1, 2]

def ident(x=None, item=None, other=None):
    Path(__file__).with_name("ran").write_text("ran")
    return [x, item, other]
"""

FOREACHES = {"list": "[1, 2]", "param": "${params.xs}", "step": "${steps.src}"}
# (id, `as:` or None, the clashing input)
CLASHES = [("as", "x", "x"), ("default-item", None, "item")]


def _config(tmp_path: Path, kind: str, foreach: str, item: str | None, inputs: str) -> Path:
    (tmp_path / "festeps.py").write_text(STEPS)
    value = FOREACHES[foreach]
    if kind == "yaml":
        as_ = f", as: {item}" if item else ""
        text = (
            "name: fe\nparams: {xs: [1, 2]}\nsteps:\n"
            "  src: {run: festeps.items, result: false}\n"
            f'  a: {{run: festeps.ident, foreach: "{value}"{as_}, '
            f"inputs: {{{inputs}: 5}}, result: false}}\n"
        )
    else:
        as_ = f'as = "{item}"\n' if item else ""
        text = (
            'name = "fe"\nparams = {xs = [1, 2]}\n'
            '[steps.src]\nrun = "festeps.items"\nresult = false\n'
            f'[steps.a]\nrun = "festeps.ident"\nforeach = "{value}"\n{as_}result = false\n'
            f"[steps.a.inputs]\n{inputs} = 5\n"
        )
    if foreach == "list":
        text = text.replace(f'"{value}"', value)
    path = tmp_path / f"fe.{kind}"
    path.write_text(text)
    return path


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("foreach", sorted(FOREACHES))
@pytest.mark.parametrize(("item", "name"), [c[1:] for c in CLASHES], ids=[c[0] for c in CLASHES])
@pytest.mark.parametrize("channel", ["validate", "run", "load"])
def test_an_input_named_as_the_item_is_refused(
    tmp_path: Path, kind: str, foreach: str, item: str | None, name: str, channel: str
) -> None:
    config = _config(tmp_path, kind, foreach, item, name)
    where = f"steps.a.inputs.{name}"
    if channel == "load":
        with pytest.raises(ConfigError) as raised:
            pipeflow.load(config)
        assert [p.path for p in raised.value.problems] == [where]
        output = raised.value.format()
    else:
        result = subprocess.run(
            [sys.executable, "-m", "pipeflow", channel, config.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 2, output
        assert "1 problem found; nothing was run." in output
    line = 5 if kind == "yaml" else (12 if item else 11)
    assert f"fe.{kind}:{line}:" in output, output
    assert f"error at `{where}`" in output
    assert f"input `{name}` is given twice" in output
    assert f"`as: {name}`" in output if item else "its name without `as:`" in output
    assert "hint: give the item another name with `as:`" in output
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_an_item_under_another_name_leaves_the_input_item_alone(tmp_path: Path, kind: str) -> None:
    config = _config(tmp_path, kind, "list", "x", "item")
    assert pipeflow.load(config).run(history=False).output("a") == [[1, 5, None], [2, 5, None]]
