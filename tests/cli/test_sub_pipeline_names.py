"""Names a user picks from: completion of `result` and `accept` offers the steps of a
sub-pipeline (`sub/x`), which they take, not the step that runs it (which they refuse,
naming its steps); and `runs --pipeline NAME` with no run of NAME says so and names the
pipelines that have runs. Before, completion offered `sub` (which `result` refused) and
`runs --pipeline nope` said "no runs recorded" though runs of other pipelines were."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_completion import bash_values, complete
from tests.cli.test_init import pipeflow

STEPS = """\
def x(n):
    return n + 1


def y(v):
    return v * 2
"""

PARENT = """\
name: parent
steps:
  sub: {pipeline: child.yaml, params: {n: 3}}
  top: {run: subs.y, inputs: {v: 2}}
  twice: {pipeline: nested.yaml}
"""
CHILD = """\
name: child
params: {n: 1}
steps:
  x: {run: subs.x, inputs: {n: "${params.n}"}}
  y: {run: subs.y, inputs: {v: "${steps.x}"}}
"""
NESTED = """\
name: loop
steps:
  inner: {pipeline: child.yaml}
  z: {run: subs.y, inputs: {v: 1}}
"""
RESULT_STEPS = ["sub/x", "sub/y", "top", "twice/inner/x", "twice/inner/y", "twice/z"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in {
        "subs.py": STEPS,
        "pipeline.yaml": PARENT,
        "child.yaml": CHILD,
        "nested.yaml": NESTED,
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("command", ["result", "accept"])
def test_result_and_accept_complete_the_steps_of_sub_pipelines(project: Path, command: str) -> None:
    line = f"pipeflow {command} pipeline.yaml "
    assert bash_values(complete("bash", line, project)) == RESULT_STEPS
    assert bash_values(complete("bash", line + "su", project)) == ["sub/x", "sub/y"]
    zsh = complete("zsh", line, project).splitlines()
    assert [zsh[index + 1] for index in range(0, len(zsh), 3)] == RESULT_STEPS
    fish = complete("fish", line, project).splitlines()
    assert [entry.split(",", 1)[1] for entry in fish] == RESULT_STEPS


def test_a_config_that_runs_itself_completes_its_other_steps(project: Path) -> None:
    # Being edited, a config may form a cycle (`validate` refuses it): completion still ends.
    (project / "cycle.yaml").write_text(
        "name: cycle\nsteps:\n  again: {pipeline: cycle.yaml}\n  z: {run: subs.y}\n"
    )
    assert bash_values(complete("bash", "pipeflow result cycle.yaml ", project)) == ["z"]


def test_run_options_still_complete_the_step_that_runs_a_sub_pipeline(project: Path) -> None:
    line = "pipeflow run pipeline.yaml --only "
    assert bash_values(complete("bash", line, project)) == ["sub", "top", "twice"]


def test_every_completed_name_is_one_result_takes_and_sub_is_explained(project: Path) -> None:
    done = pipeflow("run", "pipeline.yaml", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in RESULT_STEPS:
        done = pipeflow("result", "pipeline.yaml", name, cwd=project)
        assert done.returncode == 0, done.stdout + done.stderr
    for command in ("result", "accept"):
        done = pipeflow(command, "pipeline.yaml", "sub", cwd=project)
        assert done.returncode == 2
        assert "`sub` is a sub-pipeline; its steps are `sub/x`, `sub/y`" in done.stderr


def test_runs_of_an_unknown_pipeline_name_the_pipelines_that_have_runs(project: Path) -> None:
    assert pipeflow("run", "pipeline.yaml", cwd=project).returncode == 0
    database = project / ".pipeflow" / "runs.db"
    done = pipeflow("runs", "--pipeline", "nope", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"no run of pipeline `nope` is recorded in {database}; pipelines with runs: `parent`\n"
    )
    done = pipeflow("runs", "--pipeline", "paernt", cwd=project)
    assert "did you mean `parent`? pipelines with runs: `parent`" in done.stdout
    done = pipeflow("runs", "--pipeline", "parent", "--state", "failed", cwd=project)
    assert (
        done.stdout == f"no run of pipeline `parent` in state `failed` is recorded in {database}\n"
    )
    done = pipeflow("runs", "--state", "failed", cwd=project)
    assert done.stdout == f"no run in state `failed` is recorded in {database}\n"
    done = pipeflow("runs", "--pipeline", "parent", cwd=project)
    assert "parent" in done.stdout.splitlines()[1]


def test_result_reads_an_output_of_a_sub_pipeline_by_the_step_that_runs_it(project: Path) -> None:
    outputs = 'outputs:\n  twice: "${steps.y}"\n  n: "${params.n}"\n'
    (project / "child.yaml").write_text(CHILD + outputs)
    assert pipeflow("run", "pipeline.yaml", cwd=project).returncode == 0
    for step in ("sub", "twice/inner"):
        done = pipeflow("result", "pipeline.yaml", step, "--part", "twice", "--show", cwd=project)
        assert done.returncode == 0, done.stderr
        assert f"output `twice` of `{step}` is `{step}/y`" in done.stderr
        direct = pipeflow("result", "pipeline.yaml", f"{step}/y", "--show", cwd=project)
        assert done.stdout == direct.stdout
        assert done.stdout.splitlines()[-1] == ("8" if step == "sub" else "4")
    done = pipeflow("result", "pipeline.yaml", "sub", cwd=project)
    assert done.returncode == 2
    assert "`sub` runs a sub-pipeline; name one of its outputs with --part" in done.stderr
    assert "its outputs: `twice`, `n`; or name one of its steps: `sub/x`, `sub/y`" in done.stderr
    done = pipeflow("result", "pipeline.yaml", "sub", "--part", "twcie", cwd=project)
    assert done.returncode == 2
    assert "the sub-pipeline of step `sub` has no output `twcie`" in done.stderr
    assert "did you mean `twice`?" in done.stderr
    done = pipeflow("result", "pipeline.yaml", "sub", "--part", "n", cwd=project)
    assert done.returncode == 2
    assert "output `n` of the sub-pipeline of step `sub` is no step's result" in done.stderr
