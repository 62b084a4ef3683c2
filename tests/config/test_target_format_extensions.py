"""A target whose extension names another format than its `format:` is a validation problem.

`result: {target: d.json, format: parquet}` would leave parquet bytes in a `.json` file, which
every other tool opening it takes for JSON. `validate` and `run` (exit 2, nothing run) and
`pipeflow.load` say so at the target's line, with what to change; YAML and TOML alike.
What stays allowed: an extension the formats table does not know (`.bin`, `.score`), a
target ending in `.{ext}`, a text format in a text file (`txt` in `.json` or `.csv`, `json`
or `csv` in `.txt`: the step's own text), and `pickle`/`joblib` in each other's files.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = """
def make():
    return "made"
"""

CONFIGS = {
    "yaml": """
        name: formats
        steps:
          make:
            run: fs.make
            result: {target: "TARGET", format: FORMAT}
        """,
    "toml": """
        name = "formats"
        [steps.make]
        run = "fs.make"
        result = {target = "TARGET", format = "FORMAT"}
        """,
}

# (target, format, the format the extension names)
CONFLICTS = [
    ("d.json", "parquet", "json"),
    ("out/d.csv", "json", "csv"),
    ("d.parquet", "csv", "parquet"),
    ("d.pq", "pickle", "parquet"),
    ("m.pkl", "npy", "pickle"),
    ("a.npy", "joblib", "npy"),
    ("t.txt", "parquet", "txt"),
    ("r/{step}.JSON", "pickle", "json"),
    ("d.json", "csv", "json"),
]

ALLOWED = [
    ("d.bin", "pickle"),
    ("scores/{step}.score", "json"),
    ("d.{ext}", "parquet"),
    ("d.json", "json"),
    ("d.json", "txt"),
    ("d.csv", "txt"),
    ("d.txt", "json"),
    ("m.pkl", "joblib"),
    ("m.joblib", "pickle"),
]


def project(folder: Path, kind: str, target: str, format: str) -> Path:
    (folder / "fs.py").write_text(textwrap.dedent(STEPS))
    config = folder / f"pipeline.{kind}"
    text = textwrap.dedent(CONFIGS[kind]).replace("TARGET", target).replace("FORMAT", format)
    config.write_text(text)
    return config


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("target", "format", "named"), CONFLICTS)
def test_the_api_refuses_an_extension_that_names_another_format(
    tmp_path: Path, kind: str, target: str, format: str, named: str
) -> None:
    config = project(tmp_path, kind, target, format)
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    message = str(raised.value)
    assert f"`{target}` names the {named} format by its extension" in message, message
    assert f"`format: {format}`" in message, message
    assert "steps.make.result.target" in message, message


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_the_cli_refuses_it_at_the_targets_line_and_runs_nothing(
    tmp_path: Path, kind: str, command: str
) -> None:
    config = project(tmp_path, kind, "d.json", "parquet")
    shown = pipeflow_in(tmp_path, command, config.name)
    assert shown.returncode == 2, shown.stdout + shown.stderr
    line = 6 if kind == "yaml" else 5  # the line of `result`
    assert f"{config.name}:{line}:" in shown.stderr, shown.stderr
    assert "`d.json` names the json format by its extension, not parquet" in shown.stderr
    assert "hint: " in shown.stderr
    assert not (tmp_path / "d.json").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("target", "format"), ALLOWED)
def test_an_unknown_or_compatible_extension_stays_allowed(
    tmp_path: Path, kind: str, target: str, format: str
) -> None:
    config = project(tmp_path, kind, target, format)
    pipeflow.load(config)  # no ConfigError
    shown = pipeflow_in(tmp_path, "validate", config.name)
    assert shown.returncode == 0, shown.stderr
