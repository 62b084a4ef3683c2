"""An integer param given a float that is a whole number (`2.0`, `1e2`) gets the int.

JSON Schema counts 2.0 an integer, so a `params_schema` `type: integer` let it through and the
step received the float; against an int default it was refused as "a number" with no hint.
Either way the param is now the int (`2`, `100`), from `--param`, a params file or Python;
a float that is not whole (`1.5`) is refused, saying to write a whole number.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def keep(level):
    Path(__file__).with_name("got.txt").write_text(repr(level))
    return level
"""

# How each config says `level` is an integer: by params_schema, or by its default.
CONFIGS = {
    ("yaml", "schema"): (
        "name: p\nparams: {level: null}\n"
        "params_schema: {properties: {level: {type: integer}}}\n"
        'steps:\n  a: {run: levels.keep, inputs: {level: "${params.level}"}}\n'
    ),
    ("yaml", "default"): (
        "name: p\nparams: {level: 1}\n"
        'steps:\n  a: {run: levels.keep, inputs: {level: "${params.level}"}}\n'
    ),
    ("toml", "schema"): (
        'name = "p"\n[params]\nlevel = 1\n[params_schema.properties.level]\ntype = "integer"\n'
        '[steps.a]\nrun = "levels.keep"\ninputs = {level = "${params.level}"}\n'
    ),
    ("toml", "default"): (
        'name = "p"\n[params]\nlevel = 1\n'
        '[steps.a]\nrun = "levels.keep"\ninputs = {level = "${params.level}"}\n'
    ),
}
WHOLE = [("2.0", 2), ("1e2", 100), ("1e3", 1000), ("-3.0", -3)]


def _config(folder: Path, kind: str, by: str) -> Path:
    (folder / "levels.py").write_text(STEPS)
    config = folder / f"pipeline.{kind}"
    config.write_text(CONFIGS[kind, by], encoding="utf-8")
    return config


@pytest.mark.parametrize(("kind", "by"), list(CONFIGS))
@pytest.mark.parametrize(("written", "number"), WHOLE)
def test_a_whole_float_for_an_integer_param_is_the_int(
    tmp_path: Path, kind: str, by: str, written: str, number: int
) -> None:
    config = _config(tmp_path, kind, by)
    result = pipeflow_in(tmp_path, "run", config.name, "--param", f"level={written}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "got.txt").read_text() == repr(number)
    for given in (
        {"param_options": [f"level={written}"]},
        {"params": {"level": float(number)}},
    ):
        level = pipeflow.load(config, **given).params["level"]  # type: ignore[arg-type]
        assert level == number
        assert type(level) is int


@pytest.mark.parametrize(("kind", "by"), list(CONFIGS))
def test_a_params_file_float_for_an_integer_param_is_the_int(
    tmp_path: Path, kind: str, by: str
) -> None:
    config = _config(tmp_path, kind, by)
    (tmp_path / "given.json").write_text(json.dumps({"level": 4.0}))
    level = pipeflow.load(config, param_files=tmp_path / "given.json").params["level"]
    assert (level, type(level)) == (4, int)


@pytest.mark.parametrize(("kind", "by"), list(CONFIGS))
@pytest.mark.parametrize("written", ["1.5", "2.5e-1"])
def test_a_float_that_is_not_whole_is_refused_saying_to_write_a_whole_number(
    tmp_path: Path, kind: str, by: str, written: str
) -> None:
    config = _config(tmp_path, kind, by)
    result = pipeflow_in(tmp_path, "validate", config.name, "--param", f"level={written}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "hint: give `level` a whole number" in result.stderr, result.stderr


@pytest.mark.parametrize("by", ["schema", "default"])
def test_a_float_param_stays_a_float(tmp_path: Path, by: str) -> None:
    (tmp_path / "levels.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    text = CONFIGS["yaml", by].replace("integer", "number").replace("level: 1}", "level: 1.0}")
    config.write_text(text, encoding="utf-8")
    level = pipeflow.load(config, param_options=["level=2.0"]).params["level"]
    assert (level, type(level)) == (2.0, float)
