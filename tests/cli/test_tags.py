"""Selecting steps by tag: `--tag` on run, status and run --dry-run, `tags=` in the API,
unknown tags refused with a suggestion, tag names completed, sub-pipeline steps tagged."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.api import ALL
from pipeflow.cli import cli
from pipeflow.model.run import StepState
from tests.cli.test_completion import bash_values, complete

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def load():
    note("load")
    return [1, 2, 3, 4]


def clean(rows):
    note("clean")
    return [row for row in rows if row > 1]


def train(rows):
    note("train")
    return sum(rows)


def evaluate(model):
    note("evaluate")
    return model / 10


def report(score):
    note("report")
    return f"score {score}"
"""

YAML = """
name: tagged
results: {root: out}
steps:
  load: {run: mysteps.load, tags: [io]}
  clean: {run: mysteps.clean, inputs: {rows: "${steps.load}"}, tags: [prep]}
  train: {run: mysteps.train, inputs: {rows: "${steps.clean}"}, tags: [model, slow]}
  evaluate: {run: mysteps.evaluate, inputs: {model: "${steps.train}"}, tags: [model]}
  report: {run: mysteps.report, inputs: {score: "${steps.evaluate}"}, tags: [io, output]}
"""

TOML = """
name = "tagged"
results = {root = "out"}

[steps.load]
run = "mysteps.load"
tags = ["io"]

[steps.clean]
run = "mysteps.clean"
inputs = {rows = "${steps.load}"}
tags = ["prep"]

[steps.train]
run = "mysteps.train"
inputs = {rows = "${steps.clean}"}
tags = ["model", "slow"]

[steps.evaluate]
run = "mysteps.evaluate"
inputs = {model = "${steps.train}"}
tags = ["model"]

[steps.report]
run = "mysteps.report"
inputs = {score = "${steps.evaluate}"}
tags = ["io", "output"]
"""


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / f"pipeline.{request.param}"
    path.write_text(textwrap.dedent(YAML if request.param == "yaml" else TOML))
    return path


def calls(config: Path) -> list[str]:
    log = config.parent / "calls.log"
    found = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return found


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def ran_once_then_train_changed(config: Path) -> None:
    code, output = invoke("run", str(config))
    assert code == 0, output
    assert calls(config) == ["load", "clean", "train", "evaluate", "report"]
    (config.parent / "mysteps.py").write_text(
        textwrap.dedent(STEPS).replace("return sum(rows)", "return sum(rows) * 2")
    )


def test_run_tag_runs_the_tagged_steps_and_takes_the_rest_from_the_cache(config: Path) -> None:
    ran_once_then_train_changed(config)
    code, output = invoke("run", str(config), "--tag", "model")
    assert code == 0, output
    # train's code changed, so it runs, and evaluate after it; load and clean come from the
    # cache; report is not selected: skipped, not run with the new score.
    assert calls(config) == ["train", "evaluate"]


def test_several_tags_select_the_steps_with_any_of_them(config: Path) -> None:
    assert invoke("run", str(config))[0] == 0
    calls(config)
    code, output = invoke("run", str(config), "--tag", "model", "--tag", "output", "--force")
    assert code == 0, output
    assert calls(config) == ["train", "evaluate", "report"]  # load and clean: cached


def test_a_needed_step_outside_the_tags_without_a_result_is_an_error(config: Path) -> None:
    code, output = invoke("run", str(config), "--tag", "output")
    assert code == 2
    assert "`report` needs the result of `evaluate`" in output
    assert calls(config) == []


def test_tag_combines_with_only_from_until_as_an_intersection(config: Path) -> None:
    assert invoke("run", str(config))[0] == 0
    pipe = pipeflow.load(config)

    def selected(**options: object) -> list[str]:
        plan = pipe.status(force=[ALL], **options)  # forced: what is selected runs
        return [d.step for d in plan if str(d.action) == "run"]

    assert selected(tags=["model"]) == ["train", "evaluate"]
    assert selected(tags=["model", "output"]) == ["train", "evaluate", "report"]
    assert selected(tags=["model"], only=["evaluate", "clean"]) == ["evaluate"]
    assert selected(tags=["io"], start="clean") == ["report"]
    assert selected(tags=["io"], until="evaluate") == ["load"]
    assert selected(tags="model") == ["train", "evaluate"]  # one tag as a string


def test_status_and_dry_run_show_the_tag_selection(config: Path) -> None:
    ran_once_then_train_changed(config)
    code, output = invoke("status", str(config), "--tag", "model", "--json")
    assert code == 0, output
    plan = {row["step"]: row for row in json.loads(output)["steps"]}
    assert [step for step, row in plan.items() if row["action"] == "run"] == ["train", "evaluate"]
    assert plan["clean"]["action"] == "cached"
    assert (plan["report"]["action"], plan["report"]["reason"]) == ("skipped", "not selected")
    code, output = invoke("run", str(config), "--dry-run", "--tag", "model", "--tag", "prep")
    assert code == 0, output
    assert "nothing is run" in output
    rows = {line.split()[0]: line.split()[1] for line in output.splitlines()[1:] if line.strip()}
    assert rows["train"] == "run"
    assert rows["clean"] == "cached"
    assert rows["report"] == "skipped"
    assert calls(config) == []


@pytest.mark.parametrize("command", ["run", "status"])
def test_an_unknown_tag_is_refused_with_a_suggestion(config: Path, command: str) -> None:
    code, output = invoke(command, str(config), "--tag", "modle")
    assert code == 2
    assert "no step of pipeline `tagged` is tagged `modle`" in output
    assert "did you mean `model`?" in output
    code, output = invoke(command, str(config), "--tag", "zzz")
    assert code == 2
    assert "known tags: `io`, `prep`, `model`, `slow`, `output`" in output
    assert calls(config) == []


def test_the_api_takes_tags(config: Path) -> None:
    run = pipeflow.load(config).run(tags=["prep", "io"], until="clean", history=False)
    assert run.ok
    assert calls(config) == ["load", "clean"]
    assert run.state("clean") is StepState.DONE
    assert run.state("train") is StepState.SKIPPED
    with pytest.raises(pipeflow.ConfigError, match="did you mean `prep`"):
        pipeflow.load(config).run(tags=["perp"], history=False)


def test_tag_names_are_completed(config: Path) -> None:
    folder = config.parent
    for line in (f"pipeflow run {config.name} --tag ", f"pipeflow status {config.name} --tag "):
        assert bash_values(complete("bash", line, folder)) == [
            "io",
            "prep",
            "model",
            "slow",
            "output",
        ]
    output = complete("bash", f"pipeflow run {config.name} --tag o", folder)
    assert bash_values(output) == ["output"]


CHILD = """
name: child
steps:
  make: {run: childsteps.make, tags: [io]}
  fit: {run: childsteps.fit, inputs: {rows: "${steps.make}"}, tags: [model]}
outputs:
  model: ${steps.fit}
"""

CHILD_STEPS = """
def make():
    return [1, 2, 3]


def fit(rows):
    return sum(rows)
"""

PARENT = """
name: parent
steps:
  first: {run: childsteps.make, tags: [io]}
  sub: {pipeline: child.yaml, tags: [nested]}
"""


def test_sub_pipeline_steps_carry_their_tags_and_the_parent_steps(tmp_path: Path) -> None:
    (tmp_path / "childsteps.py").write_text(textwrap.dedent(CHILD_STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(PARENT))
    pipe = pipeflow.load(tmp_path / "pipeline.yaml")
    assert pipe.step("sub/make").tags == ("io", "nested")
    assert pipe.step("sub/fit").tags == ("model", "nested")

    def running(*tags: str) -> list[str]:
        return [d.step for d in pipe.status(tags=list(tags)) if str(d.action) == "run"]

    assert running("nested") == ["sub/make", "sub/fit"]
    assert running("nested", "io") == ["first", "sub/make", "sub/fit"]
    with pytest.raises(pipeflow.ConfigError, match="`sub/fit` needs the result of `sub/make`"):
        running("model")
    line = "pipeflow run pipeline.yaml --tag "
    assert bash_values(complete("bash", line, tmp_path)) == ["io", "nested", "model"]
