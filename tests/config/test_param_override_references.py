"""The params a run is given from outside the config (`--param`, a params file in JSON, YAML
or TOML, `params=` in `load` and `run`) are values, as a schedule's params are: no `${...}`
in them is resolved. Before, `--param 'out=${env.HOME}/x'` or `{"token": "${env.TOKEN}"}`
in a params file reached the step as that text, with `validate` and `run` silent. Each is now
refused where it is written, with what to do; `$${` is a literal `${` there, as in every
field of a config (a schedule's params passed `$${` on as two dollars), and GitHub's
`${{ ... }}` is text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import json
from pathlib import Path


def show(tag, names):
    Path(__file__).with_name("shown.json").write_text(json.dumps([tag, names]))
    return [tag, names]
"""

YAML = """
name: given
params:
  tag: a
  names: [x, y]
steps:
  show:
    run: gsteps.show
    inputs: {tag: "${params.tag}", names: "${params.names}"}
schedules:
  - interval: 1h
    params: {tag: "%s"}
"""

TOML = """
name = "given"
[params]
tag = "a"
names = ["x", "y"]
[steps.show]
run = "gsteps.show"
inputs = {tag = "${params.tag}", names = "${params.names}"}
[[schedules]]
interval = "1h"
[schedules.params]
tag = "%s"
"""

REFERENCES = ["${env.HOME}", "runs/${run.id}", "${params.names}", "${parms.tag}", "a${x}"]
PARAM_FILES = {
    "p.json": lambda tag, names: json.dumps({"tag": tag, "names": names}),
    "p.yaml": lambda tag, names: f"tag: '{tag}'\nnames: {json.dumps(names)}\n",
    "p.toml": lambda tag, names: f"tag = '{tag}'\nnames = {json.dumps(names)}\n",
}
HINT = "write the reference in the param's default under `params:`"


def _project(make_project: ProjectFactory, kind: str, scheduled: str = "s") -> Path:
    text = (YAML if kind == "yaml" else TOML) % scheduled
    return make_project(text, name=f"pipeline.{kind}", gsteps=STEPS)


def _shown(config: Path) -> list[object]:
    return json.loads((config.parent / "shown.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("value", REFERENCES)
def test_a_reference_in_a_param_option_is_refused(make_project: ProjectFactory, value: str) -> None:
    config = _project(make_project, "yaml")
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, config.name, "--param", f"tag={value}")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "error at `params.tag`" in result.stderr
        assert "no `${...}` in it is resolved" in result.stderr
        assert f"(from --param tag={value})" in result.stderr
        assert HINT in result.stderr
        assert "$${" in result.stderr  # how to write a literal `${`
        assert not (config.parent / "shown.json").exists()


@pytest.mark.parametrize("file", sorted(PARAM_FILES))
@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_reference_in_a_params_file_is_refused_at_its_line(
    make_project: ProjectFactory, file: str, kind: str
) -> None:
    config = _project(make_project, kind)
    (config.parent / file).write_text(PARAM_FILES[file]("ok", ["x", "${env.HOME}"]))
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, config.name, "--param-file", file)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"{file}:" in result.stderr
        assert "error at `names[1]`" in result.stderr
        assert "no `${...}` in it is resolved" in result.stderr
        assert HINT in result.stderr
        assert not (config.parent / "shown.json").exists()
    with pytest.raises(pipeflow.ConfigError, match=re.escape("no `${...}` in it is resolved")):
        pipeflow.load(config, param_files=[config.parent / file])


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_reference_in_params_given_in_python_is_refused(
    make_project: ProjectFactory, kind: str
) -> None:
    config = _project(make_project, kind)
    with pytest.raises(pipeflow.ConfigError, match="params passed to load") as raised:
        pipeflow.load(config, params={"names": ["${env.HOME}"]})
    assert HINT in str(raised.value)
    pipeline = pipeflow.load(config)
    with pytest.raises(pipeflow.ConfigError, match="params passed to run"):
        pipeline.run(params={"tag": "${run.id}"})
    assert not (config.parent / "shown.json").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_literal_dollar_brace_reaches_the_step_from_every_channel(
    make_project: ProjectFactory, kind: str
) -> None:
    """`$${` is `${` wherever params are given; `${{ ... }}` and a lone `$` are text."""
    config = _project(make_project, kind, scheduled="$${sched} ${{ secrets.X }}")
    expected = ["${t} ${{ secrets.Y }}", ["${n}", "$ {m}"]]

    given = ("--param", "tag=$${t} ${{ secrets.Y }}", "--param", "names=['$${n}', '$ {m}']")
    result = pipeflow_in(config.parent, "run", config.name, *given)
    assert result.returncode == 0, result.stderr
    assert _shown(config) == expected

    for file, text in PARAM_FILES.items():
        (config.parent / file).write_text(text("$${t} ${{ secrets.Y }}", ["$${n}", "$ {m}"]))
        result = pipeflow_in(config.parent, "run", config.name, "--param-file", file)
        assert result.returncode == 0, result.stderr
        assert _shown(config) == expected, file

    params = {"tag": "$${t} ${{ secrets.Y }}", "names": ["$${n}", "$ {m}"]}
    assert pipeflow.load(config, params=params).run().output("show") == expected
    assert pipeflow.load(config).run(params=params).output("show") == expected

    scheduled = pipeflow.load(config, schedule=1).run()
    assert scheduled.output("show") == ["${sched} ${{ secrets.X }}", ["x", "y"]]
