"""A path input with wildcards (`data/parts/*.csv`) counts in the key by what it matches, as a
glob in `reads:` does: a file added, removed or edited runs the step again, and a step that
globs what another step writes is never served a result from the writer's earlier files.
Before, such an input was taken as a literal name, which no file had, so nothing of the files
counted: adding a file left the step cached with a stale result. A file whose own name holds
a wildcard character counts as itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action

STEPS = """
import glob
from pathlib import Path


def write(out, n):
    Path(out).mkdir(parents=True, exist_ok=True)
    for old in Path(out).glob("*.csv"):
        old.unlink()
    for i in range(n):
        Path(out, f"part{i}.csv").write_text(str(i))


def combine(pattern):
    return sorted(Path(f).read_text() for f in glob.glob(pattern, recursive=True))


def literal(path):
    return Path(path).read_text()


def named():
    return Path(__file__).with_name("data").joinpath("report[1].txt").read_text()


def listing(folder):
    return sorted(path.read_text() for path in Path(folder).rglob("*.csv"))
"""


def project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "globsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(config))
    return tmp_path / "pipeline.yaml"


def actions(config: Path, **params: object) -> dict[str, tuple[Action, str]]:
    pipe = pipeflow.load(config, params=params or None)
    return {decision.step: (decision.action, decision.reason) for decision in pipe.status()}


@pytest.mark.parametrize("pattern", ["data/*.csv", "data/**/*.csv", "data/part?.csv"])
def test_a_file_added_removed_or_edited_among_the_matches_runs_the_step(
    tmp_path: Path, pattern: str
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "part1.csv").write_text("1")
    config = project(
        tmp_path,
        f"""
        name: globbed
        steps:
          combine: {{run: globsteps.combine, inputs: {{pattern: "{pattern}"}}}}
        """,
    )
    assert pipeflow.load(config).run().output("combine") == ["1"]
    assert actions(config)["combine"][0] is Action.CACHED

    (tmp_path / "data" / "part2.csv").write_text("2")
    action, reason = actions(config)["combine"]
    assert action is Action.RUN
    assert reason == f"input files matching {pattern} changed"
    assert pipeflow.load(config).run().output("combine") == ["1", "2"]

    (tmp_path / "data" / "part2.csv").write_text("3")
    assert actions(config)["combine"][0] is Action.RUN
    assert pipeflow.load(config).run().output("combine") == ["1", "3"]

    (tmp_path / "data" / "part1.csv").unlink()
    assert actions(config)["combine"][0] is Action.RUN
    assert pipeflow.load(config).run().output("combine") == ["3"]
    assert actions(config)["combine"][0] is Action.CACHED


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("spelling", ["literal", "param", "item", "item-folder"])
def test_a_glob_over_what_another_step_writes_follows_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str, spelling: str
) -> None:
    """Whether the glob is written out, comes from a param or is a `foreach` item (or the item
    is a folder above what is written), and on every local executor; run from another folder
    than the project's."""
    combine = {
        "literal": '{run: globsteps.combine, inputs: {pattern: "data/parts/*.csv"}}',
        "param": '{run: globsteps.combine, inputs: {pattern: "${params.pattern}"}}',
        "item": '{run: globsteps.combine, foreach: ["data/parts/*.csv"], as: pattern}',
        # A folder above what `write` writes: not a glob, and known only once `write` is done
        # (or restored) too. Before, a restore of `write` made the plan fail (Unpredictable).
        "item-folder": "{run: globsteps.listing, foreach: [data/], as: folder}",
    }[spelling]
    config = project(
        tmp_path,
        f"""
        name: parts
        executor: {{type: {executor}}}
        results: {{root: store}}
        params: {{n: 2, pattern: data/parts/*.csv}}
        steps:
          write:
            run: globsteps.write
            inputs: {{out: data/parts, n: "${{params.n}}"}}
            writes: [data/parts]
          combine: {combine}
        """,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    def combined(run: pipeflow.api.Run) -> list[str]:
        value = run.output("combine")
        return value[0] if spelling.startswith("item") else value

    assert combined(pipeflow.load(config).run()) == ["0", "1"]
    run = pipeflow.load(config, params={"n": 3}).run()
    assert run.outcomes["combine"].state.value == "done"
    assert combined(run) == ["0", "1", "2"]
    back = pipeflow.load(config).run()  # both results of n=2 are stored: nothing runs
    assert {outcome.state.value for outcome in back.outcomes.values()} == {"cached"}
    assert combined(back) == ["0", "1"]


NAMED = {
    "input": '{run: globsteps.literal, inputs: {path: "data/report[1].txt"}}',
    # `reads:` too: before, it was taken only as a glob, which matched `data/report1.txt` (or
    # nothing, and the step failed before it ran). The step opens the file itself.
    "read": '{run: globsteps.named, reads: ["data/report[1].txt"]}',
    "read-param": '{run: globsteps.named, reads: ["${params.path}"]}',
}


@pytest.mark.parametrize("matched", [True, False], ids=["another-matched", "none-matched"])
@pytest.mark.parametrize("where", sorted(NAMED))
def test_a_file_whose_name_holds_a_wildcard_counts_as_itself(
    tmp_path: Path, where: str, matched: bool
) -> None:
    (tmp_path / "data").mkdir()
    named = tmp_path / "data" / "report[1].txt"
    named.write_text("first")
    if matched:
        (tmp_path / "data" / "report1.txt").write_text("a file the pattern would match")
    config = project(
        tmp_path,
        f"""
        name: literal
        params: {{path: "data/report[1].txt"}}
        steps:
          literal: {NAMED[where]}
        """,
    )
    assert pipeflow.load(config).run().output("literal") == "first"
    (tmp_path / "data" / "report1.txt").write_text("edited, or new: not the file named")
    assert actions(config)["literal"][0] is Action.CACHED
    named.write_text("second")
    assert actions(config)["literal"] == (
        Action.RUN,
        "input file data/report[1].txt changed",
    )


def test_a_read_named_with_a_wildcard_alone_fails_its_step_before_it_runs(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    config = project(
        tmp_path,
        """
        name: literal_read
        steps:
          literal: {run: globsteps.literal, inputs: {path: "x.txt"}, reads: ["data/report[1].txt"]}
        """,
    )
    outcome = pipeflow.load(config).run().outcomes["literal"]
    assert outcome.error is not None
    assert "`reads` names data/report[1].txt, which matches nothing" in outcome.error
