"""Params given in Python (`pipeflow.load(params=...)`, `run(params=...)`, `with_params`) are
overrides as `--param` gives them (SPEC 4, 11): a dotted key nests, and each later layer's
mappings merge into the earlier ones key by key. Before, `run(params={"cfg": {"b": ...}})`
replaced the whole `cfg` given to `load`, dropping its other keys, and `{"cfg.b.d": 30}` was
refused as an unknown param `cfg.b.d` with the hint "did you mean `cfg`?"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError
from tests.conftest import ProjectFactory

CONFIG = """
name: layers
params: {cfg: {a: 0, b: {c: 2, d: 3}}, n: 1}
steps:
  show: {run: layersteps.show, inputs: {cfg: "${params.cfg}", n: "${params.n}"}}
"""
STEPS = """
def show(cfg, n):
    return {"cfg": cfg, "n": n}
"""


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG, layersteps=STEPS)


WAYS = {
    "a dotted key to load": lambda path: pipeflow.load(path, params={"cfg.b.d": 30}).run(),
    "a dotted key to run": lambda path: pipeflow.load(path).run(params={"cfg.b.d": 30}),
    "a mapping to load": lambda path: pipeflow.load(path, params={"cfg": {"b": {"d": 30}}}).run(),
    "a mapping to run": lambda path: pipeflow.load(path).run(params={"cfg": {"b": {"d": 30}}}),
    "with_params": lambda path: pipeflow.load(path).with_params({"cfg.b.d": 30}).run(),
}


@pytest.mark.parametrize("way", WAYS)
def test_a_nested_param_set_in_python_is_what_the_cli_sets(config: Path, way: str) -> None:
    cli_run = CliRunner().invoke(cli, ["run", str(config), "-q", "--param", "cfg.b.d=30"])
    assert cli_run.exit_code == 0, cli_run.output
    run = WAYS[way](config)
    assert run.output("show") == {"cfg": {"a": 0, "b": {"c": 2, "d": 30}}, "n": 1}


LAYERED = {
    "load then run": lambda path: pipeflow.load(path, params={"cfg": {"a": 1}}).run(
        params={"cfg": {"b": {"c": 5}}}
    ),
    "load then with_params": lambda path: (
        pipeflow.load(path, params={"cfg.a": 1}).with_params({"cfg": {"b": {"c": 5}}}).run()
    ),
    "one mapping with both spellings": lambda path: pipeflow.load(
        path, params={"cfg": {"a": 1}, "cfg.b.c": 5}
    ).run(),
}


@pytest.mark.parametrize("way", LAYERED)
def test_layers_of_params_in_python_merge_key_by_key(config: Path, way: str) -> None:
    run = LAYERED[way](config)
    assert run.output("show") == {"cfg": {"a": 1, "b": {"c": 5, "d": 3}}, "n": 1}


def test_a_later_layer_wins_over_an_earlier_one(config: Path) -> None:
    run = pipeflow.load(config, params={"cfg.b.d": 30, "n": 2}).run(params={"cfg": {"b": {"d": 4}}})
    assert run.output("show") == {"cfg": {"a": 0, "b": {"c": 2, "d": 4}}, "n": 2}


@pytest.mark.parametrize(
    ("params", "unknown"), [({"cfg.z": 1}, "cfg.z"), ({"cfg.b.zz": 1}, "cfg.b.zz")]
)
def test_an_unknown_dotted_param_is_named_as_the_cli_names_it(
    config: Path, params: dict[str, Any], unknown: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config, params=params)
    assert f"unknown param `{unknown}`" in str(raised.value.format())


PARENT = """
name: parent
params: {cfg: {a: 0}}
steps:
  one: {pipeline: pipeline.yaml, params: {cfg.b.d: 40}}
schedules:
  - interval: 1h
    params: {cfg.a: 7}
"""


def test_a_dotted_key_in_a_file_is_refused_saying_how_to_nest_it(
    config: Path, tmp_path: Path
) -> None:
    """In a config or a params file a key names one param: the hint shows it nested."""
    (tmp_path / "parent.yaml").write_text(PARENT)
    (tmp_path / "over.json").write_text('{"cfg.b": {"c": 1}}')
    parent = CliRunner().invoke(cli, ["validate", str(tmp_path / "parent.yaml")])
    from_file = CliRunner().invoke(
        cli, ["validate", str(config), "--param-file", str(tmp_path / "over.json")]
    )
    assert parent.exit_code == 2, parent.output
    hint = "\n    hint: a dotted key does not nest here: write "
    assert "unknown param `cfg.b.d`" + hint + "`cfg: {b: {d: ...}}`" in parent.output
    assert "unknown param `cfg.a`" + hint + "`cfg: {a: ...}`" in parent.output
    assert from_file.exit_code == 2, from_file.output
    assert "write `cfg: {b: ...}`" in from_file.output, from_file.output


@pytest.mark.parametrize("key", ["3", "1.5", "cfg.b.d"])
def test_a_schedule_param_of_any_key_is_reported_not_a_crash(
    config: Path, tmp_path: Path, key: str
) -> None:
    (tmp_path / "sched.yaml").write_text(
        f"name: sched\nparams: {{cfg: {{b: {{d: 1}}}}}}\nsteps:\n"
        f"  s: {{run: layersteps.show, inputs: {{cfg: 1, n: 1}}}}\n"
        f"schedules:\n  - {{interval: 1h, params: {{{key}: 1}}}}\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "sched.yaml")])
    assert result.exit_code == 2, result.output
    assert f"unknown param `{key}`" in result.output, result.output
    assert "Traceback" not in result.output


NUMBERS = """
name: numbers
params: {n: 1, ratio: 0.5, flag: true, items: [1, 2], cfg: {depth: 2}}
steps:
  show:
    run: numbersteps.show
    inputs:
      n: "${params.n}"
      ratio: "${params.ratio}"
      flag: "${params.flag}"
      items: "${params.items}"
      depth: "${params.cfg.depth}"
"""
NUMBER_STEPS = """
def show(**values):
    return {key: [type(value).__name__, value] for key, value in values.items()}
"""


def test_numpy_numbers_are_params_as_the_python_numbers_they_hold(
    make_project: ProjectFactory,
) -> None:
    """`np.arange`, `np.linspace` and pandas give numpy numbers, which are not Python's ints
    (nor, for float32, its floats): taken as the number they hold, as `--param` gives it, so
    the run's key and record are the CLI's. Before, `np.int64(3)` was refused as "an int64"."""
    np = pytest.importorskip("numpy")
    config = make_project(NUMBERS, numbersteps=NUMBER_STEPS)
    options = ["n=3", "ratio=2", "flag=false", "items=[4, 5]", "cfg.depth=6"]
    cli_run = CliRunner().invoke(
        cli, ["run", str(config), "-q", *(arg for option in options for arg in ("--param", option))]
    )
    assert cli_run.exit_code == 0, cli_run.output
    given = {
        "n": np.int64(3),
        "ratio": np.int32(2),
        "flag": np.bool_(False),
        "items": [np.int64(4), np.uint8(5)],
        "cfg": {"depth": np.int16(6)},
    }
    for run in (
        pipeflow.load(config, params=given).run(),
        pipeflow.load(config).run(params=given),
        pipeflow.load(config).with_params(given).run(),
    ):
        assert run.ok
        assert run.state("show").value == "cached"  # the CLI's key: the same params
        assert run.output("show") == {
            "n": ["int", 3],
            "ratio": ["float", 2.0],
            "flag": ["bool", False],
            "items": ["list", [4, 5]],
            "depth": ["int", 6],
        }
    half = pipeflow.load(config).run(params={"ratio": np.float32(0.25)})
    assert half.output("show")["ratio"] == ["float", 0.25]


PATHS = """
name: paths
params: {data: data/raw.csv}
steps:
  show: {run: pathsteps.show, inputs: {data: "${params.data}"}}
"""
PATH_STEPS = """
def show(data):
    return [type(data).__name__, data]
"""


def test_a_path_for_a_text_param_is_taken_as_its_text(make_project: ProjectFactory) -> None:
    """`params={"data": Path("data/other.csv")}` was refused: "param `data` is a string in the
    defaults; got a PosixPath". A path is the text it holds, as `--param data=...` gives it:
    the same key, and the step gets a `str`."""
    config = make_project(PATHS, pathsteps=PATH_STEPS)
    cli_run = CliRunner().invoke(cli, ["run", str(config), "-q", "--param", "data=data/other.csv"])
    assert cli_run.exit_code == 0, cli_run.output
    given = {"data": Path("data/other.csv")}
    for run in (
        pipeflow.load(config, params=given).run(),
        pipeflow.load(config).run(params=given),
        pipeflow.load(config).with_params(given).run(),
    ):
        assert run.ok
        assert run.state("show").value == "cached"
        assert run.output("show") == ["str", "data/other.csv"]
