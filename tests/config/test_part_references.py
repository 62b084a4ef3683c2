"""`${steps.NAME.PART}` of a step whose value can have no parts is caught before any step runs.

A part is a key of the mapping a step returns (or one of its declared `outputs`). Two kinds of
step can never return a mapping, and a reference to a part of them used to fail only when the
step that reads it ran, after everything upstream of it:

- a `foreach` step without `outputs`: its value is the list of its items' results;
- a step whose function's return annotation says what it returns is no mapping (`-> int`,
  `-> list[str]`, `-> "tuple[int, int]"`, `-> int | None`, ...), read from the source or, for a
  decorated function, from the live callable.

Every place a reference goes (inputs, inside a longer string, `when`, `foreach`, a pipeline's
`outputs`) and every output channel (`pipeflow.load`, `validate`, `run`, which runs nothing) is
checked; an annotation that allows a mapping, or that the check cannot read, is never refused.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError
from tests.conftest import ProjectFactory

# Functions named by the cases below: (name, source). Those whose name starts with `no_` are
# annotated as returning no mapping; `maybe_` ones may return one (or the check cannot tell).
FUNCTIONS = {
    "no_int": "def no_int() -> int:\n    return 1\n",
    "no_str": "def no_str() -> str:\n    return 'a'\n",
    "no_float": "def no_float() -> float:\n    return 1.5\n",
    "no_bool": "def no_bool() -> bool:\n    return True\n",
    "no_bytes": "def no_bytes() -> bytes:\n    return b'a'\n",
    "no_none": "def no_none() -> None:\n    return None\n",
    "no_list": "def no_list() -> list:\n    return [1]\n",
    "no_list_of": "def no_list_of() -> list[dict[str, int]]:\n    return [{'a': 1}]\n",
    "no_tuple": "def no_tuple() -> tuple[int, str]:\n    return (1, 'a')\n",
    "no_set": "def no_set() -> frozenset[int]:\n    return frozenset({1})\n",
    "no_text": "def no_text() -> 'list[int]':\n    return [1]\n",
    "no_union": "def no_union() -> int | None:\n    return 1\n",
    "no_typing_list": "def no_typing_list() -> List[int]:\n    return [1]\n",
    "no_typing_attr": "def no_typing_attr() -> typing.Tuple[int, ...]:\n    return (1,)\n",
    "no_optional": "def no_optional() -> Optional[str]:\n    return 'a'\n",
    "no_typing_union": "def no_typing_union() -> Union[int, List[str]]:\n    return 1\n",
    "no_async": "async def no_async() -> int:\n    return 1\n",
    "no_decorated": "@wrapped\ndef no_decorated() -> int:\n    return 1\n",
    "no_decorated_text": (
        "@wrapped\ndef no_decorated_text() -> 'list[int] | None':\n    return [1]\n"
    ),
    "no_decorated_union": (
        "@wrapped\ndef no_decorated_union() -> Optional[List[int]]:\n    return [1]\n"
    ),
    "maybe_bare": "def maybe_bare():\n    return {'a': 1}\n",
    "maybe_dict": "def maybe_dict() -> dict:\n    return {'a': 1}\n",
    "maybe_dict_of": "def maybe_dict_of() -> dict[str, int]:\n    return {'a': 1}\n",
    "maybe_mapping": "def maybe_mapping() -> Mapping[str, int]:\n    return {'a': 1}\n",
    "maybe_any": "def maybe_any() -> Any:\n    return {'a': 1}\n",
    "maybe_object": "def maybe_object() -> object:\n    return {'a': 1}\n",
    "maybe_typed": "def maybe_typed() -> Parts:\n    return {'a': 1}\n",
    "maybe_union": "def maybe_union() -> int | dict:\n    return {'a': 1}\n",
    "maybe_optional": "def maybe_optional() -> Optional[dict]:\n    return {'a': 1}\n",
    "maybe_text": "def maybe_text() -> 'dict[str, int]':\n    return {'a': 1}\n",
    "maybe_unparsable": "def maybe_unparsable() -> 'not ( valid':\n    return {'a': 1}\n",
    "maybe_own_class": "def maybe_own_class() -> Box:\n    return Box(a=1)\n",
    "maybe_decorated": "@wrapped\ndef maybe_decorated() -> dict:\n    return {'a': 1}\n",
    "maybe_rebound": "def maybe_rebound() -> complex:\n    return complex(a=1)\n",
}
HEADER = """\
import functools
import typing
from collections.abc import Mapping
from typing import Any, List, Optional, TypedDict, Union


class Parts(TypedDict):
    a: int


class Box(dict):
    pass


complex = dict  # rebinds a builtin: `-> complex` here says nothing about a mapping


def wrapped(function):
    @functools.wraps(function)
    def inner(*args, **kwargs):
        return function(*args, **kwargs)

    return inner


"""
MODULE = HEADER + "\n\n".join(FUNCTIONS.values())
REFUSED = sorted(name for name in FUNCTIONS if name.startswith("no_"))
ALLOWED = sorted(name for name in FUNCTIONS if name.startswith("maybe_"))


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.delitem(sys.modules, "parted", raising=False)


def _config(producer: str, reference: str = "${steps.src.a}") -> str:
    return f"""\
name: parts
steps:
  src: {{run: parted.{producer}}}
  use: {{run: parted.take, inputs: {{x: "{reference}"}}}}
"""


def _module() -> str:
    return MODULE + "\n\ndef take(x):\n    return x\n"


def _problems(config: Path) -> list[tuple[str, int | None, str, str | None]]:
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    return [(p.path, p.line, p.message, p.hint) for p in raised.value.problems]


def test_the_annotations_say_what_the_functions_return(tmp_path: Path) -> None:
    """The cases are honest: each `no_` function returns no mapping, each `maybe_` one does."""
    path = tmp_path / "parted_check.py"
    path.write_text(MODULE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("parted_check", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import asyncio

    for name in FUNCTIONS:
        value: Any = getattr(module, name)()
        if asyncio.iscoroutine(value):
            value = asyncio.run(value)
        assert isinstance(value, Mapping) == name.startswith("maybe_"), name


@pytest.mark.parametrize("producer", REFUSED)
def test_a_part_of_a_value_annotated_as_no_mapping_is_refused(
    make_project: ProjectFactory, producer: str
) -> None:
    config = make_project(_config(producer), parted=_module())
    ((path, line, message, hint),) = _problems(config)
    assert (path, line) == ("steps.use.inputs.x", 4)
    assert message.startswith("`${steps.src.a}`: step `src` returns `"), message
    assert f"(the return annotation of parted.{producer}), which has no parts" in message
    assert hint is not None
    assert "use `${steps.src}`" in hint


@pytest.mark.parametrize("producer", ALLOWED)
def test_a_part_of_a_value_that_may_be_a_mapping_is_allowed(
    make_project: ProjectFactory, producer: str, tmp_path: Path
) -> None:
    config = make_project(_config(producer), parted=_module())
    pipe = pipeflow.load(config)
    result = pipe.run(history=False)
    assert result.ok
    assert result.output("use") == 1


@pytest.mark.parametrize(
    ("annotation", "shown"),
    [
        ("int", "int"),
        ("list[dict[str, int]]", "list[dict[str, int]]"),
        ("'tuple[int, int]'", "tuple[int, int]"),
        ("int | None", "int | None"),
        ("Optional[List[str]]", "Optional[List[str]]"),
    ],
)
def test_the_message_shows_the_annotation_as_written(
    make_project: ProjectFactory, annotation: str, shown: str
) -> None:
    module = f"from typing import List, Optional\n\ndef src() -> {annotation}:\n    return 1\n"
    module += "\ndef take(x):\n    return x\n"
    config = make_project(_config("src"), parted=module)
    ((_, _, message, _),) = _problems(config)
    assert f"step `src` returns `{shown}` (the return annotation of parted.src)" in message


FOREACH = """\
name: parts
params:
  items: [1, 2]
steps:
  src: {run: parted.double, foreach: FOREACH, as: x}
  use: {run: parted.take, inputs: {x: "${steps.src.value}"}}
"""


@pytest.mark.parametrize("foreach", ["[1, 2]", '"${params.items}"'])
def test_a_part_of_a_foreach_steps_list_is_refused(
    make_project: ProjectFactory, foreach: str
) -> None:
    module = "def double(x: int) -> dict:\n    return {'value': 2 * x}\n\n"
    module += "def take(x):\n    return x\n"
    config = make_project(FOREACH.replace("FOREACH", foreach), parted=module)
    ((path, line, message, hint),) = _problems(config)
    assert (path, line) == ("steps.use.inputs.x", 6)
    assert message == (
        "`${steps.src.value}`: step `src` runs once per item (`foreach`), so its value is the "
        "list of the items' results, which has no parts"
    )
    assert hint == "use `${steps.src}` (the list)"


def test_the_whole_value_of_those_steps_is_still_allowed(make_project: ProjectFactory) -> None:
    module = MODULE + "\n\ndef take(x):\n    return x\n\ndef double(x: int) -> int:\n"
    module += "    return 2 * x\n"
    config = make_project(
        """\
name: parts
steps:
  a: {run: parted.no_int}
  b: {run: parted.double, foreach: [1, 2], as: x}
  use: {run: parted.take, inputs: {x: ["${steps.a}", "${steps.b}"]}}
""",
        parted=module,
    )
    result = pipeflow.load(config).run(history=False)
    assert result.output("use") == [1, [2, 4]]


PLACES = """\
name: parts
steps:
  src: {run: parted.no_list}
  whole: {run: parted.take, inputs: {x: "${steps.src}"}}
  longer: {run: parted.take, inputs: {x: "first ${steps.src.first}!"}}
  nested: {run: parted.take, inputs: {x: {deep: ["${steps.src.nested}"]}}}
  gated: {run: parted.take, inputs: {x: 1}, when: "${steps.src.flag}"}
  fanned: {run: parted.take, foreach: "${steps.src.items}", as: x}
outputs:
  exposed: "${steps.src.out}"
"""


def test_every_place_a_reference_goes_is_checked(make_project: ProjectFactory) -> None:
    config = make_project(PLACES, parted=_module())
    found = [(path, line, message.split(":")[0]) for path, line, message, _ in _problems(config)]
    assert found == [
        ("steps.longer.inputs.x", 5, "`${steps.src.first}`"),
        ("steps.nested.inputs.x.deep[0]", 6, "`${steps.src.nested}`"),
        ("steps.gated.when", 7, "`${steps.src.flag}`"),
        ("steps.fanned.foreach", 8, "`${steps.src.items}`"),
        ("outputs.exposed", 10, "`${steps.src.out}`"),
    ]


def test_declared_outputs_are_the_parts_whatever_the_annotation(
    make_project: ProjectFactory,
) -> None:
    module = "def pair() -> tuple[int, int]:\n    return 1, 2\n\ndef take(x):\n    return x\n"
    config = make_project(
        """\
name: parts
steps:
  src: {run: parted.pair, outputs: [a, b]}
  use: {run: parted.take, inputs: {x: "${steps.src.b}"}}
""",
        parted=module,
    )
    assert pipeflow.load(config).run(history=False).output("use") == 2


def test_validate_and_run_report_it_with_exit_2_and_run_nothing(
    make_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _module() + "\n\ndef mark() -> int:\n    open('MARKER', 'w').close()\n    return 1\n"
    config = make_project(
        """\
name: parts
steps:
  first: {run: parted.mark}
  src: {run: parted.no_int, after: [first]}
  use: {run: parted.take, inputs: {x: "${steps.src.a}"}}
""",
        parted=module,
    )
    monkeypatch.chdir(tmp_path)
    for command in (["validate"], ["run"], ["run", "--dry-run"], ["status"]):
        result = CliRunner().invoke(cli, [*command, str(config)])
        assert result.exit_code == 2, (command, result.output)
        assert "pipeline.yaml:5:" in result.stderr
        assert "step `src` returns `int` (the return annotation of parted.no_int)" in result.stderr
    assert not (tmp_path / "MARKER").exists()
