"""`pipeflow init`: a starter project that validates, runs, caches and tests as written, and
`pipeflow init --step` adding a step to a YAML or TOML config without losing its comments."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.config.reader import read_document
from tests.conftest import REPO


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def pipeflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m pipeflow ARGS` in a fresh interpreter, as a user would run it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    code, output = invoke("init", str(tmp_path / "proj"))
    assert code == 0, output
    return tmp_path / "proj"


# -- a new project ----------------------------------------------------------------------------


def test_init_writes_the_starter_files_and_says_what_to_do_next(tmp_path: Path) -> None:
    folder = tmp_path / "my project"
    code, output = invoke("init", str(folder))
    assert code == 0, output
    for name in (
        "pipeline.yaml",
        ".pipeflow-schema.json",
        "steps/__init__.py",
        "steps/pipeline.py",
        "params/params.json",
        "tests/test_steps.py",
        "pyproject.toml",
        "README.md",
        ".gitignore",
    ):
        assert (folder / name).is_file(), name
        assert name in output
    config = shlex.quote(str(folder / "pipeline.yaml"))
    assert f"pipeflow validate {config}" in output
    assert f"pipeflow run {config}" in output
    # The name comes from the folder, made into a valid pipeline name.
    assert read_document(folder / "pipeline.yaml").data["name"] == "my-project"
    assert ".pipeflow/" in (folder / ".gitignore").read_text().splitlines()
    assert "import pipeflow" not in (folder / "steps" / "pipeline.py").read_text()
    assert "from pipeflow" not in (folder / "steps" / "pipeline.py").read_text()


def test_the_schema_comment_points_at_the_schema_file_written_beside_it(project: Path) -> None:
    first = (project / "pipeline.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=./.pipeflow-schema.json"
    code, schema = invoke("schema")
    assert code == 0
    assert json.loads((project / ".pipeflow-schema.json").read_text()) == json.loads(schema)
    assert json.loads(schema)["$schema"].startswith("https://json-schema.org/")


def test_the_starter_project_validates_runs_caches_and_its_tests_pass(project: Path) -> None:
    done = pipeflow("validate", "pipeline.yaml", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is valid (3 steps)" in done.stdout

    args = ("run", "pipeline.yaml", "--param-file", "params/params.json")
    first = pipeflow(*args, cwd=project)
    assert first.returncode == 0, first.stdout + first.stderr
    summary = json.loads((project / "results" / "summary.json").read_text())
    assert summary == {"count": 10, "total": 110.0, "mean": 11.0}

    again = pipeflow(*args, cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 cached" in again.stdout, again.stdout
    assert "started" not in again.stdout

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_plain_pytest_finds_the_steps_package_from_the_tests_folder(project: Path) -> None:
    pytest_script = Path(sys.executable).parent / "pytest"
    tests = subprocess.run(
        [str(pytest_script), "-q", "-p", "no:cacheprovider", "test_steps.py"],
        cwd=project / "tests",
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_toml_format_and_a_name(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path), "--format", "toml", "--name", "sales_report")
    assert code == 0, output
    config = tmp_path / "pipeline.toml"
    assert config.read_text().splitlines()[0] == "#:schema ./.pipeflow-schema.json"
    assert not (tmp_path / "pipeline.yaml").exists()
    assert read_document(config).data["name"] == "sales_report"
    done = pipeflow("run", "pipeline.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_init_in_the_current_folder_by_default(tmp_path: Path) -> None:
    done = pipeflow("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pipeline.yaml").is_file()
    assert "pipeflow validate pipeline.yaml" in done.stdout


def test_existing_files_are_listed_and_kept_unless_force(project: Path) -> None:
    (project / "README.md").write_text("mine\n")
    (project / "extra.txt").write_text("untouched\n")
    code, output = invoke("init", str(project))
    assert code == 2
    assert "already exist" in output
    assert "pipeline.yaml" in output
    assert "README.md" in output
    assert "--force" in output
    assert (project / "README.md").read_text() == "mine\n"

    code, output = invoke("init", str(project), "--force")
    assert code == 0, output
    assert (project / "README.md").read_text() != "mine\n"
    assert (project / "extra.txt").read_text() == "untouched\n"


def test_a_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("x")
    code, output = invoke("init", str(target))
    assert code == 2
    assert "is a file" in output
    assert "Traceback" not in output


def test_a_bad_name_is_refused(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path), "--name", "my pipeline!")
    assert code == 2
    assert "letters, digits" in output
    assert not (tmp_path / "pipeline.yaml").exists()


@pytest.mark.parametrize(
    "linked", ["pipeline.yaml", "README.md", "steps/pipeline.py", ".gitignore"]
)
@pytest.mark.parametrize("force", [False, True])
def test_init_never_writes_through_a_dangling_link(
    tmp_path: Path, linked: str, force: bool
) -> None:
    folder, outside = tmp_path / "proj", tmp_path / "outside"
    (folder / linked).parent.mkdir(parents=True, exist_ok=True)
    (folder / linked).symlink_to(outside / "planted.txt")
    code, output = invoke("init", str(folder), *(["--force"] if force else []))
    assert code == 2, output
    assert "symbolic link" in output
    assert linked in output
    assert not outside.exists()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == sorted(
        {linked, *(str(parent) for parent in Path(linked).parents if str(parent) != ".")}
    )


def test_init_never_overwrites_a_file_elsewhere_through_a_link(tmp_path: Path) -> None:
    folder, victim = tmp_path / "proj", tmp_path / "victim.md"
    folder.mkdir()
    victim.write_text("keep\n")
    (folder / "README.md").symlink_to(victim)
    code, output = invoke("init", str(folder), "--force")
    assert code == 2, output
    assert "symbolic link" in output
    assert victim.read_text() == "keep\n"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md"]


def test_init_never_writes_through_a_linked_folder_out_of_the_project(tmp_path: Path) -> None:
    folder, outside = tmp_path / "proj", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "steps").symlink_to(outside, target_is_directory=True)
    code, output = invoke("init", str(folder))
    assert code == 2, output
    assert "symbolic link" in output
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in folder.iterdir()) == ["steps"]


# -- adding a step ----------------------------------------------------------------------------


def test_add_a_step_to_yaml_keeps_comments_and_layout(project: Path) -> None:
    config = project / "pipeline.yaml"
    before = config.read_text()
    code, output = invoke(
        "init", "--step", "report", "--config", str(config), "--input", "summarize"
    )
    assert code == 0, output
    after = config.read_text()
    # Every line of the old file is still there, in order, comments included.
    assert _is_subsequence(before.splitlines(), after.splitlines())
    assert after.count("#") == before.count("#")
    steps = read_document(config).data["steps"]
    assert steps["report"] == {
        "run": "steps.pipeline.report",
        "inputs": {"summarize": "${steps.summarize}"},
    }
    assert list(steps)[-1] == "report"
    module = (project / "steps" / "pipeline.py").read_text()
    assert "def report(summarize" in module
    assert "steps/pipeline.py" in output

    done = pipeflow("run", "pipeline.yaml", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report: done" in done.stdout


def test_add_a_step_when_other_keys_follow_steps(tmp_path: Path) -> None:
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "__init__.py").write_text("")
    (tmp_path / "steps" / "work.py").write_text("def first():\n    return 1\n")
    config = tmp_path / "flow.yaml"
    config.write_text(
        "name: flow\n"
        "steps:\n"
        "    first:\n"
        "        run: steps.work.first   # the only step\n"
        "        description: |\n"
        "            a block\n"
        "            of text\n"
        "\n"
        "# schedules come next\n"
        "schedules:\n"
        "    - interval: 1h\n"
    )
    code, output = invoke("init", "--step", "second", "--config", str(config), "--after", "first")
    assert code == 0, output
    text = config.read_text()
    assert "        description: |\n            a block\n            of text\n" in text
    assert text.index("second:") < text.index("# schedules come next")
    assert "    second:\n        run: steps.work.second\n        after: [first]\n" in text
    document = read_document(config)
    assert document.data["schedules"] == [{"interval": "1h"}]
    assert document.data["steps"]["second"] == {"run": "steps.work.second", "after": ["first"]}
    assert "def second() -> object:" in (tmp_path / "steps" / "work.py").read_text()
    done = pipeflow("validate", "flow.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_add_a_step_to_toml_appends_a_table(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path), "--format", "toml")
    assert code == 0, output
    config = tmp_path / "pipeline.toml"
    before = config.read_text()
    code, output = invoke(
        "init", str(tmp_path), "--step", "report", "--input", "scale", "--input", "summarize"
    )
    assert code == 0, output
    after = config.read_text()
    assert after.startswith(before)
    assert "[steps.report]" in after[len(before) :]
    steps = read_document(config).data["steps"]
    assert steps["report"]["inputs"] == {
        "scale": "${steps.scale}",
        "summarize": "${steps.summarize}",
    }
    done = pipeflow("run", "pipeline.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report: done" in done.stdout


def test_a_step_that_exists_is_refused_with_its_location(project: Path) -> None:
    config = project / "pipeline.yaml"
    before = config.read_text()
    module = (project / "steps" / "pipeline.py").read_text()
    code, output = invoke("init", str(project), "--step", "scale")
    assert code == 2
    line = next(n for n, text in enumerate(before.splitlines(), 1) if text == "  scale:")
    assert f"pipeline.yaml:{line}:3" in output
    assert "already" in output
    assert config.read_text() == before
    assert (project / "steps" / "pipeline.py").read_text() == module


def test_a_function_that_exists_in_the_module_is_refused(project: Path) -> None:
    module = project / "steps" / "pipeline.py"
    module.write_text(module.read_text() + "\n\ndef helper():\n    return 1\n")
    code, output = invoke("init", str(project), "--step", "helper")
    assert code == 2
    assert "pipeline.py:" in output
    assert "already defines `helper`" in output


@pytest.mark.parametrize("name", ["2fast", "my-step", "class", "a b"])
def test_a_step_name_must_be_an_identifier(project: Path, name: str) -> None:
    code, output = invoke("init", str(project), "--step", name)
    assert code == 2
    assert f"`{name}`" in output
    assert "identifier" in output


def test_an_unknown_input_step_is_refused_with_a_suggestion(project: Path) -> None:
    before = (project / "pipeline.yaml").read_text()
    code, output = invoke("init", str(project), "--step", "report", "--input", "sumarize")
    assert code == 2
    assert "no step `sumarize`" in output
    assert "summarize" in output
    assert (project / "pipeline.yaml").read_text() == before


def test_step_without_a_config_says_how_to_name_one(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path), "--step", "report")
    assert code == 2
    assert "--config" in output


def test_creation_options_do_not_mix_with_step(project: Path) -> None:
    code, output = invoke("init", str(project), "--step", "report", "--format", "toml")
    assert code == 2
    assert "--format" in output


def test_a_flow_style_steps_mapping_gets_the_text_to_paste(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def a():\n    return 1\n")
    config = tmp_path / "p.yaml"
    config.write_text("name: p\nsteps: {a: {run: m.a}}\n")
    code, output = invoke("init", "--step", "b", "--config", str(config))
    assert code == 2
    assert "by hand" in output
    assert "run: m.b" in output
    assert config.read_text() == "name: p\nsteps: {a: {run: m.a}}\n"
    assert "def b" not in (tmp_path / "m.py").read_text()


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    remaining = iter(long)
    return all(any(line == other for other in remaining) for line in short)


def test_step_options_without_step_are_refused(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path), "--input", "scale")
    assert code == 2
    assert "--input only applies with --step" in output
    assert not (tmp_path / "pipeline.yaml").exists()


def test_a_config_without_a_project_module_gets_steps_pipeline(tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text("[1, 2]")
    config = tmp_path / "p.yaml"
    config.write_text(
        "name: p\nsteps:\n  raw:\n    run: pipeflow.read\n    inputs: {path: data.json}\n"
    )
    code, output = invoke("init", str(tmp_path), "--step", "clean", "--config", str(config))
    assert code == 0, output
    assert (tmp_path / "steps" / "__init__.py").is_file()
    assert "def clean() -> object:" in (tmp_path / "steps" / "pipeline.py").read_text()
    assert read_document(config).data["steps"]["clean"] == {"run": "steps.pipeline.clean"}
    done = pipeflow("run", "p.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_adding_a_step_never_creates_a_module_through_a_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text("[1, 2]")
    config = tmp_path / "p.yaml"
    before = "name: p\nsteps:\n  raw:\n    run: pipeflow.read\n    inputs: {path: data.json}\n"
    config.write_text(before)
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "pipeline.py").symlink_to(tmp_path / "outside" / "planted.py")
    code, output = invoke("init", str(tmp_path), "--step", "clean", "--config", str(config))
    assert code == 2, output
    assert "symbolic link" in output
    assert not (tmp_path / "outside").exists()
    assert config.read_text() == before


def _pipeflow_commands(lines: list[str], prefix: str) -> list[list[str]]:
    """The `pipeflow validate|run|status` commands among `lines` (after `prefix`)."""
    found = []
    for line in lines:
        text = line.removeprefix(prefix).split("  #")[0].strip()
        words = shlex.split(text) if text.startswith("pipeflow ") else []
        if words[1:2] and words[1] in {"validate", "run", "status"}:
            found.append(words[1:])
    return found


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_the_commands_the_starter_suggests_show_a_rerun_doing_nothing(
    tmp_path: Path, spelling: str
) -> None:
    """`init` says: validate, run with the params file, see what a re-run would do with
    `status`. Before, its `status` line (and those of the config's comment and the README)
    left out the params file the run was given: right after that run, it said every step
    would run again ("param count changed (10 -> 5)"), as if the cache had not worked."""
    code, output = invoke("init", str(tmp_path / "proj"), "--format", spelling)
    assert code == 0, output
    project = tmp_path / "proj"
    config = project / f"pipeline.{spelling}"
    readme = (project / "README.md").read_text().splitlines()
    sources = {
        "init's output": (tmp_path, _pipeflow_commands(output.splitlines(), "  ")),
        "the config's comment": (project, _pipeflow_commands(config.read_text().splitlines(), "#")),
        "the README": (project, _pipeflow_commands(readme, "")),
    }
    for source, (folder, commands) in sources.items():
        assert [command[0] for command in commands] == ["validate", "run", "status"], source
        for stored in (project / "results", project / ".pipeflow"):
            shutil.rmtree(stored, ignore_errors=True)
        for command in commands:
            done = pipeflow(*command, cwd=folder)
            assert done.returncode == 0, (source, command, done.stdout + done.stderr)
        assert [line.split()[1] for line in done.stdout.splitlines()] == ["cached"] * 3, (
            source,
            done.stdout,
        )
