"""A NUL character in a path the config names (`results.root`, a step's `result.root`,
`reads:`, `writes:`, a sub-pipeline's `pipeline:`), written in YAML (`"\\0"`) or TOML
(`"\\u0000"`) or coming from a param, is one problem at its line (exit 2, nothing run). Before,
`validate` and `run` ended in a ValueError traceback ("embedded null byte") from the OS."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

STEPS = "def one():\n    return 1\n"

# field -> (its YAML line, its TOML lines, where the problem is), the value holding NUL.
PLACES = {
    "results.root": (
        'results: {root: "VALUE"}\nsteps:\n  a: {run: nul_steps.one}\n',
        'results = {root = "VALUE"}\n[steps.a]\nrun = "nul_steps.one"\n',
        "results.root",
    ),
    "result.root": (
        'steps:\n  a: {run: nul_steps.one, result: {root: "VALUE"}}\n',
        '[steps.a]\nrun = "nul_steps.one"\nresult = {root = "VALUE"}\n',
        "steps.a.result.root",
    ),
    "writes": (
        'steps:\n  a: {run: nul_steps.one, writes: ["VALUE"]}\n',
        '[steps.a]\nrun = "nul_steps.one"\nwrites = ["VALUE"]\n',
        "steps.a.writes[0]",
    ),
    "reads": (
        'steps:\n  a: {run: nul_steps.one, reads: ["VALUE"]}\n',
        '[steps.a]\nrun = "nul_steps.one"\nreads = ["VALUE"]\n',
        "steps.a.reads[0]",
    ),
    "pipeline": (
        'steps:\n  a: {pipeline: "VALUE.yaml"}\n',
        '[steps.a]\npipeline = "VALUE.yaml"\n',
        "steps.a.pipeline",
    ),
}


def _config(tmp_path: Path, place: str, kind: str) -> Path:
    (tmp_path / "nul_steps.py").write_text(STEPS, encoding="utf-8")
    yaml, toml, _ = PLACES[place]
    if kind == "yaml":
        text = "name: nul\n" + yaml.replace("VALUE", "out\\0x")
    else:
        text = 'name = "nul"\n' + toml.replace("VALUE", "out\\u0000x")
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_nul_in_a_path_is_one_problem_where_it_is_written(
    tmp_path: Path, place: str, kind: str
) -> None:
    config = _config(tmp_path, place, kind)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    problems = raised.value.problems
    assert [p.path for p in problems] == [PLACES[place][2]], raised.value.format()
    assert "NUL character" in problems[0].message
    assert problems[0].line is not None


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_the_commands_say_so_without_a_traceback(tmp_path: Path, place: str, command: str) -> None:
    config = _config(tmp_path, place, "yaml")
    done = pipeflow_in(tmp_path, command, config.name)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "NUL character" in done.stderr
    assert "Traceback" not in done.stderr
    assert "1 problem found; nothing was run." in done.stderr


@pytest.mark.parametrize("field", ["writes", "root"])
def test_a_nul_from_a_param_is_refused_too(tmp_path: Path, field: str) -> None:
    (tmp_path / "nul_steps.py").write_text(STEPS, encoding="utf-8")
    where = (
        "results: {root: '${params.place}'}\nsteps:\n  a: {run: nul_steps.one}\n"
        if field == "root"
        else "steps:\n  a: {run: nul_steps.one, writes: ['${params.place}']}\n"
    )
    (tmp_path / "pipeline.yaml").write_text(
        f"name: nul\nparams: {{place: out}}\n{where}", encoding="utf-8"
    )
    done = pipeflow_in(tmp_path, "run", "pipeline.yaml", "--param", 'place="out\\0x"')
    assert done.returncode == 2, done.stdout + done.stderr
    assert "NUL character" in done.stderr
    assert "Traceback" not in done.stderr
