"""Every API entry that takes a list of strings takes one string as one item (a path, a
`KEY=VALUE`), never as its characters, and a value of the wrong kind is a TypeError that names
the method or the option; `output(step, part)` of a value without that part says what it has.
Before, `with_params(param_options="seed=5")` read `s`, `e`, ... as options, `status(params=)`
and `plan(bogus=1)` said "prepared() got an unexpected keyword", `subscribers=func` "'function'
object is not iterable", and `output("one", "x")` of an int "'int' object is not
subscriptable"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.model.events import Event
from pipeflow.model.run import Action
from tests.conftest import ProjectFactory

CONFIG = """
name: kinds
params: {seed: 1}
steps:
  show: {run: kindsteps.ident, inputs: {x: "${params.seed}"}}
  one: {run: kindsteps.one}
  pair: {run: kindsteps.pair}
  each: {run: kindsteps.ident, foreach: [1, 2], as: x}
"""
STEPS = """
def ident(x):
    return x

def one():
    return 1

def pair():
    return {"a": 1, "b": 2}
"""


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    config = make_project(CONFIG, kindsteps=STEPS)
    (config.parent / "f.json").write_text('{"seed": 2}')
    (config.parent / "g.yaml").write_text("seed: 3\n")
    (config.parent / "h.toml").write_text("seed = 4\n")
    return config


def _seed(pipe: Any) -> Any:
    return pipe.params["seed"]


# (keywords, the seed they give): one string, a path, a list.
def _spellings(folder: Path) -> list[tuple[dict[str, Any], int]]:
    return [
        ({"param_options": "seed=5"}, 5),
        ({"param_options": ["seed=5", "seed=6"]}, 6),
        ({"param_files": "f.json"}, 2),
        ({"param_files": folder / "g.yaml"}, 3),
        ({"param_files": ["f.json", str(folder / "h.toml")]}, 4),
    ]


def test_one_string_is_one_item_on_every_entry(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(config.parent)
    pipe = pipeflow.load(config)
    for keywords, seed in _spellings(config.parent):  # each seed new when it is planned
        assert _seed(pipeflow.load(config, **keywords)) == seed, keywords
        assert _seed(pipe.with_params(**keywords)) == seed, keywords
        for method in (pipe.plan, pipe.status):
            decisions = {d.step: d for d in method(only="show", **keywords)}
            assert decisions["show"].action is Action.RUN, (method, keywords)
        run = pipe.run(only="show", history=False, **keywords)
        assert run.output("show") == seed, keywords


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"param_options": 5}, "`param_options`"),
        ({"param_options": [b"seed=5"]}, "`param_options`"),
        ({"param_files": 3}, "`param_files`"),
        ({"param_files": {"f.json": 1}}, "`param_files`"),
        ({"params": ["seed"]}, "`params`"),
    ],
)
def test_a_wrong_kind_of_params_is_a_type_error_naming_the_option(
    config: Path, keywords: dict[str, Any], named: str
) -> None:
    pipe = pipeflow.load(config)
    entries = [
        lambda: pipe.with_params(**keywords),
        lambda: pipe.run(history=False, **keywords),
        lambda: pipe.plan(**keywords),
        lambda: pipe.status(**keywords),
    ]
    if "params" not in keywords:
        entries.append(lambda: pipeflow.load(config, **keywords))
    for entry in entries:
        with pytest.raises(TypeError, match=named):
            entry()


def test_plan_and_status_take_params_as_run_does(config: Path) -> None:
    pipe = pipeflow.load(config)
    assert pipe.run(history=False).ok
    for method in (pipe.plan, pipe.status):
        decisions = {d.step: d for d in method({"seed": 2})}
        assert decisions["show"].action is Action.RUN
        assert "param seed changed (1 -> 2)" in decisions["show"].reason
        assert {d.step: d for d in method()}["show"].action is Action.CACHED


@pytest.mark.parametrize("method", ["plan", "status"])
def test_an_unknown_keyword_names_the_method_and_what_it_takes(config: Path, method: str) -> None:
    pipe = pipeflow.load(config)
    with pytest.raises(TypeError) as raised:
        getattr(pipe, method)(bogus=1)
    message = str(raised.value)
    assert f"Pipeline.{method}() has no option `bogus`" in message
    assert "`params`" in message
    assert "`only`" in message


def test_subscribers_take_one_callable_or_a_list(config: Path) -> None:
    pipe = pipeflow.load(config)
    seen: list[Event] = []
    assert pipe.run(subscribers=seen.append, history=False).ok
    assert seen
    count = len(seen)
    assert pipe.run(subscribers=[seen.append], history=False).ok
    assert len(seen) > count
    for wrong, shown in [(5, "int 5"), ("notify", "str 'notify'"), ([print, 3], "int 3")]:
        with pytest.raises(TypeError, match=f"`subscribers` takes .*got {shown}"):
            pipe.run(subscribers=wrong, history=False)


def test_output_of_a_part_the_value_lacks_says_what_it_has(config: Path) -> None:
    run = pipeflow.load(config).run(history=False)
    assert run.output("pair", "a") == 1
    with pytest.raises(KeyError) as raised:
        run.output("one", "x")
    assert "the value of step `one` has no part `x`: it is an int, not a mapping" in str(
        raised.value
    )
    with pytest.raises(KeyError) as raised:
        run.output("pair", "x")
    assert "the value of step `pair` has no part `x`; it is a mapping with `a`, `b`" in str(
        raised.value
    )
    with pytest.raises(KeyError) as raised:
        run.output("each", "x")
    assert "the value of step `each` (item 0) has no part `x`: it is an int" in str(raised.value)


def test_output_of_a_step_without_a_value_says_why_and_where_a_stored_one_is(
    config: Path,
) -> None:
    pipe = pipeflow.load(config)
    run = pipe.run(only=["one"], history=False)  # nothing of `pair` is stored yet
    with pytest.raises(KeyError) as raised:
        run.output("pair")
    message = str(raised.value)
    assert "step `pair` has no value in this run (it is skipped: not selected" in message
    assert "its stored result, if it has one: pipeline.result('pair').load()" in message
    assert pipe.run(only=["pair"], history=False).ok
    assert pipe.result("pair").load() == {"a": 1, "b": 2}


# (the method, the keyword written, what the message suggests)
MISTAKES = [
    ("run", "from_", "did you mean `start` (`--from`)?"),
    ("run", "param", "did you mean `params`?"),
    ("run", "tag", "did you mean `tags`?"),
    ("run", "dry_run", "`Pipeline.plan()` says what a run would do (`--dry-run`)"),
    ("run", "allow_extra_params", "give it to `pipeflow.load()`"),
    ("run", "verbose", "`subscribers=`"),
    ("plan", "from_", "did you mean `start` (`--from`)?"),
    ("status", "no_cahce", "did you mean `no_cache`?"),
    ("with_params", "param", "did you mean `params`?"),
    (
        "with_params",
        "test_ratio",
        "a param goes in the mapping `params`: `params={'test_ratio': ...}`",
    ),
    ("run", "seed", "a param goes in the mapping `params`: `params={'seed': ...}`"),
    ("accept", "result", "did you mean `results`?"),
    ("result", "from_", "it takes `results`"),
    ("load", "param_file", "did you mean `param_files`?"),
]


@pytest.mark.parametrize(("method", "keyword", "suggested"), MISTAKES)
def test_a_misspelt_keyword_is_told_the_one_meant(
    config: Path, method: str, keyword: str, suggested: str
) -> None:
    """`run(from_="b")` said only "got an unexpected keyword argument 'from_'"; as `plan()`
    did, every method now names itself, the keyword meant (the CLI's `--from` is `start`),
    and what it takes."""
    pipe = pipeflow.load(config)
    name = "pipeflow.load()" if method == "load" else f"Pipeline.{method}()"
    call = {
        "run": lambda: pipe.run(history=False, **{keyword: 1}),
        "plan": lambda: pipe.plan(**{keyword: 1}),
        "status": lambda: pipe.status(**{keyword: 1}),
        "with_params": lambda: pipe.with_params(**{keyword: 1}),
        "accept": lambda: pipe.accept("show", **{keyword: 1}),
        "result": lambda: pipe.result("show", **{keyword: 1}),
        "load": lambda: pipeflow.load(config, **{keyword: 1}),
    }[method]
    with pytest.raises(TypeError) as raised:
        call()
    message = str(raised.value)
    assert message.startswith(f"{name} has no option `{keyword}`"), message
    assert suggested in message, message
