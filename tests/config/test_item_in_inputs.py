"""`${ITEM}` of a `foreach` step inside its `inputs:` says what to do instead.

`writes:` and `reads:` take the item (`outd/${src}.up`), so users write it in `inputs:` too.
The item reaches the function as its own input: the problem says so, and where the item may
be named, instead of "unknown reference" and the list of scopes. In YAML and TOML, from
`validate` and from `load()`; other unknown references keep their message.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = """
def up(src, out):
    return out


def each(item, out):
    return out
"""

YAML = """
name: items
steps:
  up:
    run: itemsteps.up
    foreach: [a, b]
    as: src
    inputs: {out: "outd/${src}.up"}
    writes: ["outd/${src}.up"]
  each:
    run: itemsteps.each
    foreach: [a, b]
    inputs: {out: ["x", "${item}"]}
  other:
    run: itemsteps.each
    foreach: [a, b]
    inputs: {out: "${itm}"}
"""

TOML = """
name = "items"
[steps.up]
run = "itemsteps.up"
foreach = ["a", "b"]
as = "src"
inputs = {out = "outd/${src}.up"}
writes = ["outd/${src}.up"]
[steps.each]
run = "itemsteps.each"
foreach = ["a", "b"]
inputs = {out = ["x", "${item}"]}
[steps.other]
run = "itemsteps.each"
foreach = ["a", "b"]
inputs = {out = "${itm}"}
"""


@pytest.mark.parametrize("name", ["pipeline.yaml", "pipeline.toml"])
def test_the_item_in_inputs_is_explained(tmp_path: Path, name: str) -> None:
    (tmp_path / "itemsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / name
    config.write_text(YAML if name.endswith(".yaml") else TOML)

    with pytest.raises(pipeflow.ConfigError) as caught:
        pipeflow.load(config)
    validated = pipeflow_in(tmp_path, "validate", name)
    assert validated.returncode == 2, validated.stdout + validated.stderr

    for text in (str(caught.value), validated.stdout + validated.stderr):
        assert (
            "`${src}` cannot be used in `inputs`: the `foreach` item is passed to the "
            "function as its input `src`"
        ) in text, text
        assert "`${src}` may name the item in `writes:` and `reads:`" in text, text
        assert "`${item}` cannot be used in `inputs`" in text, text
        assert "steps.each.inputs.out[1]" in text, text
        assert "unknown reference `${itm}`" in text, text  # not the item: as before
        assert "unknown reference `${src}`" not in text, text
