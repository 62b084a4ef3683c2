"""A param that `params_schema` wants as text, given what YAML reads as another type, is told
to quote it, as one with a text default is: `--param code=007` is the int 7 to YAML, and the
message "7 is not of type 'string'" alone does not say why. (A date is checked as its ISO
text, which a string schema takes.) From `--param`, a params file and
Python's `param_options`, for YAML and TOML configs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = "def keep(code):\n    return code\n"
CONFIGS = {
    "yaml": (
        "name: p\nparams: {code: null}\n"
        "params_schema: {properties: {code: {type: string}}}\n"
        'steps:\n  a: {run: codes.keep, inputs: {code: "${params.code}"}}\n'
    ),
    # TOML has no null: the param is given without a default (`--allow-extra-params`).
    "toml": (
        'name = "p"\n[params]\nseed = 1\n[params_schema.properties.code]\ntype = "string"\n'
        '[steps.a]\nrun = "codes.keep"\ninputs = {code = "${params.seed}"}\n'
    ),
}
# (as given on the command line, as the hint quotes it)
WRITTEN = [("007", "007"), ("1.50", "1.50"), ("off", "off")]


def _config(folder: Path, kind: str) -> Path:
    (folder / "codes.py").write_text(STEPS)
    config = folder / f"pipeline.{kind}"
    config.write_text(CONFIGS[kind], encoding="utf-8")
    return config


@pytest.mark.parametrize("kind", list(CONFIGS))
@pytest.mark.parametrize(("written", "quoted"), WRITTEN)
def test_a_schema_text_param_given_no_text_is_told_to_quote_it(
    tmp_path: Path, kind: str, written: str, quoted: str
) -> None:
    config = _config(tmp_path, kind)
    result = pipeflow_in(
        tmp_path, "validate", config.name, "--allow-extra-params", "--param", f"code={written}"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    hint = f'quote it to keep it text, as params_schema wants: `"{quoted}"`'
    assert hint in result.stderr, result.stderr
    assert f"--param 'code=\"{quoted}\"'" in result.stderr, result.stderr
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config, param_options=[f"code={written}"], allow_extra_params=True)
    (problem,) = raised.value.problems
    assert problem.hint is not None
    assert problem.hint.startswith(hint)


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_a_params_file_value_is_told_to_quote_it_as_the_file_writes_it(
    tmp_path: Path, kind: str
) -> None:
    config = _config(tmp_path, kind)
    (tmp_path / "given.yaml").write_text("code: 007\n")
    result = pipeflow_in(
        tmp_path, "validate", config.name, "--allow-extra-params", "--param-file", "given.yaml"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert 'quote it to keep it text, as params_schema wants: `"007"`' in result.stderr


def test_a_text_given_to_a_schema_text_param_is_accepted(tmp_path: Path) -> None:
    config = _config(tmp_path, "yaml")
    assert pipeflow.load(config, param_options=['code="007"']).params["code"] == "007"
