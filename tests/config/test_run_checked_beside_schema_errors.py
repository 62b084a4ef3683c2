"""A step with a schema error (a misspelt key, a negative `retries`) still has its `run:`
checked: a module or attribute that does not exist, or one the allow rule refuses, is reported
in the same report, in YAML and TOML alike, so fixing the first problem does not reveal a
second. Its inputs are still not checked against the function (a misspelt `inputs` would
bring a confusing "missing input"), and a `run:` that is itself wrong is reported once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system import pipeflow_in as pipeflow

YAML = """\
name: p
steps:
  a:
    run: st.nothere.a
    inputz: {x: 1}
  b:
    run: st.e.nope
    retries: -1
  c:
    run: os.system
    retires: 1
  d:
    run: st.e.echo
    inputz: {v: 1}
  e:
    run: 5
    retires: 1
"""
TOML = """\
name = "p"
[steps.a]
run = "st.nothere.a"
inputz = {x = 1}
[steps.b]
run = "st.e.nope"
retries = -1
[steps.c]
run = "os.system"
retires = 1
[steps.d]
run = "st.e.echo"
inputz = {v = 1}
[steps.e]
run = 5
retires = 1
"""


@pytest.mark.parametrize(("name", "text"), [("p.yaml", YAML), ("p.toml", TOML)])
def test_the_run_of_a_step_with_a_schema_error_is_checked_too(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def echo(v):\n    return v\n")
    (tmp_path / name).write_text(text)

    result = pipeflow(tmp_path, "validate", name)
    assert result.returncode == 2
    errors = [
        line.split(": error at ", 1)[1] for line in result.stderr.splitlines() if " error " in line
    ]
    paths = [error.split("`")[1] for error in errors]
    assert paths == [
        "steps.a.run",
        "steps.a.inputz",
        "steps.b.run",
        "steps.b.retries",
        "steps.c.run",
        "steps.c.retires",
        "steps.d.inputz",
        "steps.e.run",
        "steps.e.retires",
    ], result.stderr
    assert "no module named `st.nothere`" in errors[0]
    assert "`st.e` has no attribute `nope`" in errors[2]
    assert "allow_imports" in result.stderr  # os.system is refused, as in any step
    assert "missing input" not in result.stderr  # d's inputs are not checked


SETTINGS = """\
name: p
steps:
  a:
    run: st.e.echo
    inputs: {v: 1, z: 2}
    retry_delay: 1w
    cache: "yes"
    tags: [1]
  b:
    run: st.e.echo
    inputs: {}
    result: {format: xml}
"""


def test_a_step_whose_schema_error_is_in_a_setting_has_its_inputs_checked_too(
    tmp_path: Path,
) -> None:
    """An error in `retry_delay`, `cache`, `tags` or `result` has nothing to do with the
    inputs: an unknown or missing input is reported in the same report."""
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def echo(v):\n    return v\n")
    (tmp_path / "p.yaml").write_text(SETTINGS)

    result = pipeflow(tmp_path, "validate", "p.yaml")
    assert result.returncode == 2
    errors = [
        line.split(": error at ", 1)[1] for line in result.stderr.splitlines() if " error " in line
    ]
    assert [error.split("`")[1] for error in errors] == [
        "steps.a.inputs.z",
        "steps.a.retry_delay",
        "steps.a.cache",
        "steps.a.tags[0]",
        "steps.b.inputs",
        "steps.b.result.format",
    ], result.stderr
    assert "unknown input `z`" in errors[0]
    assert "missing input `v`" in errors[4]


UNKNOWN_KEYS_YAML = """\
name: p
steps:
  a:
    run: st.e.echo
    inputs: {v: 1, z: 2}
    retires: 1
  b:
    run: st.e.echo
    descripton: the b step
  c:
    run: st.e.echo
    inputz: {v: 1}
  d:
    run: st.e.echo
    input: {v: 1}
  e:
    run: st.e.echo
    foreach: [1, 2]
    ass: v
"""
UNKNOWN_KEYS_TOML = """\
name = "p"
[steps.a]
run = "st.e.echo"
inputs = {v = 1, z = 2}
retires = 1
[steps.b]
run = "st.e.echo"
descripton = "the b step"
[steps.c]
run = "st.e.echo"
inputz = {v = 1}
[steps.d]
run = "st.e.echo"
input = {v = 1}
[steps.e]
run = "st.e.echo"
foreach = [1, 2]
ass = "v"
"""


@pytest.mark.parametrize(
    ("name", "text"), [("p.yaml", UNKNOWN_KEYS_YAML), ("p.toml", UNKNOWN_KEYS_TOML)]
)
def test_an_unknown_key_far_from_inputs_leaves_the_inputs_checked(
    tmp_path: Path, name: str, text: str
) -> None:
    """A misspelt `retries` or `description` has nothing to do with the inputs: an unknown or
    missing input is reported beside it. A key that reads like `inputs`, `foreach` or `as`
    (`inputz`, `input`, `ass`) still holds that check back: it would report as missing the
    input the user gave under it."""
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def echo(v):\n    return v\n")
    (tmp_path / name).write_text(text)

    result = pipeflow(tmp_path, "validate", name)
    assert result.returncode == 2
    errors = [
        line.split(": error at ", 1)[1] for line in result.stderr.splitlines() if " error " in line
    ]
    assert [error.split("`")[1] for error in errors] == [
        "steps.a.inputs.z",
        "steps.a.retires",
        "steps.b.inputs",
        "steps.b.descripton",
        "steps.c.inputz",
        "steps.d.input",
        "steps.e.ass",
    ], result.stderr
    assert "unknown input `z`" in errors[0]
    assert "missing input `v`" in errors[2]


def test_the_keys_that_hold_back_the_inputs_check_are_the_schemas_step_keys() -> None:
    """`held_back.py` knows every step key by name: a key added to the schema must be sorted
    there (does its error leave the inputs to check or not?)."""
    from pipeflow.config import held_back
    from pipeflow.config.schema import definitions

    assert set(held_back._KNOWN) == set(definitions()["step"]["properties"])
