"""A YAML key that reads as a boolean or null is refused where it is written (exit 2), with the
key as written and the hint to quote it: YAML 1.1 reads `on`, `off`, `yes` and `no` as
booleans, so `params: {on: true}` declared a param named True. Before, validation then said
"`${params.on}` names no param `on`; did you mean `n`?", `unknown key True` for a step key,
and a boolean input name (`inputs: {yes: 1}`) crashed `validate` with a traceback. Numbers
stay keys (a label map `{0: setosa}` is data)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

STEPS = """
def show(n, labels=None):
    return [n, labels]
"""

PLACES = {
    "a param": ("params: {KEY: 1}\n", "inputs: {n: 1}", "params"),
    "an input": ("", "inputs: {n: 1, KEY: 1}", "steps.show.inputs"),
    "a step's key": ("", "inputs: {n: 1}, KEY: 1", "steps.show"),
    "inside a literal value": ("", "inputs: {n: 1, labels: {KEY: a}}", "steps.show.inputs.labels"),
}
SPELLINGS = {
    "on": "true",
    "Off": "false",
    "yes": "true",
    "NO": "false",
    "true": "true",
    "False": "false",
    "null": "null",
    "~": "null",
}


def validate(folder: Path, top: str, step: str) -> tuple[int, str]:
    (folder / "ksteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(f"name: keys\n{top}steps:\n  show: {{run: ksteps.show, {step}}}\n")
    result = CliRunner().invoke(cli, ["validate", str(config)])
    return result.exit_code, result.output


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_key_that_yaml_reads_as_a_boolean_or_null_is_refused(
    tmp_path: Path, place: str, spelling: str
) -> None:
    top, step, where = PLACES[place]
    code, output = validate(tmp_path, top.replace("KEY", spelling), step.replace("KEY", spelling))
    assert code == 2, output
    reads = SPELLINGS[spelling]
    assert f"error at `{where}" in output, output
    assert f"the key `{spelling}` reads as {reads} in YAML, not as text" in output, output
    assert f'quote it to keep it as text: `"{spelling}": ...`' in output, output
    assert "Traceback" not in output, output
    assert "did you mean" not in output, output  # the key is taken as written, once quoted
    quoted = validate(
        tmp_path,
        top.replace("KEY", f'"{spelling}"'),
        step.replace("KEY", f'"{spelling}"'),
    )
    if place in ("a param", "inside a literal value"):
        assert quoted[0] == 0, quoted[1]
    else:  # now a text key, judged as any other
        assert quoted[0] == 2, quoted[1]
        assert "reads as" not in quoted[1], quoted[1]


def test_number_keys_in_a_literal_value_are_data(tmp_path: Path) -> None:
    code, output = validate(tmp_path, "", "inputs: {n: 1, labels: {0: setosa, 1.5: b}}")
    assert code == 0, output


def test_a_boolean_key_in_a_params_file_or_a_sub_pipeline_is_refused_there(
    tmp_path: Path,
) -> None:
    """Every YAML file pipeflow reads takes the same rule: a `--param-file`, and the config of
    a sub-pipeline (reported at its own lines)."""
    (tmp_path / "ksteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "child.yaml").write_text(
        "name: child\nparams: {n: 1}\nsteps:\n  show: {run: ksteps.show, inputs: {n: 1, on: 2}}\n"
    )
    (tmp_path / "pipeline.yaml").write_text(
        "name: keys\nparams: {cfg: {a: 1}}\nsteps:\n  sub: {pipeline: child.yaml}\n"
    )
    (tmp_path / "over.yaml").write_text("cfg: {yes: 2}\n")
    result = CliRunner().invoke(
        cli,
        ["validate", str(tmp_path / "pipeline.yaml"), "--param-file", str(tmp_path / "over.yaml")],
    )
    assert result.exit_code == 2, result.output
    assert "over.yaml:1:7: error at `cfg.yes`: the key `yes` reads as true in YAML" in (
        result.output
    )
    assert "child.yaml:4:43: error at `steps.show.inputs.on`: the key `on` reads as true" in (
        result.output
    )
    assert "Traceback" not in result.output
