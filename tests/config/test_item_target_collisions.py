"""Two items of one `foreach` step whose targets lead to one place are refused: by `validate`
and every command that loads the config (exit 2) when the list is known before the run, and
by the run, failing that step before any item is stored, when the list comes from a step's
value. Before, such a config validated; each run overwrote one item's result with another's,
every later run found one changed ("1 of 3 items to restore"), `run --frozen` ran an item,
and `pipeflow result` never found the step's result."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError
from pipeflow.model.run import StepState

STEPS = """
from pathlib import Path


def note(text):
    with Path(__file__).with_name("calls.log").open("a") as log:
        log.write(text + "\\n")


def listed(items):
    return items


def train(ratio):
    note(f"train {ratio!r}")
    return {"ratio": ratio}


def pair(ratio):
    note(f"pair {ratio!r}")
    return {"model": {"r": ratio}, "metrics": {"auc": ratio}}
"""


def write(folder: Path, body: str) -> Path:
    (folder / "isteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(textwrap.dedent(body))
    return config


def sweep(items: str, target: str, *, params: str = "{}", extra: str = "") -> str:
    return f"""
    name: sweep
    params: {params}
    results: {{root: out}}
    steps:
      train:
        run: isteps.train
        foreach: {items}
        as: ratio
        result: {{target: "{target}"{extra}}}
    """


# (the list, the target, the two items' numbers and values as the message names them, place)
CLASHES = {
    "a format that rounds": (
        "[0.1, 0.2, 0.25]",
        "models/r{ratio:.1f}.json",
        "items 2 (0.2) and 3 (0.25)",
        "models/r0.2.json",
    ),
    "through a param": (
        "${params.ratios}",
        "models/r{ratio:.1f}.json",
        "items 2 (0.2) and 3 (0.25)",
        "models/r0.2.json",
    ),
    "{item} spelled for the `as` name": (
        "[0.1, 0.2, 0.25]",
        "models/r{item:.0f}.json",
        "items 1 (0.1) and 2 (0.2)",
        "models/r0.json",
    ),
    "a key of mapping items": (
        "[{name: a, seed: 1}, {name: a, seed: 2}]",
        "models/{ratio.name}.json",
        "items 1 ({'name': 'a', 'seed': 1}) and 2 ({'name': 'a', 'seed': 2})",
        "models/a.json",
    ),
    "spelled two ways": (
        '["a", "./a"]',
        "models/{ratio}/m.json",
        "items 1 ('a') and 2 ('./a')",
        "models/a/m.json",
    ),
}


@pytest.mark.parametrize(
    ("items", "target", "named", "place"), CLASHES.values(), ids=CLASHES.keys()
)
def test_two_items_storing_at_one_place_are_refused(
    tmp_path: Path, items: str, target: str, named: str, place: str
) -> None:
    config = write(tmp_path, sweep(items, target, params="{ratios: [0.1, 0.2, 0.25]}"))
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert "error at `steps.train.result.target`" in result.output, result.output
    assert f"{named} of `foreach` step `train` both store their result at {place}" in (
        result.output
    )
    assert "give each item its own target" in result.output
    assert "`{ratio}`" in result.output
    assert "`{key}`" in result.output
    # Every command that loads it refuses it: nothing runs, nothing is stored.
    for command in (
        ["run", str(config)],
        ["run", str(config), "--frozen"],
        ["status", str(config)],
    ):
        refused = CliRunner().invoke(cli, command)
        assert refused.exit_code == 2, refused.output
    assert not (tmp_path / "calls.log").exists()
    assert not (tmp_path / "out").exists()


def test_two_items_of_a_step_with_outputs_at_one_place_are_refused(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
        name: sweep
        results: {root: out}
        steps:
          train:
            run: isteps.pair
            foreach: [a1, a2]
            as: ratio
            outputs: [model, metrics]
            result: {target: "m/{output}-{ratio:.1}.json"}
        """,
    )
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    assert "items 1 ('a1') and 2 ('a2') of `foreach` step `train` both store their result at " in (
        str(raised.value)
    )


APART = {
    "the item whole": ("[0.1, 0.2, 0.25]", "models/r{ratio}.json"),
    "the key": ("[0.1, 0.2, 0.25]", "models/r{key}.json"),
    "the same item twice": ("[0.1, 0.1]", "models/r{ratio:.1f}.json"),
    "rounded apart": ("[0.1, 0.2, 0.3]", "models/r{ratio:.1f}.json"),
}


@pytest.mark.parametrize(("items", "target"), APART.values(), ids=APART.keys())
def test_items_with_targets_of_their_own_are_accepted(
    tmp_path: Path, items: str, target: str
) -> None:
    config = write(tmp_path, sweep(items, target))
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    assert pipeflow.load(config).run().ok
    again = pipeflow.load(config).run()
    assert again.outcomes["train"].state is StepState.CACHED  # nothing overwritten


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_items_known_only_during_the_run_fail_the_step_before_storing(
    tmp_path: Path, executor: str
) -> None:
    config = write(
        tmp_path,
        """
        name: sweep
        results: {root: out}
        steps:
          ratios: {run: isteps.listed, inputs: {items: [0.1, 0.2, 0.25]}}
          train:
            run: isteps.train
            foreach: ${steps.ratios}
            as: ratio
            result: {target: "models/r{ratio:.1f}.json"}
        """,
    )
    assert CliRunner().invoke(cli, ["validate", str(config)]).exit_code == 0
    run = pipeflow.load(config).run(executor=executor)
    outcome = run.outcomes["train"]
    assert outcome.state is StepState.FAILED
    assert (
        "items 2 (0.2) and 3 (0.25) of `foreach` step `train` both store their result at "
        "models/r0.2.json"
    ) in (outcome.error or "")
    assert not (tmp_path / "calls.log").exists()  # no item ran
    assert not (tmp_path / "out" / "models").exists()  # none was stored
    assert not list((tmp_path / "out").rglob("manifests/sweep/train/*"))
    command = CliRunner().invoke(cli, ["run", str(config)])
    assert command.exit_code == 1, command.output
    assert "both store their result at models/r0.2.json" in command.output
