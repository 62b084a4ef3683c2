"""A target whose extension comes from a param (`target: "{params.out}"`, `data.{params.kind}`).

Its format could not be told from the template's text, so every such config was refused
(exit 2: "cannot tell the format of `{params.out}` from its extension"), whatever the param's
value. The format is now told from the target as the params render it: `out: result.json`
stores JSON at `result.json`, on every executor. A value with no extension the formats table
knows is still refused before anything runs, and the message names the param, its value and
what to do; YAML and TOML, the API and the command line alike.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture executor_spec uses)
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

STEPS = """
def make():
    return [1, 2, 3]
"""

YAML = """\
name: targets
params: {{out: result.json, kind: json}}
results: {{root: out}}
executor: {executor}
steps:
  whole: {{run: psteps.make, result: {{target: "{{params.out}}"}}}}
  tail: {{run: psteps.make, result: {{target: "tables/t.{{params.kind}}"}}}}
"""

TOML = """\
name = "targets"
executor = {executor}
params = {{out = "result.json", kind = "json"}}
results = {{root = "out"}}

[steps.whole]
run = "psteps.make"
result = {{target = "{{params.out}}"}}

[steps.tail]
run = "psteps.make"
result = {{target = "tables/t.{{params.kind}}"}}
"""


def project(tmp_path: Path, spelling: str, spec: str) -> Path:
    (tmp_path / "psteps.py").write_text(textwrap.dedent(STEPS))
    if spelling == "toml":  # `{type: dask, address: "tcp://..."}` -> `{type = "dask", ...}`
        spec = re.sub(r"type: (\w+)", r'type = "\1"', spec).replace(": ", " = ")
        config = tmp_path / "pipeline.toml"
        config.write_text(TOML.format(executor=spec))
    else:
        config = tmp_path / "pipeline.yaml"
        config.write_text(YAML.format(executor=spec))
    return config


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_the_format_follows_the_extension_the_param_gives(
    tmp_path: Path, spelling: str, executor: str, request: pytest.FixtureRequest
) -> None:
    config = project(tmp_path, spelling, executor_spec(executor, request))
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
    assert json.loads((tmp_path / "out" / "result.json").read_text()) == [1, 2, 3]
    assert (tmp_path / "out" / "tables" / "t.json").is_file()
    assert run.output("whole") == [1, 2, 3]

    done = pipeflow_in(tmp_path, "run", config.name, "--param", "out=other/r.json", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "out" / "other" / "r.json").read_text()) == [1, 2, 3]
    shown = pipeflow_in(tmp_path, "result", config.name, "whole", "--param", "out=other/r.json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "other/r.json" in shown.stdout


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_param_with_no_known_extension_is_refused_naming_it(
    tmp_path: Path, spelling: str
) -> None:
    config = project(tmp_path, spelling, "{type: sequential}")
    with pytest.raises(pipeflow.ConfigError) as refused:
        pipeflow.load(config).run(params={"out": "result"}, history=False)
    message = str(refused.value)
    assert "`params.out` is 'result'" in message, message
    assert "steps.whole.result.target" in message
    assert not (tmp_path / "out").exists()  # nothing run, nothing written

    for command in ("run", "validate"):
        refused_cli = pipeflow_in(tmp_path, command, config.name, "--param", "kind=table")
        assert refused_cli.returncode == 2, refused_cli.stdout + refused_cli.stderr
        assert "`params.kind`" in refused_cli.stderr, refused_cli.stderr
        assert "'table'" in refused_cli.stderr
        assert "steps.tail.result.target" in refused_cli.stderr
        assert "Traceback" not in refused_cli.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["../x.json", "/abs.json", "models/"])
def test_a_refused_path_is_not_also_told_it_has_no_extension(tmp_path: Path, value: str) -> None:
    config = project(tmp_path, "yaml", "{type: sequential}")
    refused = pipeflow_in(tmp_path, "validate", config.name, "--param", f"out={value}")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "1 problem found" in refused.stderr, refused.stderr
    assert "cannot tell the format" not in refused.stderr
