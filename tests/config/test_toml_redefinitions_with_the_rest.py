"""A key or table a TOML config defines twice is reported with every other problem of the file,
as a YAML duplicate key is (SPEC 3: all problems at once; YAML and TOML mean the same): before,
it was the only problem `validate` told, and the others waited for the next run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.system import pipeflow_in

STEPS = "def add(a, b=1):\n    return a + b\n"

YAML = """\
name: t
descripton: x
params:
  x: 1
  x: 2
steps:
  one:
    run: st.add
    inputs: {a: 1, a: 3, c: 2}
  two:
    run: st.nope
  one:
    run: st.add
"""

TOML = """\
name = "t"
descripton = "x"
[params]
x = 1
x = 2
[steps.one]
run = "st.add"
inputs = {a = 1, a = 3, c = 2}
[steps.two]
run = "st.nope"
[steps.one]
run = "st.add"
"""

# (line, path) of each problem. The YAML reader keeps the last of two keys, the TOML one the
# first: YAML's second `one` has no `inputs` (`a` is missing), TOML's first has `c` unknown.
EXPECTED = {
    "yaml": [
        (2, "descripton"),
        (5, "params.x"),
        (9, "steps.one.inputs"),
        (9, "steps.one.inputs.a"),
        (11, "steps.two.run"),
        (12, "steps.one"),
    ],
    "toml": [
        (2, "descripton"),
        (5, "params.x"),
        (8, "steps.one.inputs.a"),
        (8, "steps.one.inputs.c"),
        (10, "steps.two.run"),
        (11, "steps.one"),
    ],
}


def validate(folder: Path, config: str) -> subprocess.CompletedProcess[str]:
    return pipeflow_in(folder, "validate", config, "--format", "json")


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_duplicate_is_reported_with_every_other_problem(tmp_path: Path, spelling: str) -> None:
    (tmp_path / "st.py").write_text(STEPS)
    (tmp_path / f"p.{spelling}").write_text(YAML if spelling == "yaml" else TOML)
    result = validate(tmp_path, f"p.{spelling}")
    assert result.returncode == 2, result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert [(p["line"], p["path"]) for p in problems] == EXPECTED[spelling], problems
    assert not (tmp_path / "data").exists()  # nothing written, no step run


@pytest.mark.parametrize(
    ("text", "told"),
    [
        # A table defined twice: its second header and the keys under it are left out.
        ('[steps.a]\nrun = "st.add"\n[steps.a]\nrun = "st.add"\n[steps.b]\nrun = "st.no"\n', 3),
        # A key twice in an inline table, the comma before it left out too.
        ('[steps.a]\nrun = "st.add"\ninputs = { a = 1 , a = 2, z = 3 }\n', 2),
        # A dotted key after a whole inline table.
        ('[steps.a]\nrun = "st.add"\ninputs = { a = 1 }\ninputs.z = 2\n[steps.b]\nrun = 3\n', 2),
    ],
    ids=["table", "inline-key", "dotted-key"],
)
def test_what_follows_a_redefinition_is_checked_too(tmp_path: Path, text: str, told: int) -> None:
    (tmp_path / "st.py").write_text(STEPS)
    (tmp_path / "p.toml").write_text('name = "t"\n' + text)
    result = validate(tmp_path, "p.toml")
    assert result.returncode == 2, result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert len(problems) == told, problems


def test_a_syntax_error_after_a_redefinition_still_exits_2_with_the_redefinition(
    tmp_path: Path,
) -> None:
    (tmp_path / "p.toml").write_text('name = "t"\nname = "u"\n[[[ not toml\n')
    result = validate(tmp_path, "p.toml")
    assert result.returncode == 2, result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert problems[0]["message"].startswith("duplicate key `name`"), problems
