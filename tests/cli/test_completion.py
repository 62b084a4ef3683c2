"""Shell completion through click's protocol, in a real `pipeflow` process, and the scripts
loaded by real bash, zsh and fish: step names of the Iris config come back where a STEP goes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests import system
from tests.conftest import REPO

IRIS_STEPS = [
    "load_data",
    "get_classes",
    "encode_categorical_columns",
    "split_data",
    "train_model",
    "predict",
    "report_accuracy",
]
BIN = Path(sys.executable).parent


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **extra}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # this venv's `pipeflow` first
    return env


def complete(shell: str, line: str, cwd: Path) -> str:
    """What `pipeflow` answers when SHELL asks to complete LINE (the cursor at its end)."""
    words = line.split()
    if line.endswith(" "):
        incomplete = ""
    else:
        incomplete = words.pop()
    if shell in ("bash", "zsh"):
        extra = {"COMP_WORDS": line, "COMP_CWORD": str(len(words))}
    else:  # fish sends the line so far and the word being completed
        extra = {"COMP_WORDS": line, "COMP_CWORD": incomplete}
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow"],
        env=environment(_PIPEFLOW_COMPLETE=f"{shell}_complete", **extra),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def bash_values(output: str) -> list[str]:
    return [line.split(",", 1)[1] for line in output.splitlines() if line]


@pytest.mark.parametrize(
    "line",
    [
        "pipeflow run pipeline.yaml --only ",
        "pipeflow run pipeline.yaml --from ",
        "pipeflow run pipeline.yaml --until ",
        "pipeflow run pipeline.yaml --force ",
        "pipeflow status pipeline.yaml --only ",
        "pipeflow accept pipeline.yaml ",
        "pipeflow result pipeline.yaml ",
        "pipeflow run pipeline.toml --only ",
        "pipeflow init --step report --input ",
        "pipeflow init --step report --config pipeline.toml --after ",
    ],
)
def test_bash_completes_the_step_names_of_the_config(iris_project: Path, line: str) -> None:
    assert bash_values(complete("bash", line, iris_project)) == IRIS_STEPS


def test_a_prefix_narrows_the_step_names(iris_project: Path) -> None:
    output = complete("bash", "pipeflow accept pipeline.yaml tr", iris_project)
    assert bash_values(output) == ["train_model"]
    output = complete("bash", "pipeflow run pipeline.yaml --only=pre", iris_project)
    assert bash_values(output) == ["predict"]


def test_zsh_and_fish_protocols_return_the_step_names(iris_project: Path) -> None:
    zsh = complete("zsh", "pipeflow run pipeline.yaml --only ", iris_project).splitlines()
    # zsh_complete answers in threes: type, value, help
    assert [zsh[index + 1] for index in range(0, len(zsh), 3)] == IRIS_STEPS
    fish = complete("fish", "pipeflow accept pipeline.yaml ", iris_project).splitlines()
    assert [line.split(",", 1)[1] for line in fish] == IRIS_STEPS


@pytest.mark.parametrize(
    "config",
    ["missing.yaml", "broken.yaml", "steps", "data/raw/iris.csv"],
)
def test_a_config_that_cannot_be_read_gives_no_candidates(iris_project: Path, config: str) -> None:
    (iris_project / "broken.yaml").write_text("name: x\nsteps: [unclosed\n")
    output = complete("bash", f"pipeflow run {config} --only ", iris_project)
    assert bash_values(output) == []


def test_choices_and_config_paths_are_completed(iris_project: Path) -> None:
    executors = complete("bash", "pipeflow run pipeline.yaml --executor ", iris_project)
    assert bash_values(executors) == ["sequential", "threads", "processes", "dask"]
    formats = complete("bash", "pipeflow graph pipeline.yaml --format ", iris_project)
    assert "mermaid" in bash_values(formats)
    # CONFIG is a path: click tells the shell to complete file names itself.
    assert complete("bash", "pipeflow run pip", iris_project).splitlines() == ["file,pip"]


def test_logs_step_completes_the_steps_of_that_run(iris_project: Path) -> None:
    home = iris_project / "home"
    code = CliRunner().invoke(
        cli, ["run", str(iris_project / "pipeline.yaml")], env={"PIPEFLOW_HOME": str(home)}
    )
    assert code.exit_code == 0, code.output
    listing = CliRunner().invoke(cli, ["runs"], env={"PIPEFLOW_HOME": str(home)})
    run_id = listing.output.splitlines()[1].split()[0]
    output = complete("bash", f"pipeflow logs {run_id} --home {home} --step ", iris_project)
    assert bash_values(output) == IRIS_STEPS
    unknown = complete("bash", f"pipeflow logs nope --home {home} --step ", iris_project)
    assert bash_values(unknown) == []


def test_logs_step_completes_a_sub_pipeline_by_the_step_that_runs_it(tmp_path: Path) -> None:
    """`logs --step data` prints all of `data/...`'s lines, so it is offered too."""
    (tmp_path / "child.yaml").write_text(
        "name: child\nsteps:\n  load: {run: talk.say}\n  split: {run: talk.say, after: [load]}\n"
    )
    (tmp_path / "talk.py").write_text("def say():\n    return 1\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: parent\nsteps:\n  data: {pipeline: child.yaml}\n")
    home = tmp_path / "home"
    ran = CliRunner().invoke(cli, ["run", str(config)], env={"PIPEFLOW_HOME": str(home)})
    assert ran.exit_code == 0, ran.output
    output = complete("bash", f"pipeflow logs latest --home {home} --step ", tmp_path)
    assert bash_values(output) == ["data", "data/load", "data/split"]
    started = complete("bash", f"pipeflow logs latest --home {home} --step data/s", tmp_path)
    assert bash_values(started) == ["data/split"]


def script(shell: str) -> str:
    code = CliRunner().invoke(cli, ["completion", shell])
    assert code.exit_code == 0, code.output
    return code.output


def test_the_bash_script_loads_and_completes_step_names(iris_project: Path) -> None:
    path = iris_project / "pipeflow.bash"
    path.write_text(script("bash"))
    test = (
        'source "$1" && complete -p pipeflow && '
        "COMP_WORDS=(pipeflow accept pipeline.yaml '') COMP_CWORD=3 && "
        "_pipeflow_completion pipeflow "
        ' pipeline.yaml && printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        [system.program("bash"), "-c", test, "bash", str(path)],
        env=environment(),
        cwd=iris_project,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "complete -o nosort -F _pipeflow_completion pipeflow"
    assert lines[1:] == IRIS_STEPS


def test_the_zsh_script_registers_its_completion(tmp_path: Path) -> None:
    zsh = system.program("zsh")
    path = tmp_path / "pipeflow.zsh"
    path.write_text(script("zsh"))
    test = 'autoload -Uz compinit && compinit -u -d "$2" && source "$1" && print $_comps[pipeflow]'
    done = subprocess.run(
        [zsh, "-f", "-c", test, "zsh", str(path), str(tmp_path / "zcompdump")],
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "_pipeflow_completion"


def test_the_fish_script_completes_step_names(iris_project: Path) -> None:
    fish = system.program("fish")
    path = iris_project / "pipeflow.fish"
    path.write_text(script("fish"))
    done = subprocess.run(
        [
            fish,
            "--no-config",
            "-c",
            'source $argv[1]; complete -C"pipeflow run pipeline.yaml --only "',
            str(path),
        ],
        env=environment(HOME=str(iris_project)),
        cwd=iris_project,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # fish sorts the candidates itself
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == sorted(IRIS_STEPS)


def test_completion_command_says_how_to_install_and_refuses_other_shells() -> None:
    assert script("bash").startswith("# pipeflow completion for bash; install: eval")
    code = CliRunner().invoke(cli, ["completion", "powershell"])
    assert code.exit_code == 2
    assert "bash" in code.output


def test_completion_never_imports_the_step_modules(tmp_path: Path) -> None:
    (tmp_path / "loud.py").write_text(
        "import pathlib\npathlib.Path('imported').write_text('yes')\n\ndef a():\n    return 1\n"
    )
    (tmp_path / "p.yaml").write_text("name: p\nsteps:\n  only_step: {run: loud.a}\n")
    output = complete("bash", "pipeflow run p.yaml --only ", tmp_path)
    assert bash_values(output) == ["only_step"]
    assert not (tmp_path / "imported").exists()
