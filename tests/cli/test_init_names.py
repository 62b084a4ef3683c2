"""`pipeflow init` writes names YAML would read as something else (`123`, `true`, `null`,
`yes`, `0x1f`, `1_000`, `007`: a number, a boolean, nothing) quoted, so that the starter
config validates and names the pipeline, and `init --step` its steps, as they were given.
Before, `pipeflow init 123` wrote `name: 123` and its own config failed `validate`; and
`init --step yes` said it could not append to the config and offered YAML naming step `True`."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.config.reader import read_document
from pipeflow.config.yaml_loading import load, scalar
from tests.cli.test_init import invoke
from tests.cli.test_init import pipeflow as run_pipeflow

# A pipeline name has letters, digits, '-' and '_': these are the ones YAML reads otherwise
# (YAML 1.1 booleans and null, ints in every base, with `_`, floats with an exponent), and
# plain ones that must stay unquoted.
LOOK_LIKE_SCALARS = [
    "123", "007", "-1", "0x1f", "0b101", "0o17", "010", "08", "1_000", "12_3", "1e3", "1E-5",
    "true", "True", "FALSE", "yes", "No", "on", "OFF", "null", "Null", "NULL",
]  # fmt: skip
PLAIN = ["sales-report", "pipeline_2", "y", "n", "_"]


@pytest.mark.parametrize("config_format", ["yaml", "toml"])
@pytest.mark.parametrize("name", LOOK_LIKE_SCALARS + PLAIN)
def test_a_folder_named_like_a_yaml_scalar_makes_a_valid_config_of_that_name(
    tmp_path: Path, name: str, config_format: str
) -> None:
    code, output = invoke("init", str(tmp_path / name), "--format", config_format)
    assert code == 0, output
    config = tmp_path / name / f"pipeline.{config_format}"
    assert pipeflow.load(config).name == name.lstrip("-")  # a folder `-1` makes `1`
    code, output = invoke("init", str(tmp_path / "named"), "--name", name, "--force")
    assert code == 0, output
    assert pipeflow.load(tmp_path / "named" / "pipeline.yaml").name == name
    if name in PLAIN and config_format == "yaml":
        assert f"\nname: {name}\n" in config.read_text()  # quoted only where YAML asks


def test_the_starter_project_named_123_validates_and_runs(tmp_path: Path) -> None:
    assert run_pipeflow("init", "123", cwd=tmp_path).returncode == 0
    for command in ("validate", "run"):
        done = run_pipeflow(command, "123/pipeline.yaml", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    assert 'name: "123"\n' in (tmp_path / "123" / "pipeline.yaml").read_text()


def test_steps_named_like_yaml_scalars_are_added_as_those_names(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path))
    assert code == 0, output
    config = tmp_path / "pipeline.yaml"
    names = ["yes", "null", "on", "true", "off", "no"]
    for name in names:
        code, output = invoke("init", "--step", name, "--config", str(config))
        assert code == 0, output
    code, output = invoke(
        "init", "--step", "last", "--config", str(config), "--input", "on", "--after", "null"
    )
    assert code == 0, output
    steps = read_document(config).data["steps"]
    assert [name for name in steps if name in names] == names
    assert steps["last"] == {
        "run": "steps.pipeline.last",
        "inputs": {"on": "${steps.on}"},
        "after": ["null"],
    }
    assert sorted(pipeflow.load(config).steps) == sorted([*names, "last", *_STARTER_STEPS])


_STARTER_STEPS = ["make_numbers", "scale", "summarize"]

# Every spelling YAML gives a meaning of its own, as a value and as a key.
SPELLINGS = [
    *LOOK_LIKE_SCALARS, "", " ", "a: b", "a:b", "#x", "a #x", "*x", "&x", "!x", "!!str", "%x",
    "@x", "`x", "- x", "-", "?", "? x", ":", "|", ">", "~", "[x]", "{x}", "x, y", "'x", '"x',
    "x'", "2026-01-01", "1:30", ".inf", "-.Inf", ".nan", "=", "<<", " x", "x ", "a\nb", "é",
    "\\", "\t", "0.5", "+1", "0777",
]  # fmt: skip


@pytest.mark.parametrize("text", SPELLINGS + PLAIN)
def test_every_spelling_reads_back_as_the_same_string(text: str) -> None:
    written = scalar(text)
    assert load(f"key: {written}") == {"key": text}
    assert load(f"{written}: 1") == {text: 1}
    assert load(f"[{written}]") == [text]
    if text in PLAIN:
        assert written == text
