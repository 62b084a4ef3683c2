"""A `reads:`/`writes:` entry naming a key or an index of the `foreach` item
(`${item.a}`, `${item.1}`, `${g.a}` with `as: g`) that an item known before the run lacks
is refused by `validate` at the entry (exit 2). Before, `validate` passed and `run` (and
`pipeline.run()`) stopped with a KeyError traceback while planning. YAML and TOML, a literal
`foreach` list and one from a param."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def touch(item=None, g=None):
    return 1
"""

# (`as:` name or None, the foreach list as YAML flow text, the entry, what the message names)
CASES = [
    (None, "[{a: 1}, {b: 2}]", "o/${item.a}.txt", "item 2 ({'b': 2}) has no `a`"),
    (None, "[[1, 2], [3]]", "o/${item.1}.txt", "item 2 ([3]) has no `1`"),
    ("g", "[{a: {b: 1}}, {a: 2}]", "o/${g.a.b}.txt", "item 2 ({'a': 2}) has no `a.b`"),
    (None, "[1, 2]", "o/${item.x}.txt", "item 1 (1) has no `x`"),
]
TOML_LISTS = {
    "[{a: 1}, {b: 2}]": "[{a = 1}, {b = 2}]",
    "[[1, 2], [3]]": "[[1, 2], [3]]",
    "[{a: {b: 1}}, {a: 2}]": "[{a = {b = 1}}, {a = 2}]",
    "[1, 2]": "[1, 2]",
    "[{a: {b: 1}}, {a: {b: 2}}]": "[{a = {b = 1}}, {a = {b = 2}}]",
}


def config_text(kind: str, name: str | None, items: str, field: str, entry: str, via: str) -> str:
    if kind == "yaml":
        given = f"    as: {name}\n" if name else ""
        listed = '"${params.grid}"' if via == "param" else items
        return (
            f"name: p\nparams: {{grid: {items}}}\nsteps:\n  s:\n    run: fsteps.touch\n"
            f'    foreach: {listed}\n{given}    {field}: ["{entry}"]\n'
        )
    items = TOML_LISTS[items]
    given = f'as = "{name}"\n' if name else ""
    listed = '"${params.grid}"' if via == "param" else items
    return (
        f'name = "p"\n[params]\ngrid = {items}\n[steps.s]\nrun = "fsteps.touch"\n'
        f'foreach = {listed}\n{given}{field} = ["{entry}"]\n'
    )


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("field", ["reads", "writes"])
@pytest.mark.parametrize("via", ["literal", "param"])
@pytest.mark.parametrize(("name", "items", "entry", "said"), CASES)
def test_an_item_part_that_an_item_lacks_is_refused_at_the_entry(
    make_project: ProjectFactory,
    kind: str,
    field: str,
    via: str,
    name: str | None,
    items: str,
    entry: str,
    said: str,
) -> None:
    text = config_text(kind, name, items, field, entry, via)
    config = make_project(text, name=f"pipeline.{kind}", fsteps=STEPS)
    line = next(n for n, x in enumerate(text.splitlines(), 1) if entry in x)
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, config.name)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert f"{config.name}:{line}:" in result.stderr
        assert f"error at `steps.s.{field}[0]`" in result.stderr
        assert said in result.stderr, result.stderr
        assert not (Path(config.parent) / "data").exists()
    with pytest.raises(pipeflow.ConfigError, match="has no"):
        pipeflow.load(config)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_parts_every_item_has_are_taken(make_project: ProjectFactory, kind: str) -> None:
    text = config_text(kind, "g", "[{a: {b: 1}}, {a: {b: 2}}]", "reads", "o/${g.a.b}.txt", "param")
    config = make_project(text, name=f"pipeline.{kind}", fsteps=STEPS)
    (config.parent / "o").mkdir()
    for number in (1, 2):
        (config.parent / "o" / f"{number}.txt").write_text("x")
    assert pipeflow.load(config).run().ok
