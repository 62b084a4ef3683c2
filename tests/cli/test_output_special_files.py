"""Outputs that options name and that are not regular files: `/dev/stdout`, a named pipe,
bash's `>(jq .)` (`/dev/fd/63`), a full disk, a symbolic link.

Each is written in place, whole, and stays what it was: before, the check opened a pipe and
closed it (its reader saw the end of its input at once, and the real write then hung), and
the write put a plain file where the device or pipe had been (as root, `/dev/stdout` itself).
A write that fails is a message naming the path, not a traceback.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
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
  one: {run: marks.one}
schedules:
  - cron: "0 6 * * *"
"""

MARKS = """
def one() -> int:
    return 1
"""

# command -> (its arguments given the config and the output path; the start of what it writes)
COMMANDS: dict[str, tuple[Callable[[Path, str], list[str]], bytes]] = {
    "run --json": (lambda config, path: ["run", str(config), "-q", "--json", path], b"{"),
    "run --junit": (lambda config, path: ["run", str(config), "-q", "--junit", path], b"<?xml"),
    "graph -o": (lambda config, path: ["graph", str(config), "-o", path], b"one"),
    "graph --format svg -o": (
        lambda config, path: ["graph", str(config), "--format", "svg", "-o", path],
        b"<svg",
    ),
    "graph --format png -o": (
        lambda config, path: ["graph", str(config), "--format", "png", "-o", path],
        b"\x89PNG",
    ),
    "schedule --export -o": (
        lambda config, path: ["schedule", str(config), "--export", "crontab", "-o", path],
        b"#",
    ),
}


class Reader:
    """Reads a pipe to its end on a thread of its own, as `jq` or `tee` would."""

    def __init__(self, open_pipe: Callable[[], int]) -> None:
        self.data = b""
        self._open = open_pipe
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        descriptor = self._open()
        with os.fdopen(descriptor, "rb") as stream:
            self.data = stream.read()

    def wait(self, unblock: Callable[[], None]) -> bytes:
        self._thread.join(timeout=30)
        if self._thread.is_alive():  # the command never wrote: let the reader end
            unblock()
            self._thread.join(timeout=5)
        return self.data


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_named_pipe_gets_the_whole_output_and_stays_a_pipe(
    make_project: ProjectFactory, tmp_path: Path, command: str
) -> None:
    config = make_project(CONFIG, marks=MARKS)
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = Reader(lambda: os.open(fifo, os.O_RDONLY))
    # A write that waits for a second reader (the first one saw the pipe closed) is let go.
    rescue = threading.Timer(30, lambda: os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)))
    rescue.start()
    arguments, start = COMMANDS[command]
    try:
        result = CliRunner().invoke(cli, arguments(config, str(fifo)))
    finally:
        rescue.cancel()

    def unblock() -> None:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    data = reader.wait(unblock)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # not replaced by a plain file
    assert data.startswith(start), data[:80]
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_pipe_named_by_dev_fd_gets_the_whole_output(
    make_project: ProjectFactory, command: str
) -> None:
    """`--json >(jq .)`: bash passes `/dev/fd/63`, a pipe, which has no folder to write in."""
    config = make_project(CONFIG, marks=MARKS)
    read_end, write_end = os.pipe()
    reader = Reader(lambda: read_end)
    arguments, start = COMMANDS[command]
    try:
        result = CliRunner().invoke(cli, arguments(config, f"/dev/fd/{write_end}"))
    finally:
        os.close(write_end)
    data = reader.wait(lambda: None)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert data.startswith(start), data[:80]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_symbolic_link_stays_a_link_to_the_file_written(
    make_project: ProjectFactory, tmp_path: Path, command: str
) -> None:
    config = make_project(CONFIG, marks=MARKS)
    real = tmp_path / "kept" / "real.out"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.out"
    link.symlink_to(real)
    arguments, start = COMMANDS[command]
    result = CliRunner().invoke(cli, arguments(config, str(link)))
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert real.read_bytes().startswith(start)
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.out"]


def full_device(folder: Path) -> Path:
    """A device that answers every write with "no space left on device": a node of its own
    where this process may make one (root), else the system's /dev/full."""
    if os.geteuid() == 0:
        device = folder / "full"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
        return device
    return Path("/dev/full")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_device_is_a_message_not_a_traceback(
    make_project: ProjectFactory, tmp_path: Path, command: str
) -> None:
    config = make_project(CONFIG, marks=MARKS)
    device = full_device(tmp_path)
    arguments, _ = COMMANDS[command]
    result = CliRunner().invoke(cli, arguments(config, str(device)))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert f"cannot write {device} (no space left on device)" in result.output
    assert stat.S_ISCHR(os.lstat(device).st_mode)  # still the device


# Every command that writes to stdout, as a user would send it to a file on a full disk.
STDOUT_COMMANDS = {
    "schema": ["schema"],
    "--version": ["--version"],
    "--help": ["--help"],
    "run --help": ["run", "--help"],
    "graph": ["graph", "pipeline.yaml"],
    "validate": ["validate", "pipeline.yaml"],
    "status": ["status", "pipeline.yaml"],
    "status --json": ["status", "pipeline.yaml", "--json"],
    "run --json -": ["run", "pipeline.yaml", "-q", "--json", "-"],
    "runs": ["runs"],
    "runs show": ["runs", "show"],
    "logs": ["logs"],
    "result": ["result", "pipeline.yaml", "one"],
    "schedule --next": ["schedule", "pipeline.yaml", "--next", "3"],
    "completion bash": ["completion", "bash"],
}

SPEAKS = """
def one() -> int:
    print("one speaks")
    return 1
"""


@pytest.mark.parametrize("command", sorted(STDOUT_COMMANDS))
def test_stdout_on_a_full_device_is_a_message_not_a_traceback(
    make_project: ProjectFactory, tmp_path: Path, command: str
) -> None:
    make_project(CONFIG, marks=SPEAKS)
    assert (
        subprocess.run(
            [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml", "-q"],
            cwd=tmp_path,
            check=False,
        ).returncode
        == 0
    )  # a run in the history, a stored result
    device = full_device(tmp_path)
    with device.open("w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "pipeflow", *STDOUT_COMMANDS[command]],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert "error: cannot write to standard output (no space left on device)" in result.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["graph", "pipeline.yaml", "--format", "mermaid"],
        ["graph", "pipeline.yaml", "--format", "svg"],
        ["schedule", "pipeline.yaml", "--export", "crontab"],
    ],
    ids=["graph", "graph svg", "schedule export"],
)
def test_an_output_to_dev_stdout_is_the_document_alone(
    make_project: ProjectFactory, tmp_path: Path, arguments: list[str]
) -> None:
    """`-o /dev/stdout` gives what `-o` leaves out, byte for byte: "wrote FILE" goes to
    stderr. Before, it followed the document on stdout."""
    make_project(CONFIG, marks=MARKS)
    command = [sys.executable, "-m", "pipeflow", *arguments]
    plain = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False, timeout=120)
    assert plain.returncode == 0, plain.stderr
    written = subprocess.run(
        [*command, "-o", "/dev/stdout"], cwd=tmp_path, capture_output=True, check=False, timeout=120
    )
    assert written.returncode == 0, written.stderr
    assert written.stdout == plain.stdout
    assert b"wrote /dev/stdout" in written.stderr
