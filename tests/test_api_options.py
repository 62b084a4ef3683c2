"""The Python API takes the CLI's options as natural keywords, normalised in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.model.run import Action, StepState
from tests.conftest import ProjectFactory

CONFIG = """
name: abc
params: {n: 1}
results: {root: out}
steps:
  a: {run: chain.step, inputs: {value: "${params.n}"}}
  b: {run: chain.step, inputs: {value: "${steps.a}"}}
  c: {run: chain.step, inputs: {value: "${steps.b}"}}
"""

CHAIN = """
def step(value: int) -> int:
    return value + 1
"""


@pytest.fixture
def pipe(make_project: ProjectFactory) -> Any:
    config = make_project(CONFIG, chain=CHAIN)
    loaded = pipeflow.load(config)
    assert loaded.run(history=False).ok  # everything cached from here on
    return loaded


def ran(run: Any) -> list[str]:
    return [name for name, outcome in run.outcomes.items() if outcome.state is StepState.DONE]


@pytest.mark.parametrize(
    ("force", "expected"),
    [
        (True, ["a", "b", "c"]),
        (False, []),
        (None, []),
        ("b", ["b", "c"]),
        (["b"], ["b", "c"]),
        (("c",), ["c"]),
        ({"b"}, ["b", "c"]),
    ],
)
def test_force_takes_true_a_name_or_names(pipe: Any, force: object, expected: list[str]) -> None:
    assert ran(pipe.run(force=force, history=False)) == expected
    planned = [d.step for d in pipe.plan(force=force) if d.action is Action.RUN]
    assert planned == expected
    assert [d.step for d in pipe.status(force=force) if d.action is Action.RUN] == expected


@pytest.mark.parametrize("only", ["b", ["b"], ("b",)])
def test_only_takes_a_name_or_names(pipe: Any, only: object) -> None:
    run = pipe.run(only=only, force=True, history=False)
    assert ran(run) == ["b"]


def test_start_until_and_paths_take_natural_values(
    pipe: Any, tmp_path: Path, make_project: ProjectFactory
) -> None:
    assert ran(pipe.run(start="b", until="b", force=True, history=False)) == ["b"]
    (tmp_path / "p.yaml").write_text("n: 5\n")
    run = pipe.run(param_files=tmp_path / "p.yaml", history=False)
    assert run.output("c") == 8
    run = pipe.run(param_files=str(tmp_path / "p.yaml"), param_options="n=2", history=False)
    assert run.output("c") == 5
    assert pipe.run(results=tmp_path / "elsewhere", history=False).ok
    assert (tmp_path / "elsewhere").is_dir()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"force": 3}, "force"),
        ({"force": [1]}, "force"),
        ({"only": 5}, "only"),
        ({"only": [None]}, "only"),
        ({"only": {"b": 1}}, "only"),
        ({"start": ["a"]}, "start"),
        ({"until": 2}, "until"),
        ({"keep_going": "yes"}, "keep_going"),
        ({"no_cache": 1}, "no_cache"),
        ({"frozen": "no"}, "frozen"),
        ({"workers": "2"}, "workers"),
        ({"workers": True}, "workers"),
        ({"executor": 1}, "executor"),
        ({"param_files": 3}, "param_files"),
        ({"param_options": {"n": 2}}, "param_options"),
        ({"results": 1.5}, "results"),
        ({"history": "yes"}, "history"),
    ],
)
def test_nonsense_is_a_clear_type_error(pipe: Any, options: dict[str, Any], named: str) -> None:
    with pytest.raises(TypeError, match=f"`{named}`"):
        pipe.run(**{"history": False, **options})


@pytest.mark.parametrize(
    "options", [{"force": 3}, {"only": 5}, {"start": 1}, {"no_cache": "x"}, {"results": 2}]
)
def test_plan_and_status_check_their_options_the_same_way(
    pipe: Any, options: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        pipe.plan(**options)
    with pytest.raises(TypeError):
        pipe.status(**options)


def test_workers_below_one_is_a_value_error(pipe: Any) -> None:
    with pytest.raises(ValueError, match="`workers`"):
        pipe.run(workers=0, history=False)


@pytest.mark.parametrize(("executor", "meant"), [("thread", "threads"), ("Dask", "dask")])
def test_an_unknown_executor_is_refused_with_the_one_meant(
    pipe: Any, executor: str, meant: str
) -> None:
    """Before, `run(executor="thread")` was refused "error at `executor.type`" (a place in
    the config the call never touched) with no word of `threads`."""
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipe.run(executor=executor, history=False)
    said = str(raised.value)
    assert f"unknown executor `{executor}`" in said
    assert "`executor=` in Python" in said
    assert f"did you mean `{meant}`?" in said
    assert "executor.type" not in said


@pytest.mark.parametrize(
    ("executor", "hint"),
    [
        ("thread", "did you mean `threads`?"),
        ("Dask", "did you mean `dask`?"),
        ("gpu", "use `sequential` or `threads` or `processes` or `dask`"),
        ("", "use `sequential` or `threads` or `processes` or `dask`"),
    ],
)
def test_load_refuses_an_unknown_executor_as_run_does(
    make_project: ProjectFactory, executor: str, hint: str
) -> None:
    """`load(executor=...)` is validated with the rest: before, `load(executor="gpu")` (or
    an empty name) was taken, and only the run refused it, as "not available in this
    version", which an executor that does not exist never will be."""
    config = make_project(CONFIG, chain=CHAIN)
    with pytest.raises(pipeflow.ConfigError) as loading:
        pipeflow.load(config, executor=executor)
    loaded = pipeflow.load(config)
    with pytest.raises(pipeflow.ConfigError) as running:
        loaded.run(executor=executor, history=False)
    for raised in (loading, running):
        said = str(raised.value)
        assert f"unknown executor `{executor}`" in said
        assert "(given for the run: `--executor`, `executor=` in Python)" in said
        assert hint in said


@pytest.mark.parametrize("history", [True, False])
def test_a_trigger_that_is_none_is_refused_recorded_or_not(pipe: Any, history: bool) -> None:
    """Before, `trigger="cron"` was refused only when the run was recorded."""
    with pytest.raises(ValueError, match="`trigger` takes one of manual, schedule, ci"):
        pipe.run(trigger="cron", history=history)
    with pytest.raises(TypeError, match="`trigger`"):
        pipe.run(trigger=3, history=history)


def test_every_run_option_has_its_keyword_in_the_docs_table() -> None:
    """SPEC 11: `run()` takes the CLI's options as keywords. getting-started.md's table gives
    each option of `pipeflow run` its Python spelling; every spelling it names exists."""
    import inspect
    import re

    import click

    from pipeflow.api import Pipeline, load
    from pipeflow.cli.main import cli

    page = (Path(__file__).parents[1] / "docs" / "getting-started.md").read_text()
    table = page[page.index("| `pipeflow run` option | in Python |") :].split("\n\n")[0]
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    documented = {opt for cli_side, _ in rows for opt in re.findall(r"`(-[-\w]+)", cli_side)}
    command = cli.get_command(click.Context(cli), "run")
    assert command is not None
    options = {opt for param in command.params for opt in param.opts if opt.startswith("-")}
    assert options - {"--verbose", "--quiet"} <= documented, "options the table lacks"
    methods = {
        "run": Pipeline.run,
        "load": load,
        "plan": Pipeline.plan,
    }
    for _, python_side in rows:
        for method, arguments in re.findall(r"(\w+)\(([^)]*)\)", python_side):
            keywords = set(inspect.signature(methods[method]).parameters)
            for keyword in re.findall(r"(?:^|,\s*)(\w+)=", arguments):
                assert keyword in keywords, f"{method}() has no keyword {keyword}"


@pytest.mark.parametrize("value", [5, [None], {"model": 1}])
def test_a_wrong_kind_of_tags_is_said_to_take_tag_names(pipe: Any, value: object) -> None:
    """Before: "`tags` takes a step name or a list of step names"."""
    for method in (pipe.run, pipe.plan, pipe.status):
        with pytest.raises(TypeError) as refused:
            method(tags=value)
        assert str(refused.value).startswith("`tags` takes a tag name or a list of tag names")
    with pytest.raises(TypeError, match="`only` takes a step name or a list of step names"):
        pipe.run(only=5)


@pytest.mark.parametrize(
    ("options", "error", "named"),
    [
        ({"params": [1]}, TypeError, "params"),
        ({"params": "n=2"}, TypeError, "params"),
        ({"allow_extra_params": "yes"}, TypeError, "allow_extra_params"),
        ({"check_code": 1}, TypeError, "check_code"),
        ({"schedule": "1"}, TypeError, "schedule"),
    ],
)
def test_load_checks_its_options_as_run_does(
    make_project: ProjectFactory, options: dict[str, Any], error: type[Exception], named: str
) -> None:
    """Before, `load(params=[1])` raised an AttributeError from deep inside, and a flag of
    another type (`allow_extra_params="yes"`) was taken for true."""
    config = make_project(CONFIG, chain=CHAIN)
    with pytest.raises(error, match=f"`{named}`"):
        pipeflow.load(config, **options)


@pytest.mark.parametrize("config", [b"pipeline.yaml", None, 3, ["pipeline.yaml"], {"a": 1}])
def test_a_config_that_is_no_path_is_a_clear_type_error(
    make_project: ProjectFactory, config: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, `load(b"pipeline.yaml")` or `load(None)` raised os.fspath's TypeError ("expected
    str, bytes or os.PathLike object, not NoneType"), which names no argument, from deep
    inside; `pipeflow.read(config=...)` the same."""
    monkeypatch.chdir(make_project(CONFIG, chain=CHAIN).parent)
    with pytest.raises(TypeError, match=r"^`config` takes the path of a config file"):
        pipeflow.load(config)  # type: ignore[arg-type]
    if config is not None:  # `read(config=None)` reads a path instead
        with pytest.raises(TypeError, match=r"^`config` takes the path of a config file"):
            pipeflow.read(config=config, step="a")  # type: ignore[arg-type]
