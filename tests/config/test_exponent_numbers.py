"""A number in exponent form (`1e-5`, `1E3`, `2.5e3`) is a float in every channel that reads
YAML, as it is in TOML and JSON (SPEC 2: YAML or TOML, identical meaning): config defaults,
`--param`, params files, `${env.*}` defaults, schedules' params; a `.json` params file is read
as JSON. Before, PyYAML (YAML 1.1) read these as strings unless they had a dot and a signed
exponent: a params file written by `json.dump({"lr": 1e-05})` and `--param lr=1e-5` were
refused for a float default, a YAML default `lr: 1e-5` gave the step the string '1e-5' (the
TOML one a float), and `--param lr=0.01` was then refused. Texts that are no number stay
text (`1.2.3`, `1e`, `e5`), `0x1F` an int and a date a date."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.history import open_history
from tests.conftest import ProjectFactory

STEPS = """
def show(values):
    for name, value in sorted(values.items()):
        print("value", name, type(value).__name__, repr(value))
    return values
"""

YAML_DEFAULTS = """
name: numbers
params:
  lr: 1e-5
  big: 1E3
  mixed: 2.5e3
  negative: -1e-5
  dotted: .5e-3
  signed: +1e+2
  old: 1.0e-5
  version: 1.2.3
  word: 1e
  letters: e5
  trailing: 1e5x
  hexadecimal: 0x1F
  day: 2024-02-01
steps:
  show:
    run: numsteps.show
    inputs:
      values: {NAMES}
"""
TOML_DEFAULTS = """
name = "numbers"
[params]
lr = 1e-5
big = 1E3
mixed = 2.5e3
negative = -1e-5
dotted = 0.5e-3
signed = +1e+2
old = 1.0e-5
version = "1.2.3"
word = "1e"
letters = "e5"
trailing = "1e5x"
hexadecimal = 0x1F
day = 2024-02-01
[steps.show]
run = "numsteps.show"
inputs = {values = {NAMES}}
"""
EXPECTED = {
    "lr": 1e-5,
    "big": 1000.0,
    "mixed": 2500.0,
    "negative": -1e-5,
    "dotted": 0.0005,
    "signed": 100.0,
    "old": 1e-5,
    "version": "1.2.3",
    "word": "1e",
    "letters": "e5",
    "trailing": "1e5x",
    "hexadecimal": 31,
    "day": date(2024, 2, 1),
}


def _inputs(names: list[str], kind: str = "yaml") -> str:
    """`{lr: "${params.lr}", ...}`, each param passed as its own reference."""
    separator = ": " if kind == "yaml" else " = "
    return "{" + ", ".join(f'{name}{separator}"${{params.{name}}}"' for name in names) + "}"


YAML_DEFAULTS = YAML_DEFAULTS.replace("{NAMES}", _inputs(list(EXPECTED)))
TOML_DEFAULTS = TOML_DEFAULTS.replace("{NAMES}", _inputs(list(EXPECTED), "toml"))


def _typed(values: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {name: (type(value).__name__, value) for name, value in values.items()}


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_yaml_config_reads_exponents_as_the_toml_one_does(
    make_project: ProjectFactory, kind: str
) -> None:
    text = YAML_DEFAULTS if kind == "yaml" else TOML_DEFAULTS
    config = make_project(text, name=f"pipeline.{kind}", numsteps=STEPS)
    run = pipeflow.load(config).run()
    assert run.ok
    assert _typed(run.output("show")) == _typed(EXPECTED)


CONFIG = """
name: overrides
params:
  lr: 0.001
  tag: plain
  version: "1.0"
  given: 1e-5
  env: ${env.PIPEFLOW_TEST_LR:-1e-5}
steps:
  show: {run: numsteps.show, inputs: {values: NAMES}}
""".replace("NAMES", _inputs(["lr", "tag", "version", "given", "env"]))


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG, numsteps=STEPS)


def _cli_values(config: Path, *arguments: str) -> dict[str, str]:
    result = CliRunner().invoke(cli, ["run", str(config), "--no-cache", *arguments])
    assert result.exit_code == 0, result.output
    values = {}
    for line in result.output.splitlines():
        if "| value " in line:
            name, kind, shown = line.split("| value ", 1)[1].split(" ", 2)
            values[name] = f"{kind} {shown}"
    return values


TAG = "\N{GRINNING FACE}\u00e9"  # json.dump writes it as a surrogate pair and an escape


def _files(folder: Path) -> dict[str, Path]:
    written = {
        "json": folder / "best.json",
        "yaml": folder / "best.yaml",
        "toml": folder / "best.toml",
    }
    with open(written["json"], "w") as file:  # as a tuning script writes it
        json.dump({"lr": 1e-05, "given": 2e-06, "tag": TAG}, file)
    written["yaml"].write_text(f'lr: 1e-5\ngiven: 2E-6\ntag: "{TAG}"\n')
    written["toml"].write_text(f'lr = 1e-5\ngiven = 2e-6\ntag = "{TAG}"\n')
    return written


@pytest.mark.parametrize("kind", ["json", "yaml", "toml"])
def test_a_params_file_s_exponents_are_floats(config: Path, kind: str) -> None:
    values = _cli_values(config, "--param-file", str(_files(config.parent)[kind]))
    assert values["lr"] == "float 1e-05"
    assert values["given"] == "float 2e-06"
    assert values["tag"] == f"str {TAG!r}"


@pytest.mark.parametrize(
    ("assignment", "name", "shown"),
    [
        ("lr=1e-5", "lr", "float 1e-05"),
        ("lr=1E3", "lr", "float 1000.0"),
        ("lr=-2.5e-3", "lr", "float -0.0025"),
        ("lr=.5e1", "lr", "float 5.0"),
        ("lr=3", "lr", "float 3.0"),
        ("given=0.01", "given", "float 0.01"),  # its default `1e-5` is a float too
        ("version=1.2.3", "version", "str '1.2.3'"),
        ("tag=1e", "tag", "str '1e'"),
        ("tag=e5", "tag", "str 'e5'"),
        ("tag=1e5x", "tag", "str '1e5x'"),
    ],
)
def test_a_param_option_reads_exponents_as_floats(
    config: Path, assignment: str, name: str, shown: str
) -> None:
    assert _cli_values(config, "--param", assignment)[name] == shown


def test_defaults_from_the_config_and_the_environment_are_floats(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = _cli_values(config)
    assert values["given"] == "float 1e-05"
    assert values["env"] == "float 1e-05"
    monkeypatch.setenv("PIPEFLOW_TEST_LR", "3E-2")
    assert pipeflow.load(config).params["env"] == 0.03


def test_params_in_python_read_exponents_as_floats(config: Path) -> None:
    run = pipeflow.load(config, param_options="lr=1e-5").run(param_options=["given=4E2"])
    assert run.ok
    assert run.output("show")["lr"] == 1e-5
    assert run.output("show")["given"] == 400.0


SCHEDULED = """
name: scheduled
params: {lr: 0.001, given: 1e-5}
results: {persist: false}
steps:
  show: {run: numsteps.show, inputs: {values: NAMES}}
schedules:
  - interval: 1h
    params: {lr: 1e-5, given: 2E-6}
""".replace("NAMES", _inputs(["lr", "given"]))


def test_a_schedule_s_params_reach_its_run_as_floats(make_project: ProjectFactory) -> None:
    config = make_project(SCHEDULED, numsteps=STEPS)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "serve", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        runs: list[Any] = []
        while time.monotonic() < deadline and not runs and process.poll() is None:
            time.sleep(0.5)
            if (config.parent / ".pipeflow").exists():
                with open_history(config.parent) as history:
                    runs = [run for run in history.runs(pipeline="scheduled") if run.finished]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert runs, output
    assert runs[0].state == "succeeded", output
    assert runs[0].params == {"lr": 1e-05, "given": 2e-06}
    assert "value lr float 1e-05" in output
    assert "value given float 2e-06" in output


def test_a_json_params_file_is_located_as_written(config: Path) -> None:
    """Read as JSON, its values are still found where they are written (an escaped emoji
    before them included), and runaway nesting is a problem, not a crash."""
    located = config.parent / "located.json"
    located.write_text('{"tag": "\\ud83d\\ude00",\n "lr": "fast"}')
    deep = config.parent / "deep.json"
    deep.write_text('{"lr": ' + "[" * 100_000 + "]" * 100_000 + "}")
    for file, expected in [
        (located, "located.json:2:8: error at `lr`: param `lr` is a number"),
        (deep, "deep.json: error: the file nests too deeply to read"),
    ]:
        result = CliRunner().invoke(cli, ["validate", str(config), "--param-file", str(file)])
        assert result.exit_code == 2, result.output
        assert expected in result.output, result.output


SPELLINGS = (
    "[1e-5, 1E3, 2.5e3, -1e-5, .5e-3, +1e+2, 1.0e-5, 1.5, 1.2.3, 1e, e5, 1e5x, 0x1F, 1_000,"
    " 1:30, 010, 08, 0o10, 2024-02-01, '1e5', .inf]"
)
READ = [1e-5, 1000.0, 2500.0, -1e-5, 0.0005, 100.0, 1e-5, 1.5, "1.2.3", "1e", "e5", "1e5x"]
READ += [31, 1000, "1:30", 10, 8, 8, date(2024, 2, 1), "1e5", float("inf")]


@pytest.mark.parametrize("loader", ["FAST", "SAFE"])
def test_both_yaml_loaders_read_every_spelling_alike(loader: str) -> None:
    """libyaml's loader and the pure-Python one (for flow collections nested deeply)."""
    import yaml

    from pipeflow.config import yaml_loading

    read = yaml.load(SPELLINGS, Loader=getattr(yaml_loading, loader))
    assert _typed(dict(enumerate(read))) == _typed(dict(enumerate(READ)))
