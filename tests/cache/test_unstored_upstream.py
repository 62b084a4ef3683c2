"""A step that takes the value of a step whose result is not stored (`result: false`) is keyed
by that value, as it is by a stored one's checksum: the value as pipeflow would store it is
hashed where the step ran.

Before, such a value counted by its step's key ("the same inputs, the same value"): a step
reading a database, an API or an undeclared file with `result: false` gave a new value, yet
the steps after it stayed cached with the old one, while `status` said they would run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action, StepState

STEPS = """
import pathlib
import threading


def fetch(kind):
    text = pathlib.Path(__file__).with_name("source.txt").read_text().strip()  # a database, an API
    if kind == "text":
        return text
    if kind == "frame":
        import pandas
        return pandas.DataFrame({"word": [text], "n": [len(text)]})
    if kind == "parts":
        return {"word": text, "n": len(text)}
    if kind == "set":
        return {text, "fixed"}
    raise ValueError(kind)


def fetch_item(tag):
    return tag + ":" + pathlib.Path(__file__).with_name("source.txt").read_text().strip()


def connect():
    return threading.Lock()  # a handle no format holds


def shout(value):
    if hasattr(value, "to_dict"):
        value = value.to_dict("list")
    if isinstance(value, set):
        value = sorted(value)
    return repr(value).upper()


def use(handle, word):
    return f"{word} with {type(handle).__name__}"
"""

KINDS = ("text", "frame", "parts", "set", "foreach")


def _project(tmp_path: Path, kind: str, executor: str) -> Path:
    (tmp_path / "usteps.py").write_text(STEPS)
    (tmp_path / "source.txt").write_text("hello\n")
    outputs = "outputs: [word, n], " if kind == "parts" else ""
    value = "${steps.fetch.word}" if kind == "parts" else "${steps.fetch}"
    run = "{run: usteps.fetch, inputs: {kind: " + kind + "}, "
    if kind == "foreach":  # each item's value is hashed, and the step's is made of them
        run = "{run: usteps.fetch_item, foreach: [a, b], as: tag, "
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: unstored
            executor: {{type: {executor}}}
            results: {{root: out}}
            steps:
              fetch: {run}{outputs}result: false}}
              shout: {{run: usteps.shout, inputs: {{value: "{value}"}}}}
            """
        )
    )
    return config


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_step_after_an_unstored_step_runs_again_when_its_value_changed(
    tmp_path: Path, kind: str, executor: str
) -> None:
    if kind == "frame":
        pytest.importorskip("pandas")
    config = _project(tmp_path, kind, executor)
    first = pipeflow.load(config).run(history=False)
    assert first.ok, first.outcomes
    assert "HELLO" in first.output("shout")

    again = pipeflow.load(config).run(history=False)  # the same value: cached
    assert again.state("shout") is StepState.CACHED, again.outcomes

    (tmp_path / "source.txt").write_text("world\n")
    changed = pipeflow.load(config).run(history=False)
    assert changed.state("shout") is StepState.DONE, changed.outcomes
    assert "WORLD" in changed.output("shout")
    fresh = pipeflow.load(config).run(history=False, no_cache=True)
    assert changed.output("shout") == fresh.output("shout")


def test_status_and_run_agree_about_a_step_after_an_unstored_step(tmp_path: Path) -> None:
    config = _project(tmp_path, "text", "sequential")
    assert pipeflow.load(config).run(history=False).ok
    # Nothing is known of the value before it is made: status says the step waits for it.
    decisions = {d.step: d for d in pipeflow.load(config).status()}
    assert decisions["shout"].action is Action.RUN
    assert "`fetch` runs first" in decisions["shout"].reason


def test_a_value_no_format_holds_counts_by_its_steps_key(tmp_path: Path) -> None:
    """A handle (a connection, a lock) has no bytes to hash: as before, the steps after it
    are keyed by its step's key, so they stay cached while its inputs stay the same."""
    (tmp_path / "usteps.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            """
            name: handles
            results: {root: out}
            steps:
              db: {run: usteps.connect, result: false}
              query: {run: usteps.use, inputs: {handle: "${steps.db}", word: hi}}
            """
        )
    )
    assert pipeflow.load(config).run(history=False).ok
    again = pipeflow.load(config).run(history=False)
    assert again.ok, again.outcomes
    assert again.state("query") is StepState.CACHED, again.outcomes
