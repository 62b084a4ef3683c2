from __future__ import annotations

import pytest

from pipeflow.model import refs
from pipeflow.model.refs import (
    Ref,
    ReferenceSyntaxError,
    Template,
    parse_string,
    parse_value,
    references,
    resolve,
    unparse,
)


def test_plain_text_stays_text() -> None:
    assert parse_string("data/raw/iris.csv") == "data/raw/iris.csv"
    assert parse_string("costs $5") == "costs $5"


def test_whole_string_reference_keeps_its_type() -> None:
    ref = parse_string("${params.test_data_ratio}")
    assert ref == Ref("params", ("test_data_ratio",))
    assert resolve(ref, lambda r: 0.2) == 0.2


def test_reference_inside_text_is_formatted_in() -> None:
    value = parse_string("ratio=${params.ratio} on ${run.id}")
    assert isinstance(value, Template)
    lookup = {"params": 0.5, "run": "r1"}
    assert resolve(value, lambda r: lookup[r.scope]) == "ratio=0.5 on r1"


def test_double_dollar_escapes() -> None:
    assert parse_string("$${not.a.ref}") == "${not.a.ref}"
    value = parse_string("a $${x} and ${params.y}")
    assert resolve(value, lambda r: 1) == "a ${x} and 1"


def test_step_reference_and_part() -> None:
    ref = parse_string("${steps.split_data.train_x}")
    assert isinstance(ref, Ref)
    assert (ref.step, ref.part) == ("split_data", "train_x")


def test_env_default() -> None:
    ref = parse_string("${env.HOME_DIR:-/tmp}")
    assert ref == Ref("env", ("HOME_DIR",), "/tmp")
    assert unparse(ref) == "${env.HOME_DIR:-/tmp}"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${params.}", "a name is missing"),
        ("${steps}", "a name is missing"),
        ("${oops.x}", "unknown reference"),
        ("${run.when}", "unknown run field"),
        ("${params.x:-1}", "only allowed on `env`"),
        ("value ${params.x", "unterminated"),
        ("${steps.a.b.c}", "steps.NAME.PART"),
    ],
)
def test_bad_references_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ReferenceSyntaxError, match=fragment.replace(".", r"\.")):
        parse_string(text)


def test_parse_value_walks_containers() -> None:
    value = parse_value({"a": ["${params.x}", {"b": "${steps.s}"}], "c": 3})
    found = list(references(value))
    assert [r.scope for r in found] == ["params", "steps"]
    assert resolve(value, lambda r: r.scope) == {"a": ["params", {"b": "steps"}], "c": 3}


_SPELLINGS = [
    "${steps.load}",
    "${steps.load.part}",
    "${ steps.load }",
    "${params.a.b}",
    "${env.HOME:-/tmp}",
    "${env.HOME:-a}b}",
    "${run.id}",
    "${item}",
    "${item.key}",
    "${}",
    "${params.}",
    "${oops.x}",
    "${params.x}}",
    "${params.x}${params.y}",
    "${params.x} ",
    " ${params.x}",
    "${params.x$}",
    "${params.$${x}",
    "$${params.x}",
    "${params.x",
    "${{params.x}",
    "${",
    "$",
]


@pytest.mark.parametrize("text", _SPELLINGS)
@pytest.mark.parametrize("item", [None, "item"])
def test_a_whole_text_reference_parses_as_the_walk_parses_it(text: str, item: str | None) -> None:
    """parse_string's shortcut for a text that is one reference gives what its character walk
    gives for every spelling: the same value, or the same error at the same offset."""

    def outcome(parse: object) -> object:
        try:
            return parse(text, item)  # type: ignore[operator]
        except ReferenceSyntaxError as error:
            return ("error", str(error), error.offset, error.hint)

    assert outcome(lambda text, item: parse_string(text, item=item)) == outcome(refs._walked)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("${parms.ratio}", "${params.ratio}"),
        ("${Params.ratio}", "${params.ratio}"),
        ("x-${step.load.train}", "${steps.load.train}"),
        ("${envv.HOME}", "${env.HOME}"),
        ("${runs.id}", "${run.id}"),
    ],
)
def test_a_misspelt_scope_is_refused_with_the_reference_meant(text: str, meant: str) -> None:
    with pytest.raises(ReferenceSyntaxError, match="unknown reference") as refused:
        parse_string(text)
    assert refused.value.hint == f"did you mean `{meant}`?"


def test_a_scope_like_none_lists_the_scopes() -> None:
    with pytest.raises(ReferenceSyntaxError) as refused:
        parse_string("${data.companies}")
    assert refused.value.hint is not None
    assert refused.value.hint.startswith("a reference starts with `params.`")
