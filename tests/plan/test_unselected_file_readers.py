"""A step outside the selection that reads files a selected step is about to rewrite is
`skipped (not selected)`, as one taking that step's value is: its files were fingerprinted
before the writer ran (SPEC section 12), so a stored result found for them may be stale. It
was reported, and recorded in the history, as `cached (stored by run ...)`, and `status` said
right after that it had to run."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action, StepState

STEPS = """
from pathlib import Path


def prep(out, k):
    Path(out).write_text(str(k))


def feat(src, out):
    Path(out).write_text(Path(src).read_text() * 2)


def train(src):
    return Path(src).read_text()


def prep_to(k):
    Path("data/a.txt").write_text(str(k))


def feat_from():
    Path("data/b.txt").write_text(Path("data/a.txt").read_text() * 2)


def train_from():
    return Path("data/b.txt").read_text()
"""

# Each way a step reads what another writes: path inputs, and `writes:` with `reads:`.
LINKS = {
    "path inputs": """
  prep: {run: usteps.prep, inputs: {out: data/a.txt, k: "${params.k}"}, writes: [data/a.txt],
         tags: [front]}
  feat: {run: usteps.feat, inputs: {src: data/a.txt, out: data/b.txt}, writes: [data/b.txt],
         tags: [front]}
  train: {run: usteps.train, inputs: {src: data/b.txt}}
""",
    "reads": """
  prep: {run: usteps.prep_to, inputs: {k: "${params.k}"}, writes: [data/a.txt], tags: [front]}
  feat: {run: usteps.feat_from, reads: [data/a.txt], writes: [data/b.txt], tags: [front]}
  train: {run: usteps.train_from, reads: [data/b.txt]}
""",
}

# Each selection that leaves `train` out while `prep` and `feat` run.
SELECTIONS = {
    "until": (["--until", "feat"], {"until": "feat"}),
    "only": (["--only", "prep", "--only", "feat"], {"only": ["prep", "feat"]}),
    "tag": (["--tag", "front"], {"tags": ["front"]}),
}


@pytest.fixture(params=sorted(LINKS))
def config(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "usteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "data").mkdir()
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "name: until\nparams: {k: 1}\nresults: {root: store}\nsteps:" + LINKS[request.param]
    )
    assert pipeflow.load(path).run().ok
    return path


def rows(output: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()[1:]
        for line in output.splitlines()
        if line.split()[:1] in (["prep"], ["feat"], ["train"])
    }


@pytest.mark.parametrize("selection", sorted(SELECTIONS))
def test_a_reader_of_rewritten_files_outside_the_selection_is_not_selected(
    config: Path, selection: str
) -> None:
    options, keywords = SELECTIONS[selection]
    args = [str(config), "--param", "k=2", *options]

    # The plan: `status`, `status --json`, `run --dry-run`, the API.
    planned = {
        d.step: (d.action, d.reason)
        for d in pipeflow.load(config, params={"k": 2}).status(**keywords)
    }
    assert planned["train"] == (Action.SKIPPED, "not selected")
    shown = CliRunner().invoke(cli, ["status", *args])
    assert rows(shown.output)["train"] == ["skipped", "not", "selected"], shown.output
    listed = json.loads(CliRunner().invoke(cli, ["status", "--json", *args]).output)["steps"]
    train = next(row for row in listed if row["step"] == "train")
    assert (train["action"], train["reason"]) == ("skipped", "not selected")
    dry = CliRunner().invoke(cli, ["run", "--dry-run", *args])
    assert "stored by run" not in dry.output.split("train", 1)[1], dry.output

    # The run, its console and its history.
    ran = CliRunner().invoke(cli, ["run", *args])
    assert ran.exit_code == 0, ran.output
    assert re.search(r"train: skipped \(not selected\)", ran.output), ran.output
    assert "stored by run" not in ran.output
    history = CliRunner().invoke(cli, ["runs", "--home", str(config.parent / ".pipeflow")])
    run_id = history.output.splitlines()[1].split()[0]
    show = CliRunner().invoke(
        cli, ["runs", "show", run_id, "--home", str(config.parent / ".pipeflow")]
    )
    assert rows(show.output)["train"][0] == "skipped", show.output
    assert "cache hit" not in show.output

    # Now the whole pipeline: train is stale, and says why.
    after = {d.step: (d.action, d.reason) for d in pipeflow.load(config, params={"k": 2}).status()}
    assert after["train"] == (Action.RUN, "input file data/b.txt changed")


def test_the_api_run_skips_it_too(config: Path) -> None:
    result = pipeflow.load(config, params={"k": 2}).run(until="feat")
    assert result.ok
    assert result.outcomes["train"].state is StepState.SKIPPED
    assert result.outcomes["train"].reason == "not selected"


def test_a_needed_reader_of_rewritten_files_is_reported_missing(config: Path) -> None:
    """`--only prep --only train`: `feat` is needed, and its stored result was made from the
    `data/a.txt` that `prep` rewrites: no up-to-date result, as for a value it takes."""
    ran = CliRunner().invoke(
        cli, ["run", str(config), "--param", "k=2", "--only", "prep", "--only", "train"]
    )
    assert ran.exit_code == 2, ran.output
    assert "feat" in ran.output
    assert (config.parent / "data" / "a.txt").read_text() == "1"  # nothing was run


def test_nothing_upstream_runs_it_is_still_taken_from_the_cache(config: Path) -> None:
    planned = {d.step: (d.action, d.reason) for d in pipeflow.load(config).status(until="feat")}
    assert planned["train"][0] is Action.CACHED
    assert planned["train"][1].startswith("stored by run ")
