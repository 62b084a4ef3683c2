"""A `foreach` step whose items are a cached step's value is decided before the run, item by
item, from that stored value: `status` says it is cached, `run --frozen` passes on an
unchanged pipeline, and `--only` a step after it takes it from the cache. Before, such a step
always read "runs once per item; each item is cached": `--frozen` failed (exit 3) on a
pipeline whose every result was current, and `--only total` was refused ("needs the result
of `sq`, which ... has no up-to-date stored result"), even for items known from params."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def items(n):
    note("items")
    return list(range(n))


def square(x):
    note("square")
    return x * x


def plus(x):
    note("plus")
    return x + 1


def total(values):
    note("total")
    return sum(values)


def frames(k):
    import pandas as pd

    column = [0] * 100
    column[50] = k  # in the middle: a DataFrame's repr shows neither
    return [pd.DataFrame({"a": column})]


def frame_sum(frame):
    note("frame_sum")
    return int(frame["a"].sum())
"""

FROM_A_STEP = """
name: fan
params: {n: 3}
steps:
  items: {run: fsteps.items, inputs: {n: "${params.n}"}}
  sq: {run: fsteps.square, foreach: "${steps.items}", as: x}
  plus: {run: fsteps.plus, foreach: "${steps.sq}", as: x}
  total: {run: fsteps.total, inputs: {values: "${steps.plus}"}}
"""

FROM_PARAMS = """
name: fan
params: {xs: [0, 1, 2]}
steps:
  sq: {run: fsteps.square, foreach: "${params.xs}", as: x}
  plus: {run: fsteps.plus, foreach: "${steps.sq}", as: x}
  total: {run: fsteps.total, inputs: {values: "${steps.plus}"}}
"""


def project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "fsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(config))
    return tmp_path / "pipeline.yaml"


def calls(config: Path) -> list[str]:
    log = config.parent / "calls.log"
    found = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return found


def decisions(config: Path, **params: object) -> dict[str, tuple[Action, str]]:
    pipe = pipeflow.load(config, params=params or None)
    return {d.step: (d.action, d.reason) for d in pipe.status()}


@pytest.mark.parametrize("config", [FROM_A_STEP, FROM_PARAMS], ids=["from-a-step", "from-params"])
def test_an_unchanged_pipeline_with_foreach_steps_is_all_cached_before_the_run(
    tmp_path: Path, config: str
) -> None:
    path = project(tmp_path, config)
    assert pipeflow.load(path).run().output("total") == 8  # 1 + 2 + 5
    calls(path)

    found = decisions(path)
    assert {action for action, _ in found.values()} == {Action.CACHED}, found
    assert found["sq"][1] == "all 3 items are stored"
    assert found["plus"][1] == "all 3 items are stored"

    frozen = CliRunner().invoke(cli, ["run", str(path), "--frozen", "-q"])
    assert frozen.exit_code == 0, frozen.output
    only = CliRunner().invoke(cli, ["run", str(path), "--only", "total", "--force", "total"])
    assert only.exit_code == 0, only.output
    assert calls(path) == ["total"]


def test_a_changed_list_says_how_many_items_lack_a_result(tmp_path: Path) -> None:
    path = project(tmp_path, FROM_A_STEP)
    pipeflow.load(path).run()
    calls(path)
    found = decisions(path, n=5)
    assert found["items"][0] is Action.RUN
    assert found["sq"] == (Action.RUN, "`items` runs first")
    frozen = CliRunner().invoke(cli, ["run", str(path), "--frozen", "--param", "n=5"])
    assert frozen.exit_code == 3, frozen.output
    run = pipeflow.load(path, params={"n": 5}).run()
    assert run.output("total") == 35  # 1 + 2 + 5 + 10 + 17
    ran = calls(path)
    assert ran.count("square") == 2  # the 3 items before are cached: a list that grows
    assert ran.count("plus") == 2  # by two runs two, whatever step it comes from
    assert {action for action, _ in decisions(path, n=5).values()} == {Action.CACHED}


def test_a_foreach_whose_items_lack_a_result_runs_saying_so(tmp_path: Path) -> None:
    path = project(tmp_path, FROM_A_STEP)
    pipeflow.load(path).run()
    edit = path.parent / "fsteps.py"
    edit.write_text(edit.read_text().replace("return x + 1", "return x + 2"))
    found = decisions(path)
    assert found["sq"][0] is Action.CACHED
    assert found["plus"][0] is Action.RUN
    assert found["plus"][1].startswith("3 of 3 items have no stored result"), found["plus"]


def test_items_that_are_not_plain_data_keep_their_list_in_their_key(tmp_path: Path) -> None:
    """A DataFrame item counts in its key by its `repr`, which leaves rows out: two frames
    that differ there would share a key, but for the version of the list they come from."""
    path = project(
        tmp_path,
        """
        name: frames
        params: {k: 1}
        steps:
          frames: {run: fsteps.frames, inputs: {k: "${params.k}"}}
          sums: {run: fsteps.frame_sum, foreach: "${steps.frames}", as: frame}
        """,
    )
    assert pipeflow.load(path).run().output("sums") == [1]
    assert pipeflow.load(path, params={"k": 2}).run().output("sums") == [2]
    assert pipeflow.load(path).run().output("sums") == [1]


WHY = """
name: why
params: {xs: [1, 2, 3], offset: 1, n: 1}
steps:
  base: {run: wsteps.base, inputs: {n: "${params.n}"}}
  shifted:
    run: wsteps.shift
    foreach: "${params.xs}"
    as: x
    inputs: {offset: "${params.offset}", base: "${steps.base}", path: data.txt}
"""

WHY_STEPS = """
def base(n):
    return 10 * n


def shift(x, offset, base, path):
    return x + offset + base
"""

CHANGES = {
    "its code": ({}, ("x + offset + base", "base + x + offset"), None),
    "a param": ({"offset": 2}, None, None),
    "an upstream result": ({"n": 2}, None, None),  # `base` of n=2 run alone first
    "an input file": ({}, None, "changed"),
    "its items": ({"xs": [1, 2, 3, 4]}, None, None),
}
REASONS = {
    "its code": "3 of 3 items have no stored result (code of wsteps.py changed (`shift`))",
    "a param": "3 of 3 items have no stored result (param offset changed (1 -> 2))",
    "an upstream result": "3 of 3 items have no stored result (the result of `base` changed)",
    "an input file": "3 of 3 items have no stored result (input file data.txt changed)",
    "its items": "1 of 4 items have no stored result (param xs changed ([1, 2, 3] -> [1, 2, 3, "
    "4]))",
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_foreach_step_that_runs_says_what_changed(tmp_path: Path, change: str) -> None:
    """As for any step: compared with its newest stored result (an item's). Before, it said
    only "3 of 3 items have no stored result"."""
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(WHY_STEPS))
    (tmp_path / "data.txt").write_text("first")
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(WHY))
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    params, code, data = CHANGES[change]
    if code is not None:
        source = tmp_path / "wsteps.py"
        source.write_text(source.read_text().replace(*code))
    if data is not None:
        (tmp_path / "data.txt").write_text(data)
    if "n" in params:
        assert pipeflow.load(tmp_path / "pipeline.yaml", params=params).run(only="base").ok

    pipe = pipeflow.load(tmp_path / "pipeline.yaml", params=params or None)
    reasons = {decision.step: decision.reason for decision in pipe.status()}

    assert reasons["shifted"] == REASONS[change], reasons


@pytest.mark.parametrize("declared", [False, True])
def test_an_item_without_a_result_is_not_compared_with_another_items_files(
    tmp_path: Path, declared: bool
) -> None:
    """Only `books/b.txt` is edited. Its item was compared with the newest result, another
    item's: "it now reads books/b.txt; it no longer reads books/c.txt", and with `reads:` on
    the item, "reads.item changed". The item's own files are not the step's."""
    books = tmp_path / "books"
    books.mkdir()
    for name in "abc":
        (books / f"{name}.txt").write_text(name)
    (tmp_path / "bsteps.py").write_text("def count(book):\n    return len(book)\n")
    reads = ', reads: ["${book}"]' if declared else ""
    (tmp_path / "pipeline.yaml").write_text(
        "name: books\nsteps:\n  words: {run: bsteps.count, "
        f"foreach: [books/a.txt, books/b.txt, books/c.txt], as: book{reads}}}\n"
    )
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    (books / "b.txt").write_text("bee")
    reasons = {d.step: d.reason for d in pipeflow.load(tmp_path / "pipeline.yaml").status()}
    assert reasons["words"].startswith("1 of 3 items have no stored result"), reasons
    for false in ("c.txt", "a.txt", "no longer", "reads.item", "writes.item"):
        assert false not in reasons["words"], reasons
