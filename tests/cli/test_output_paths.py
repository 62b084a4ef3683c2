"""Every option that names an output file (or folder) is checked before anything runs.

A path that cannot be written, whatever the reason (a folder, a path under a file, a place no
one can create files in, even root), is a usage error, exit 2, with the path and the reason;
a run does not start, so nothing runs only to end in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

CONFIG = """
name: demo
results: {root: out}
steps:
  touch: {run: marks.touch, inputs: {path: "%s"}}
schedules:
  - cron: "0 6 * * *"
"""

MARKS = """
from pathlib import Path

def touch(path: str) -> str:
    Path(path).write_text("ran")
    return path
"""

# name -> (a path that cannot be written, given the test's folder; what the message says)
BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "a folder": (lambda folder: folder, "is a folder"),
    "under a file": (lambda folder: folder / "plain.txt" / "out.json", "not a folder"),
    "where nothing can be created": (lambda folder: Path("/proc/pipeflow-out.json"), "cannot"),
}

COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "run --json": lambda config, path: ["run", str(config), "--json", str(path)],
    "run --junit": lambda config, path: ["run", str(config), "--junit", str(path)],
    "graph -o": lambda config, path: ["graph", str(config), "-o", str(path)],
    "graph --format svg -o": lambda config, path: [
        "graph",
        str(config),
        "--format",
        "svg",
        "-o",
        str(path),
    ],
    "schedule --export -o": lambda config, path: [
        "schedule",
        str(config),
        "--export",
        "crontab",
        "-o",
        str(path),
    ],
}


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_output_file_that_cannot_be_written_is_a_usage_error(
    make_project: ProjectFactory,
    tmp_path: Path,
    command: str,
    bad: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "ran"
    config = make_project(CONFIG % marker, marks=MARKS)
    (tmp_path / "plain.txt").write_text("a file")
    make_path, reason = BAD[bad]
    path = make_path(tmp_path)
    result = CliRunner().invoke(cli, COMMANDS[command](config, path))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert str(path) in result.output
    assert reason in result.output
    assert not marker.exists()  # checked before anything ran
    assert not (tmp_path / ".pipeflow").exists()  # not even a run recorded


@pytest.mark.parametrize("bad", ["under a file", "where nothing can be created"])
def test_init_into_a_folder_that_cannot_be_made_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    (tmp_path / "plain.txt").write_text("a file")
    target = {
        "under a file": tmp_path / "plain.txt" / "project",
        "where nothing can be created": Path("/proc/pipeflow-project"),
    }[bad]
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(target) in result.output


def test_init_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "plain.txt"
    target.write_text("a file")
    result = CliRunner().invoke(cli, ["init", str(target)])
    assert result.exit_code == 2, result.output
    assert "is a file" in result.output
    assert target.read_text() == "a file"


def test_writable_outputs_still_work(make_project: ProjectFactory, tmp_path: Path) -> None:
    config = make_project(CONFIG % (tmp_path / "ran"), marks=MARKS)
    report = tmp_path / "new" / "folder" / "report.json"
    result = CliRunner().invoke(cli, ["run", str(config), "--json", str(report)])
    assert result.exit_code == 0, result.output
    assert report.exists()
    result = CliRunner().invoke(cli, ["run", str(config), "--json", "-"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "command", sorted([*COMMANDS, "graph --format png -o", "schedule --export github-actions -o"])
)
def test_an_output_in_folders_that_do_not_exist_yet_is_written_there(
    make_project: ProjectFactory, tmp_path: Path, command: str
) -> None:
    """docs/ci.md: missing folders are created, for every option that names an output."""
    config = make_project(CONFIG % (tmp_path / "ran"), marks=MARKS)
    target = tmp_path / "new" / "folder" / "out.file"
    if command in COMMANDS:
        arguments = COMMANDS[command](config, target)
    elif command.startswith("graph"):
        arguments = ["graph", str(config), "--format", "png", "-o", str(target)]
    else:
        arguments = ["schedule", str(config), "--export", "github-actions", "-o", str(target)]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    assert [p.name for p in target.parent.iterdir()] == ["out.file"]  # no partial file left


@pytest.mark.parametrize("spelling", ["as given", "with ./", "through a link"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_output_that_is_the_config_is_a_usage_error(
    make_project: ProjectFactory,
    tmp_path: Path,
    command: str,
    spelling: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--json pipeline.yaml` (a slip for `report.json`) would replace the config it runs.
    Before, it did, after the run."""
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "ran"
    config = make_project(CONFIG % marker, marks=MARKS)
    before = config.read_text()
    path = {
        "as given": Path(config.name),
        "with ./": Path(".") / "." / config.name,
        "through a link": tmp_path / "link.yaml",
    }[spelling]
    if spelling == "through a link":
        path.symlink_to(config)
    result = CliRunner().invoke(cli, COMMANDS[command](Path(config.name), path))
    assert result.exit_code == 2, result.output
    assert "writing there would replace it" in result.output
    assert config.read_text() == before
    assert not marker.exists()


def test_a_report_that_is_the_config_is_refused_in_python_too(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    import pipeflow

    config = make_project(CONFIG % (tmp_path / "ran"), marks=MARKS)
    before = config.read_text()
    with pytest.raises(pipeflow.ConfigError, match="writing there would replace it"):
        pipeflow.load(config).run(junit=config)
    assert config.read_text() == before
