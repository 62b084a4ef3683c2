"""A text param given what YAML reads as another type is told to quote what the user wrote,
on the command line and in params files, and following the hint gives the param that text.
Before, the hint spelt the value YAML made: `--param mode=off` for a text default said
`quote it ... "false" (on the command line, --param 'mode="false"')`, which set mode to
"false"; the same for yes (true), 007 (7), 010 (10), 08 (8), 0x1F (31), 1_000, 1e3 and a
date-time (`1:30` is text, as in YAML 1.2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests.conftest import ProjectFactory

CONFIG = """
name: quoting
params: {mode: "on", cfg: {mode: auto}}
steps:
  show: {run: quotesteps.show, inputs: {mode: "${params.mode}", cfg: "${params.cfg}"}}
"""
STEPS = """
def show(mode, cfg):
    return {"mode": mode, "cfg": cfg}
"""
# What a user may write for a text, that YAML reads as a boolean, a number or a date.
SPELLINGS = [
    "off",
    "yes",
    "No",
    "ON",
    "true",
    "007",
    "010",
    "08",
    "0x1F",
    "1_000",
    "1e3",
    "2024-01-05 10:00:00",
]
_SUGGESTED = re.compile(r"\(on the command line, --param '(.*)'\)")


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG, quotesteps=STEPS)


def _hint(config: Path, *arguments: str) -> str:
    result = CliRunner().invoke(cli, ["validate", str(config), *arguments])
    assert result.exit_code == 2, result.output
    hints = [line for line in result.output.splitlines() if "hint: quote it" in line]
    assert len(hints) == 1, result.output
    return hints[0]


def _followed(config: Path, hint: str) -> dict[str, object]:
    """The params the command line that the hint suggests gives."""
    found = _SUGGESTED.search(hint)
    assert found is not None, hint
    return pipeflow.load(config, param_options=[found.group(1)]).params


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_hint_for_a_param_option_quotes_what_was_written(config: Path, spelling: str) -> None:
    hint = _hint(config, "--param", f"mode={spelling}")
    assert f'as its default is: `"{spelling}"`' in hint
    assert f"--param 'mode=\"{spelling}\"'" in hint
    assert _followed(config, hint)["mode"] == spelling


@pytest.mark.parametrize("spelling", ["off", "0x1F", "2024-01-05 10:00:00"])
@pytest.mark.parametrize("form", ["dotted", "flow"])
def test_a_nested_param_option_is_quoted_as_written(config: Path, spelling: str, form: str) -> None:
    option = f"cfg.mode={spelling}" if form == "dotted" else f"cfg={{mode: {spelling}}}"
    hint = _hint(config, "--param", option)
    assert f"--param 'cfg.mode=\"{spelling}\"'" in hint
    assert _followed(config, hint)["cfg"] == {"mode": spelling}


FILES = {
    "yaml": [(f"mode: {spelling}\n", spelling) for spelling in SPELLINGS]
    + [("cfg: {mode: off}\n", "off")],
    "toml": [
        ("mode = false\n", "false"),
        ("mode = 0x1F\n", "0x1F"),
        ("mode = 1_000\n", "1_000"),
        ("mode = 1e3\n", "1e3"),
        ("mode = 2024-01-05 10:00:00  # a local date-time\n", "2024-01-05 10:00:00"),
        ("[cfg]\nmode = true\n", "true"),
    ],
    "json": [
        ('{"mode": true}', "true"),
        ('{"mode": 1e3}', "1e3"),
        ('{"cfg": {"mode": 1E-2}}', "1E-2"),
    ],
}
CASES = [(kind, text, written) for kind, cases in FILES.items() for text, written in cases]


@pytest.mark.parametrize(("kind", "text", "written"), CASES)
def test_the_hint_for_a_params_file_quotes_what_it_holds(
    config: Path, kind: str, text: str, written: str
) -> None:
    file = config.parent / f"over.{kind}"
    file.write_text(text)
    hint = _hint(config, "--param-file", str(file))
    name = "cfg.mode" if "cfg" in text else "mode"
    assert f'as its default is: `"{written}"` (on the command line, --param' in hint
    followed = _followed(config, hint)
    assert (followed["cfg"]["mode"] if name == "cfg.mode" else followed["mode"]) == written


PARENT = """
name: parent
steps:
  child: {pipeline: pipeline.yaml, params: {mode: off, cfg: {mode: 0x1F}}}
"""


def test_a_sub_pipeline_step_s_params_are_quoted_as_written(config: Path) -> None:
    parent = config.parent / "parent.yaml"
    parent.write_text(PARENT)
    result = CliRunner().invoke(cli, ["validate", str(parent)])
    assert result.exit_code == 2, result.output
    assert 'as its default is: `"off"`' in result.output, result.output
    assert 'as its default is: `"0x1F"`' in result.output, result.output
