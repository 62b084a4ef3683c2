"""`foreach` targets named by the item (`{item}`, or the `as:` name), as Snakemake names outputs.

Each item's result lands at a path made from the item; every version is kept, so a deleted
item's result is restored, not re-made; an item that would send its result outside the
results root is refused (at validation when the list is known then, else when it is stored).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action, StepState
from tests.calls import calls

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def words(book):
    with LOG.open("a") as log:
        log.write(f"words:{book}\\n")
    return {"book": book, "words": len(book)}


def names():
    return ["../../escape"]
"""


def make(tmp_path: Path, steps: str, params: str = "{books: [alpha, beta, gamma]}") -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    body = textwrap.indent(textwrap.dedent(steps), "  ")
    config.write_text(f"name: items\nparams: {params}\nresults: {{root: out}}\nsteps:\n{body}")
    return config


@pytest.mark.parametrize("field", ["{book}", "{item}"])
def test_each_item_is_stored_where_the_item_names_it(tmp_path: Path, field: str) -> None:
    config = make(
        tmp_path,
        f"""
        words:
          run: mysteps.words
          foreach: "${{params.books}}"
          as: book
          result: {{target: "counts/{field}.json"}}
        """,
    )
    run = pipeflow.load(config).run()
    assert run.ok
    assert run.output("words")[1] == {"book": "beta", "words": 4}
    stored = sorted(p.name for p in (tmp_path / "out" / "counts").iterdir())
    assert stored == ["alpha.json", "beta.json", "gamma.json"]
    assert calls(tmp_path) == ["words:alpha", "words:beta", "words:gamma"]
    assert pipeflow.load(config).run().output("words")[2]["book"] == "gamma"
    assert calls(tmp_path) == []


def test_a_deleted_item_result_is_restored(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        words:
          run: mysteps.words
          foreach: "${params.books}"
          as: book
          result: {target: "counts/{book}.json"}
        """,
    )
    pipeflow.load(config).run()
    calls(tmp_path)
    target = tmp_path / "out" / "counts" / "beta.json"
    kept = target.read_bytes()
    target.unlink()
    [decision] = pipeflow.load(config).status()
    assert decision.action is Action.RESTORE
    assert decision.reason == "1 of 3 items to restore: counts/beta.json is missing"
    run = pipeflow.load(config).run()
    assert run.outcomes["words"].state is StepState.CACHED
    assert calls(tmp_path) == []
    assert target.read_bytes() == kept


def test_a_foreach_target_needs_the_key_or_the_item(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        words:
          run: mysteps.words
          foreach: "${params.books}"
          as: book
          result: {target: "counts/all.json"}
        """,
    )
    with pytest.raises(pipeflow.ConfigError) as caught:
        pipeflow.load(config)
    assert "its target needs `{key}`, or the item: `{book}`" in str(caught.value)


def test_an_item_cannot_send_its_result_outside_the_root(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        words:
          run: mysteps.words
          foreach: "${params.books}"
          as: book
          result: {target: "counts/{item}.json"}
        """,
        params="{books: [ok, ../../escape]}",
    )
    with pytest.raises(pipeflow.ConfigError) as caught:
        pipeflow.load(config)
    assert "contains `..`" in str(caught.value)

    late = make(
        tmp_path,
        """
        names: {run: mysteps.names}
        words:
          run: mysteps.words
          foreach: "${steps.names}"
          as: book
          result: {target: "counts/{item}.json"}
        """,
    )
    run = pipeflow.load(late).run()
    assert run.outcomes["words"].state is StepState.FAILED
    assert "contains `..`" in (run.outcomes["words"].error or "")
    assert not (tmp_path / "escape.json").exists()
    assert not list(tmp_path.parent.glob("escape*"))
