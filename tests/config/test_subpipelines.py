"""Sub-pipelines: a step with `pipeline:` runs another config's steps, inlined as `STEP/NAME`."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError, Problem
from pipeflow.model.events import Event, StepOutput
from pipeflow.model.refs import Ref
from tests.conftest import ProjectFactory

REPO = Path(__file__).resolve().parents[2]

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def make(n):
    note("make")
    return list(range(n))


def split(values, cut):
    note("split")
    return {"low": values[:cut], "high": values[cut:]}


def total(values):
    note("total")
    return sum(values)
"""

CHILD = """
name: child
params: {n: 5, cut: 2}
results: {root: child_out}
steps:
  make: {run: mysteps.make, inputs: {n: "${params.n}"}}
  split:
    run: mysteps.split
    inputs: {values: "${steps.make}", cut: "${params.cut}"}
    outputs: [low, high]
outputs:
  low: ${steps.split.low}
  high: ${steps.split.high}
"""

PARENT = """
name: parent
params: {size: 10}
results: {root: out}
steps:
  prep:
    pipeline: child.yaml
    params: {n: "${params.size}"}
  sum_low: {run: mysteps.total, inputs: {values: "${steps.prep.low}"}}
  last: {run: mysteps.total, inputs: {values: [1]}, after: [prep]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "parent.yaml").write_text(textwrap.dedent(PARENT))
    return tmp_path


def calls(project: Path) -> list[str]:
    log = project / "calls.log"
    found = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return found


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(path)
    return [problem.format() for problem in raised.value.problems]


def test_the_child_steps_are_inlined_under_the_step_name(project: Path) -> None:
    steps = pipeflow.load(project / "parent.yaml").definition.steps
    assert list(steps) == ["prep/make", "prep/split", "sum_low", "last"]
    make, split = steps["prep/make"], steps["prep/split"]
    assert make.inputs == {"n": 10}  # the child's param, overridden by the parent's
    assert split.inputs == {"values": Ref("steps", ("prep/make",)), "cut": 2}
    assert make.result.root == str(project / "child_out")  # the child's own store
    assert split.origin is not None
    assert split.origin.step == "split"


def test_the_parent_reads_the_child_outputs(project: Path) -> None:
    steps = pipeflow.load(project / "parent.yaml").definition.steps
    assert steps["sum_low"].inputs == {"values": Ref("steps", ("prep/split", "low"))}
    assert steps["last"].after == ("prep/make", "prep/split")  # after every inlined step
    run = pipeflow.load(project / "parent.yaml").run()
    assert run.ok
    assert run.output("sum_low") == 1
    assert run.output("prep/split", "high") == list(range(2, 10))


def test_an_unknown_output_is_located_with_a_suggestion(project: Path) -> None:
    config = project / "parent.yaml"
    config.write_text(config.read_text().replace("${steps.prep.low}", "${steps.prep.lwo}"))
    [problem] = problems(config)
    assert "parent.yaml:9:" in problem
    assert "the sub-pipeline of step `prep` has no output `lwo`" in problem
    assert "did you mean `low`?" in problem


def test_a_reference_to_the_whole_sub_pipeline_names_its_outputs(project: Path) -> None:
    config = project / "parent.yaml"
    config.write_text(config.read_text().replace("${steps.prep.low}", "${steps.prep}"))
    [problem] = problems(config)
    assert "use one of its outputs: `low`, `high`" in problem


def test_a_cycle_across_two_files_is_located_with_its_chain(make_project: ProjectFactory) -> None:
    make_project("name: b\nsteps:\n  back: {pipeline: a.yaml}\n", name="b.yaml")
    a = make_project("name: a\nsteps:\n  there: {pipeline: b.yaml}\n", name="a.yaml")
    [problem] = problems(a)
    assert problem.startswith(f"{a.parent / 'b.yaml'}:3:")
    assert "sub-pipelines form a cycle: a.yaml -> b.yaml -> a.yaml" in problem


def test_a_problem_inside_the_child_is_reported_at_the_child_line(project: Path) -> None:
    child = project / "child.yaml"
    child.write_text(child.read_text().replace("${steps.make}", "${steps.mkae}"))
    [problem] = problems(project / "parent.yaml")
    assert problem.startswith(f"{child}:9:")
    assert "names no step `mkae`" in problem


def test_params_passed_to_a_child_are_checked_at_the_parent(project: Path) -> None:
    config = project / "parent.yaml"
    config.write_text(config.read_text().replace("{n: ", "{m: 3, n: "))
    found = problems(config)
    [problem] = found
    assert "parent.yaml:8:" in problem
    assert "unknown param `m`" in problem


def test_steps_references_in_a_child_params_are_refused(project: Path) -> None:
    config = project / "parent.yaml"
    config.write_text(config.read_text().replace("${params.size}", "${steps.last}"))
    found = problems(config)  # and the cycle `last` -> `prep` -> `last` this makes
    assert any("parent.yaml:8:" in p and "only `${params.*}`" in p for p in found)


def test_params_on_a_run_step_are_still_an_error(make_project: ProjectFactory) -> None:
    config = make_project(
        "name: p\nsteps:\n  a: {run: mysteps.total, params: {x: 1}, inputs: {values: [1]}}\n",
        mysteps=STEPS,
    )
    [problem] = problems(config)
    assert "`params` passes params to a sub-pipeline; this step runs a function" in problem


# -- the examples/flows example ------------------------------------------------------------


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(
        REPO / "examples" / "flows",
        target,
        ignore=shutil.ignore_patterns("__pycache__", "processed", ".pipeflow"),
    )
    return target


def run_flow(path: Path) -> tuple[pipeflow.api.Run, list[str]]:
    events: list[Event] = []
    run = pipeflow.load(path).run(subscribers=[events.append])
    assert run.ok
    return run, [e.text for e in events if isinstance(e, StepOutput)]


def states(run: pipeflow.api.Run) -> dict[str, str]:
    return {name: outcome.state.value for name, outcome in run.outcomes.items()}


def test_the_flows_example_runs_and_then_is_all_cached(flows: Path) -> None:
    first, lines = run_flow(flows / "data_science.yaml")
    assert any("Model accuracy on test set: 96.67" in line for line in lines)
    assert set(states(first).values()) == {"done"}
    second, _ = run_flow(flows / "data_science.yaml")
    assert set(states(second).values()) == {"cached"}


def test_the_flows_example_reuses_what_data_engineering_stored(flows: Path) -> None:
    alone, _ = run_flow(flows / "data_engineering.yaml")
    assert set(states(alone).values()) == {"done"}
    science, lines = run_flow(flows / "data_science.yaml")
    assert {name: state for name, state in states(science).items() if "/" in name} == {
        "data/load_data": "cached",
        "data/get_classes": "cached",
        "data/encode_categorical_columns": "cached",
        "data/split_data": "cached",
    }
    assert states(science)["train_model"] == "done"
    assert any("Model accuracy on test set" in line for line in lines)


@pytest.mark.parametrize(
    ("language", "written", "hint"),
    [
        ("yaml", "c/s", "`after: [c]` waits for all the steps of the sub-pipeline `c`"),
        ("yaml", "c/inner/s", "`after: [c]` waits for all the steps of the sub-pipeline `c`"),
        ("toml", "c/s", '`after = ["c"]` waits for all the steps of the sub-pipeline `c`'),
    ],
)
def test_after_a_sub_pipelines_step_is_told_to_wait_for_the_step_running_it(
    tmp_path: Path, language: str, written: str, hint: str
) -> None:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    if language == "yaml":
        text = (
            "name: p\nsteps:\n  c: {pipeline: child.yaml}\n"
            f'  z: {{run: mysteps.total, inputs: {{values: [1]}}, after: ["{written}"]}}\n'
        )
    else:
        text = (
            'name = "p"\n[steps.c]\npipeline = "child.yaml"\n[steps.z]\n'
            f'run = "mysteps.total"\ninputs = {{values = [1]}}\nafter = ["{written}"]\n'
        )
    config = tmp_path / f"parent.{language}"
    config.write_text(text)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    [problem] = raised.value.problems
    assert problem.path == "steps.z.after[0]"
    assert f"{written!r} is a step of the sub-pipeline `c`" in problem.message
    assert problem.hint == hint


def test_after_a_name_with_a_slash_but_no_sub_pipeline_keeps_the_spelling_hint(
    make_project: ProjectFactory,
) -> None:
    config = make_project(
        "name: p\nsteps:\n  z: {run: mysteps.total, inputs: {values: [1]}, after: [x/s]}\n",
        mysteps=STEPS,
    )
    [problem] = raised_problems(config)
    assert "'x/s' is not a valid step name" in problem.message
    assert problem.hint == "e.g. `x_s`"


def raised_problems(path: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(path)
    return list(raised.value.problems)


GRANDPARENT = """
name: grandparent
steps:
  outer: {pipeline: parent.yaml, params: {size: 6}}
  both: {run: mysteps.total, inputs: {values: "${steps.outer.low}"}}
outputs:
  unused: ${steps.both}
"""


def test_run_output_reads_a_sub_pipeline_output_by_its_step_name(project: Path) -> None:
    for _ in range(2):  # run, then all cached: the value is read back from the store
        run = pipeflow.load(project / "parent.yaml").run()
        assert run.ok
        assert run.output("prep", "low") == [0, 1]
        assert run.output("prep", "high") == list(range(2, 10))


def test_run_output_reads_a_nested_sub_pipeline_and_a_passed_on_output(project: Path) -> None:
    config = project / "parent.yaml"
    config.write_text(config.read_text() + "outputs:\n  low: ${steps.prep.low}\n")
    (project / "grandparent.yaml").write_text(textwrap.dedent(GRANDPARENT))
    run = pipeflow.load(project / "grandparent.yaml").run()
    assert run.ok
    assert run.output("outer", "low") == [0, 1]  # the parent's output, which is its child's
    assert run.output("outer/prep", "high") == list(range(2, 6))
    assert run.output("both") == 1


def test_run_output_of_a_sub_pipeline_output_that_is_a_param(make_project: ProjectFactory) -> None:
    make_project(
        "name: child\nparams: {n: 3}\nsteps:\n  make: {run: lab.make, inputs: {n: '${params.n}'}}\n"
        "outputs:\n  made: ${steps.make}\n  n: ${params.n}\n",
        name="child.yaml",
    )
    config = make_project(
        "name: parent\nsteps:\n  c: {pipeline: child.yaml, params: {n: 4}}\n"
        "  use: {run: lab.add, inputs: {a: '${steps.c.made}', b: '${steps.c.n}'}}\n",
        lab="def make(n):\n    return n * 2\n\n\ndef add(a, b):\n    return a + b\n",
    )
    run = pipeflow.load(config).run()
    assert run.ok
    assert run.output("use") == 12
    assert run.output("c", "made") == 8
    assert run.output("c", "n") == 4


def test_run_output_of_a_sub_pipeline_says_what_it_gives(project: Path) -> None:
    run = pipeflow.load(project / "parent.yaml").run()
    with pytest.raises(KeyError, match=r"`prep` runs a sub-pipeline.*its outputs: `low`, `high`"):
        run.output("prep")
    with pytest.raises(KeyError, match=r"sub-pipeline of step `prep` has no output `lwo`.*`low`"):
        run.output("prep", "lwo")
    with pytest.raises(KeyError, match=r"`prep` is a sub-pipeline; its steps are `prep/make`"):
        run.state("prep")


PARENT_TOML = """
name = "parent"
[params]
size = 10
[results]
root = "out"
[steps.prep]
pipeline = "child.yaml"
params = {n = "${params.size}"}
[steps.sum_low]
run = "mysteps.total"
inputs = {values = "${steps.prep.low}"}
"""


@pytest.mark.parametrize(
    "broken",
    [
        ("parent", "{n: ", "{m: 3, n: "),  # an unknown param given to the child
        ("parent", '{n: "${params.size}"}', '{n: "abc"}'),  # a param of the wrong type
        ("child", "${steps.make}", "${steps.mkae}"),  # a problem inside the child
    ],
    ids=["unknown-param", "wrong-type", "child-problem"],
)
@pytest.mark.parametrize(
    ("reference", "said"),
    [
        ("${steps.prep.lwo}", "the sub-pipeline of step `prep` has no output `lwo`"),
        ("${steps.prep}", "use one of its outputs: `low`, `high`"),
    ],
    ids=["unknown-output", "whole"],
)
@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_references_to_a_child_that_fails_to_load_are_still_checked(
    project: Path, broken: tuple[str, str, str], reference: str, said: str, spelling: str
) -> None:
    """Every problem at once (SPEC 3): a child refused for its params or its own mistakes
    still declares its `outputs:`, so a wrong reference to them is reported with the rest."""
    config = project / f"parent.{spelling}"
    if spelling == "toml":
        text = textwrap.dedent(PARENT_TOML)
        old, new = broken[1].replace(": ", " = "), broken[2].replace(": ", " = ")
    else:
        text, old, new = config.read_text(), broken[1], broken[2]
    if broken[0] == "parent":
        assert old in text
        text = text.replace(old, new)
    else:
        child = project / "child.yaml"
        child.write_text(child.read_text().replace(old, new))
    config.write_text(text.replace("${steps.prep.low}", reference))
    found = problems(config)
    assert len(found) == 2, found
    assert any(said in problem for problem in found), found


@pytest.mark.parametrize(
    ("written", "meant"),
    [("chld.yaml", "child.yaml"), ("flows/chld.yaml", "flows/child.yaml")],
)
def test_a_misspelt_sub_pipeline_file_is_named_with_the_one_meant(
    project: Path, written: str, meant: str
) -> None:
    (project / "flows").mkdir()
    shutil.copy(project / "child.yaml", project / "flows" / "child.yaml")
    config = project / "parent.yaml"
    config.write_text(config.read_text().replace("pipeline: child.yaml", f"pipeline: {written}"))
    found = problems(config)
    assert any(
        f"no config file `{written}`" in problem and f"did you mean `{meant}`?" in problem
        for problem in found
    ), found


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_child_config_s_problems_name_its_file_as_the_parent_s_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    """Relative to the current folder when the parent was given so (as its own problems
    are), absolute when it was given by an absolute path; before, always absolute."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / f"child.{spelling}").write_text(
        "name: child\nsteps:\n  a: {run: sub.f, retries: -1}\n"
        if spelling == "yaml"
        else 'name = "child"\n[steps.a]\nrun = "sub.f"\nretries = -1\n',
        encoding="utf-8",
    )
    (tmp_path / "parent.yaml").write_text(
        f"name: parent\nsteps:\n  c: {{pipeline: sub/child.{spelling}}}\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path.parent)
    given = Path(tmp_path.name) / "parent.yaml"
    result = CliRunner().invoke(cli, ["validate", str(given)])
    assert result.exit_code == 2, result.output
    assert f"{tmp_path.name}/sub/child.{spelling}:" in result.output
    assert str(tmp_path) not in result.output
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "parent.yaml")])
    assert f"{tmp_path}/sub/child.{spelling}:" in result.output
