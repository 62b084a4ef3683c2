"""`params_schema` checks a param that `${run.*}` fills in (`${run.date}`, `${run.id}`, a text
that holds one) as the value the run gives it, not as the reference's text: a schema written
for the real value passes `validate` and the run, and one the real value breaks is refused by
`validate` and by `run` before any step runs, in YAML and TOML alike, and for a sub-pipeline
that gets such a param from its parent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.system import pipeflow_in as pipeflow

STEPS = (
    "from pathlib import Path\n\n\n"
    "def echo(v):\n"
    "    Path(__file__).with_name('ran').write_text(str(v))\n"
    "    return str(v)\n"
)

# (YAML, TOML) of `params:` and `params_schema:`, a param per kind of run-filled value.
PARAMS_YAML = 'params: {started: "${run.date}", rid: "${run.id}", tag: "nightly-${run.id}"}\n'
PARAMS_TOML = '[params]\nstarted = "${run.date}"\nrid = "${run.id}"\ntag = "nightly-${run.id}"\n'

# What the run's values meet: each pattern fails on the reference's own text.
FITTING = {
    "started": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"},
    "rid": {"type": "string", "pattern": "^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"},
    "tag": {"type": "string", "pattern": "^nightly-[0-9]{8}-"},
}
# What the run's values break, each passing the reference's own text.
BROKEN = {
    "started": {"type": "string", "maxLength": 15},
    "rid": {"type": "string", "pattern": "^[$]"},
    "tag": {"type": "string", "maxLength": 20},
}


def project(folder: Path, kind: str, name: str, rule: dict[str, object]) -> Path:
    (folder / "st").mkdir(exist_ok=True)
    (folder / "st" / "__init__.py").write_text("")
    (folder / "st" / "e.py").write_text(STEPS)
    if kind == "yaml":
        text = (
            f"name: p\n{PARAMS_YAML}"
            f"params_schema:\n  properties:\n    {name}: {_flow(rule)}\n"
            f'steps:\n  b: {{run: st.e.echo, inputs: {{v: "${{params.{name}}}"}}}}\n'
        )
    else:
        rules = ", ".join(f'{key} = "{value}"' for key, value in rule.items() if key != "maxLength")
        if "maxLength" in rule:
            rules += f", maxLength = {rule['maxLength']}"
        text = (
            f'name = "p"\n{PARAMS_TOML}'
            f"[params_schema.properties]\n{name} = {{{rules}}}\n"
            f'[steps.b]\nrun = "st.e.echo"\ninputs = {{v = "${{params.{name}}}"}}\n'
        )
    config = folder / f"p.{kind}"
    config.write_text(text)
    return config


def _flow(rule: dict[str, object]) -> str:
    return "{" + ", ".join(f"{key}: {json.dumps(value)}" for key, value in rule.items()) + "}"


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("name", sorted(FITTING))
def test_a_schema_the_runs_value_meets_is_accepted(tmp_path: Path, kind: str, name: str) -> None:
    config = project(tmp_path, kind, name, FITTING[name])

    checked = pipeflow(tmp_path, "validate", config.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = pipeflow(tmp_path, "run", config.name, "-q")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert (tmp_path / "st" / "ran").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_schema_the_runs_value_breaks_is_refused_before_any_step_runs(
    tmp_path: Path, kind: str, name: str
) -> None:
    config = project(tmp_path, kind, name, BROKEN[name])
    reference = {"started": "${run.date}", "rid": "${run.id}", "tag": "nightly-${run.id}"}[name]

    for command in ("validate", "run"):
        result = pipeflow(tmp_path, command, config.name)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"error at `params.{name}`: param `{name}` = {reference}" in result.stderr
        assert "as the run fills it in" in result.stderr
    assert not (tmp_path / "st" / "ran").exists()


def test_a_sub_pipeline_checks_a_run_param_from_its_parent_as_the_runs_value(
    tmp_path: Path,
) -> None:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / "child.yaml").write_text(
        "name: child\nparams: {day: null}\n"
        "params_schema:\n  properties:\n"
        '    day: {type: string, pattern: "^[0-9]{4}-"}\n'
        'steps:\n  f: {run: st.e.echo, inputs: {v: "${params.day}"}}\n'
    )
    (tmp_path / "parent.yaml").write_text(
        'name: parent\nparams: {started: "${run.date}"}\n'
        'steps:\n  c: {pipeline: child.yaml, params: {day: "${params.started}"}}\n'
    )

    checked = pipeflow(tmp_path, "validate", "parent.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = pipeflow(tmp_path, "run", "parent.yaml", "-q")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert (tmp_path / "st" / "ran").exists()
