"""Numbers in YAML are read as in YAML 1.2 and TOML, on every channel that reads YAML: the
config's params, a YAML params file, `--param`, a schedule's params (docs/config.md). An int
with leading zeros is decimal (`010` is 10, `08` 8), octal is `0o10`, `1:30` is text, and
`0x1f`, `0b101`, `1_000`, `.inf` keep their meaning. Before, PyYAML's YAML 1.1 read `010` as
the octal 8, `08` as text and `1:30` as the base-60 int 90: a seed silently became another
number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests.conftest import ProjectFactory

# name: (as written, as read)
SPELLINGS: dict[str, tuple[str, Any]] = {
    "zero_ten": ("010", 10),
    "zero_hundred": ("0100", 100),
    "zero_eight": ("08", 8),
    "negative": ("-010", -10),
    "double_seven": ("007", 7),
    "octal": ("0o10", 8),
    "hexadecimal": ("0x1f", 31),
    "binary": ("0b101", 5),
    "grouped": ("1_000", 1000),
    "clock": ("1:30", "1:30"),
    "clock_float": ("1:30.5", "1:30.5"),
    "exponent": ("1e-5", 1e-5),
    "switch": ("off", False),
}
STEPS = "def show(values):\n    return values\n"
NAMES = ", ".join(f'{name}: "${{params.{name}}}"' for name in SPELLINGS)


def _config(defaults: dict[str, str], schedule: str = "") -> str:
    params = "\n".join(f"  {name}: {written}" for name, written in defaults.items())
    return (
        f"name: numbers\nparams:\n{params}\n"
        f"steps:\n  show: {{run: numsteps.show, inputs: {{values: {{{NAMES}}}}}, result: false}}\n"
        + schedule
    )


def _typed(values: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {name: (type(value).__name__, value) for name, value in values.items()}


EXPECTED = _typed({name: read for name, (_, read) in SPELLINGS.items()})


def test_a_yaml_config_s_params_read_numbers_as_yaml_1_2(make_project: ProjectFactory) -> None:
    config = make_project(
        _config({name: written for name, (written, _) in SPELLINGS.items()}), numsteps=STEPS
    )
    assert _typed(pipeflow.load(config).params) == EXPECTED
    assert _typed(pipeflow.load(config).run(history=False).output("show")) == EXPECTED


def _placeholders() -> dict[str, str]:
    """Defaults of the type each spelling reads as, so an override of another type is refused."""
    shown = {int: "1", float: "0.5", str: "text", bool: "true"}
    return {name: shown[type(read)] for name, (_, read) in SPELLINGS.items()}


def test_a_yaml_params_file_reads_numbers_as_yaml_1_2(make_project: ProjectFactory) -> None:
    config = make_project(_config(_placeholders()), numsteps=STEPS)
    file = config.parent / "over.yaml"
    file.write_text("".join(f"{name}: {written}\n" for name, (written, _) in SPELLINGS.items()))
    for kind in ("python", "cli"):
        if kind == "python":
            values = pipeflow.load(config, param_files=[str(file)]).params
        else:
            result = CliRunner().invoke(cli, ["validate", str(config), "--param-file", str(file)])
            assert result.exit_code == 0, result.output
            values = pipeflow.load(config).with_params(param_files=[str(file)]).params
        assert _typed(values) == EXPECTED


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_a_param_option_reads_numbers_as_yaml_1_2(make_project: ProjectFactory, name: str) -> None:
    config = make_project(_config(_placeholders()), numsteps=STEPS)
    written, read = SPELLINGS[name]
    run = pipeflow.load(config).run(param_options=[f"{name}={written}"], history=False)
    assert _typed({name: run.output("show")[name]}) == _typed({name: read})
    result = CliRunner().invoke(
        cli, ["run", str(config), "--no-cache", "-q", "--param", f"{name}={written}"]
    )
    assert result.exit_code == 0, result.output


def test_a_schedule_s_params_read_numbers_as_yaml_1_2(make_project: ProjectFactory) -> None:
    schedule = (
        "schedules:\n  - interval: 1h\n    params: {"
        + ", ".join(f"{name}: {written}" for name, (written, _) in SPELLINGS.items())
        + "}\n"
    )
    config = make_project(_config(_placeholders(), schedule), numsteps=STEPS)
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    (scheduled,) = pipeflow.load(config).definition.schedules
    assert _typed(dict(scheduled.params)) == EXPECTED


def test_texts_that_read_as_numbers_are_quoted_when_written(tmp_path: Path) -> None:
    """`init --name 010` writes the name quoted; `1:30` is text and needs no quotes now."""
    from pipeflow.config.yaml_loading import SAFE, scalar

    for text in ("010", "08", "0o10", "1_000", "0x1f", "1:30"):
        assert yaml.load(f"{scalar(text)}: {scalar(text)}", Loader=SAFE) == {text: text}
    assert scalar("1:30") == "1:30"
    assert scalar("08") == '"08"'


@pytest.mark.parametrize(("written", "read"), [("010", 10), ("0o10", 8), ("1:30", "1:30")])
def test_an_env_default_reads_numbers_as_yaml_1_2(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, written: str, read: Any
) -> None:
    """`${env.NAME:-fallback}` and the variable's value are read as `--param` values are."""
    config = make_project(
        "name: numbers\nparams:\n  fallback: ${env.PIPEFLOW_TEST_UNSET:-" + written + "}\n"
        "  given: ${env.PIPEFLOW_TEST_NUMBER}\n"
        "steps:\n  show: {run: numsteps.show, inputs: {values: 1}, result: false}\n",
        numsteps=STEPS,
    )
    monkeypatch.delenv("PIPEFLOW_TEST_UNSET", raising=False)
    monkeypatch.setenv("PIPEFLOW_TEST_NUMBER", written)
    params = pipeflow.load(config).params
    assert _typed(params) == _typed({"fallback": read, "given": read})
