"""Every command in the docs runs: the ```bash blocks of docs/*.md and README.md.

The convention (also in docs/README.md, "Writing docs"): in a page, shell commands a reader
types go in ```bash blocks; every non-empty, non-comment line is run with bash, in order, in a
fresh copy of the Iris project (pipeline.yaml, pipeline.toml, steps/, params/, data/raw/) that
all blocks of the page share, with the tested `pipeflow` on PATH, and must exit 0. A line
ending in `\\` continues on the next. The first lines of a block may be markers:

    # expect-exit: N     each command of the block must exit with N
    # background         each command is started in its own session, must print its first
                         line (its start: a log line, an address), then still be alive a few
                         seconds later, gets SIGTERM and must then exit 0
    # needs: s3          runs with a moto S3 server (started once per page): S3_ENDPOINT,
                         AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test, bucket
                         `pipeflow-cache`
    # not-run: REASON    skipped; only for installing packages or real cloud credentials,
                         and listed by `test_not_run_blocks_are_few_and_justified`

A marker may instead be an HTML comment on the line before the fence
(`<!-- not-run: REASON -->`), which a rendered page does not show.

Program output goes in ```text blocks, which are not run. Anything a command leaves running
(`dask scheduler &`) is stopped when its page is done. HOME is a fresh folder, so a page may
write to `~` without touching the developer's.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest

import pipeflow
from pipeflow.cli import cli
from tests import system
from tests.servers import moto_s3

REPO = Path(__file__).resolve().parents[1]
PAGES = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"#\s*(expect-exit|background|needs|not-run)\b:?\s*(.*?)\s*$")
# The same markers in an HTML comment on the line before the fence, hidden when rendered (the
# README's two commands at the top stay clean to copy).
HIDDEN_MARKER = re.compile(r"<!--\s*(expect-exit|background|needs|not-run)\b:?\s*(.*?)\s*-->")
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

COMMAND_TIMEOUT = 300.0  # seconds; generous, the machine is shared
READY_TIMEOUT = 120.0  # a background command must print its first line within this ...
ALIVE_AFTER = 3.0  # ... and still run this many seconds after it
STOP_TIMEOUT = 15.0  # ... and exit 0 within this many seconds of SIGTERM
OUTPUT_SHOWN = 4000  # characters of stdout/stderr shown when a command fails
S3_BUCKET = "pipeflow-cache"
# Why a block may be left out: it installs packages, or it needs a real cloud account.
NOT_RUN_ALLOWED = re.compile(r"\b(install|credentials|account)", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    line: int  # 1-based line of the page where the command starts
    text: str


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    expect_exit: int = 0
    background: bool = False
    needs: set[str] = field(default_factory=set)
    not_run: str | None = None
    commands: list[Command] = field(default_factory=list)


def page_id(page: Path) -> str:
    return page.relative_to(REPO).as_posix() if page.is_relative_to(REPO) else page.name


def bash_blocks(page: Path) -> list[Block]:
    """The ```bash blocks of a page, with their markers and commands."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        if match.group(1) != "bash":
            continue
        fence_line = text.count("\n", 0, match.start()) + 1
        block = Block(page=page, line=fence_line)
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        hidden = HIDDEN_MARKER.fullmatch(before)
        if hidden:
            _apply_marker(block, hidden.group(1), hidden.group(2))
        in_markers = True
        pending: list[str] = []
        pending_line = 0
        for offset, raw in enumerate(match.group(2).splitlines(), start=1):
            line = raw.strip()
            marker = MARKER.fullmatch(line) if in_markers else None
            if marker:
                _apply_marker(block, marker.group(1), marker.group(2))
                continue
            in_markers = False
            if not pending and (not line or line.startswith("#")):
                continue
            if not pending:
                pending_line = fence_line + offset
            if line.endswith("\\"):
                pending.append(line[:-1].rstrip())
                continue
            pending.append(line)
            block.commands.append(Command(pending_line, " ".join(pending)))
            pending = []
        if pending:
            block.commands.append(Command(pending_line, " ".join(pending)))
        blocks.append(block)
    return blocks


def _apply_marker(block: Block, kind: str, value: str) -> None:
    where = f"{page_id(block.page)}:{block.line}"
    if kind == "expect-exit":
        if not value.isdigit():
            raise ValueError(f"{where}: `# expect-exit:` needs a number, got {value!r}")
        block.expect_exit = int(value)
    elif kind == "background":
        block.background = True
    elif kind == "needs":
        block.needs.update(value.replace(",", " ").split())
        unknown = block.needs - {"s3"}
        if unknown:
            raise ValueError(f"{where}: `# needs:` knows only `s3`, got {sorted(unknown)}")
    else:
        block.not_run = value or "(no reason given)"


# -- running ---------------------------------------------------------------------------------


@dataclass
class Page:
    """A page being run: its project folder, environment, and what its commands left running."""

    page: Path
    project: Path
    env: dict[str, str]
    s3_env: dict[str, str] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)  # process groups to stop at the end
    outputs: Path = field(init=False)
    count: int = 0

    def __post_init__(self) -> None:
        self.outputs = self.project.parent / "command-output"
        self.outputs.mkdir()

    def environment(self, block: Block) -> dict[str, str]:
        return {**self.env, **(self.s3_env if "s3" in block.needs else {})}

    def start(self, command: Command, block: Block) -> tuple[subprocess.Popen[bytes], Path, Path]:
        self.count += 1
        stdout = self.outputs / f"{self.count}.out"
        stderr = self.outputs / f"{self.count}.err"
        # Files, not pipes: a command may leave a process running (`dask scheduler &`) that
        # would hold a pipe open. Its own session: everything it starts can be stopped.
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            process = subprocess.Popen(
                [system.program("bash"), "-c", command.text],
                cwd=self.project,
                env=self.environment(block),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.groups.append(process.pid)
        return process, stdout, stderr

    def failure(
        self, command: Command, problem: str, stdout: Path, stderr: Path, code: int | None
    ) -> str:
        return (
            f"{page_id(self.page)}:{command.line}: {problem}\n"
            f"  command:   {command.text}\n"
            f"  exit code: {code}\n"
            f"  folder:    {self.project}\n"
            f"--- stdout ---\n{_tail(stdout)}\n--- stderr ---\n{_tail(stderr)}"
        )

    def run(self, block: Block) -> None:
        if block.background:
            self.run_background(block)
            return
        for command in block.commands:
            process, stdout, stderr = self.start(command, block)
            try:
                code = process.wait(timeout=COMMAND_TIMEOUT)
            except subprocess.TimeoutExpired:
                _stop_group(process.pid)
                pytest.fail(
                    self.failure(
                        command, f"did not finish in {COMMAND_TIMEOUT:.0f} s", stdout, stderr, None
                    ),
                    pytrace=False,
                )
            if code != block.expect_exit:
                pytest.fail(
                    self.failure(
                        command,
                        f"exited {code}, expected {block.expect_exit}",
                        stdout,
                        stderr,
                        code,
                    ),
                    pytrace=False,
                )

    def run_background(self, block: Block) -> None:
        started = [(command, *self.start(command, block)) for command in block.commands]
        # Started means printed: on a loaded machine the interpreter and the config's load can
        # take longer than ALIVE_AFTER, and a SIGTERM before the command's handlers are in
        # place would test nothing but the start-up's speed.
        for command, process, stdout, stderr in started:
            self.watch_alive(command, process, stdout, stderr, READY_TIMEOUT, printed=True)
        for command, process, stdout, stderr in started:
            self.watch_alive(command, process, stdout, stderr, ALIVE_AFTER, printed=False)
        for command, process, stdout, stderr in reversed(started):
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _stop_group(process.pid)
                pytest.fail(
                    self.failure(
                        command,
                        f"did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM",
                        stdout,
                        stderr,
                        None,
                    ),
                    pytrace=False,
                )
            if code != 0:
                pytest.fail(
                    self.failure(command, "exited non-zero after SIGTERM", stdout, stderr, code),
                    pytrace=False,
                )

    def watch_alive(
        self,
        command: Command,
        process: subprocess.Popen[bytes],
        stdout: Path,
        stderr: Path,
        seconds: float,
        *,
        printed: bool,
    ) -> None:
        """Fail if the command exits within `seconds`; with `printed`, return once it prints."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            exited = process.poll() is not None
            started = bool(stdout.stat().st_size or stderr.stat().st_size)  # after the poll
            if exited:
                when = (
                    f"within {ALIVE_AFTER:.0f} s of its first line"
                    if started
                    else ("before it printed anything")
                )
                pytest.fail(
                    self.failure(
                        command,
                        f"a background command exited {when}",
                        stdout,
                        stderr,
                        process.returncode,
                    ),
                    pytrace=False,
                )
            if printed and started:
                return
            time.sleep(0.2)
        if printed:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(
                self.failure(
                    command,
                    f"a background command printed nothing within {seconds:.0f} s",
                    stdout,
                    stderr,
                    None,
                ),
                pytrace=False,
            )

    def stop_everything(self) -> None:
        for group in reversed(self.groups):
            _stop_group(group)


def _tail(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    if len(text) <= OUTPUT_SHOWN:
        return text
    return f"[... {len(text) - OUTPUT_SHOWN} characters cut ...]\n{text[-OUTPUT_SHOWN:]}"


def _stop_group(group: int) -> None:
    """SIGTERM a process group, then SIGKILL what is left of it."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sent)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.1)


def base_environment(home: Path) -> dict[str, str]:
    """The environment of a page's commands: the tested pipeflow first, no outside settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PIPEFLOW_", "AWS_", "GOOGLE_", "GCSFS_", "STORAGE_EMULATOR"))
    }
    # The `pipeflow` console script of the venv running the tests, importing the pipeflow under
    # test (a worktree's, when the venv's own install points elsewhere).
    tested = str(Path(pipeflow.__file__).resolve().parents[1])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [tested, env.get("PYTHONPATH", "")] if p)
    env["HOME"] = str(home)
    env["COLUMNS"] = "100"
    return env


# -- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_command_of_the_page_runs(page: Path, iris_project: Path) -> None:
    blocks = [block for block in bash_blocks(page) if block.not_run is None]
    if not any(block.commands for block in blocks):
        return  # a page without commands has nothing to run
    home = iris_project.parent / "home"
    home.mkdir()
    running = Page(page=page, project=iris_project, env=base_environment(home))
    with ExitStack() as stack:
        stack.callback(running.stop_everything)
        if any("s3" in block.needs for block in blocks):
            store = stack.enter_context(moto_s3(bucket=S3_BUCKET, apply_env=False))
            running.s3_env = {
                **{name: value for name, value in store.env.items() if value is not None},
                "S3_ENDPOINT": store.endpoint,
            }
        for block in blocks:
            running.run(block)


def test_the_harness_reads_markers_and_continuations(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Intro\n\n```bash\n# needs: s3\n# expect-exit: 2\n# a comment\npipeflow run \\\n"
        "  pipeline.yaml\n\npipeflow status x\n```\n\n```text\nnot a command\n```\n\n"
        "```bash\n# not-run: installs packages\npip install pipeflow-runner\n```\n\n"
        "<!-- not-run: installs the tests -->\n```bash\npip install -e '.[dev]'\n```\n",
        encoding="utf-8",
    )
    first, second, third = bash_blocks(page)
    assert (first.line, first.expect_exit, first.needs, first.not_run) == (3, 2, {"s3"}, None)
    assert first.commands == [
        Command(7, "pipeflow run pipeline.yaml"),
        Command(10, "pipeflow status x"),
    ]
    assert second.not_run == "installs packages"
    assert third.not_run == "installs the tests"
    assert third.commands == [Command(24, "pip install -e '.[dev]'")]


def all_blocks() -> Iterator[Block]:
    for page in PAGES:
        yield from bash_blocks(page)


def test_not_run_blocks_are_few_and_justified() -> None:
    """Every skipped block, listed: only installs and real cloud accounts may be skipped."""
    skipped = [block for block in all_blocks() if block.not_run is not None]
    listing = "\n".join(
        f"  {page_id(block.page)}:{block.line}: {block.not_run}" for block in skipped
    )
    print(f"docs blocks that are not run:\n{listing}")
    wrong = [block for block in skipped if not NOT_RUN_ALLOWED.search(block.not_run or "")]
    assert not wrong, (
        "`# not-run:` is only for installing packages or real cloud credentials; "
        f"these blocks give another reason (make them run instead):\n{listing}"
    )
    assert len(skipped) <= 2 * len(PAGES), f"too many blocks are not run:\n{listing}"


def _subcommand(command: str) -> str | None:
    """The pipeflow subcommand a shell line calls, or None if it does not start with pipeflow."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return None
    while words and ENV_ASSIGNMENT.match(words[0]):
        words.pop(0)
    if not words or words[0] != "pipeflow":
        return None
    rest = [word for word in words[1:] if not word.startswith("-")]
    return rest[0] if rest else ""


def test_every_pipeflow_command_in_the_docs_exists() -> None:
    known = set(cli.list_commands(click.Context(cli)))  # loads every command's module
    wrong = []
    for block in all_blocks():
        for command in block.commands:
            name = _subcommand(command.text)
            if name is None or name in known:
                continue
            if name == "" and re.search(r"\s(--version|--help|-h)\b", command.text):
                continue
            wrong.append(f"  {page_id(block.page)}:{command.line}: {command.text}")
    assert not wrong, (
        f"these docs commands name no pipeflow subcommand (known: {sorted(known)}):\n"
        + "\n".join(wrong)
    )


def test_the_subcommand_check_can_fail() -> None:
    assert _subcommand("pipeflow run pipeline.yaml") == "run"
    assert _subcommand("SEED=7 pipeflow -q runs show 1") == "runs"
    assert _subcommand("pipeflow --version") == ""
    assert _subcommand("ls data") is None
    assert isinstance(cli, click.Group)


def _page_with(tmp_path: Path, markdown: str) -> tuple[Page, list[Block]]:
    source = tmp_path / "page.md"
    source.write_text(markdown, encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "home").mkdir()
    return Page(page=source, project=project, env=base_environment(tmp_path / "home")), bash_blocks(
        source
    )


def test_a_failing_command_is_reported_with_its_page_line_and_output(tmp_path: Path) -> None:
    page, [block] = _page_with(
        tmp_path, "Text\n\n```bash\necho made > made.txt\necho out; echo err >&2; exit 4\n```\n"
    )
    with pytest.raises(pytest.fail.Exception) as failed:
        page.run(block)
    message = str(failed.value)
    assert "page.md:5: exited 4, expected 0" in message
    assert "command:   echo out; echo err >&2; exit 4" in message
    assert "--- stdout ---\nout\n" in message
    assert "--- stderr ---\nerr\n" in message
    assert (page.project / "made.txt").read_text() == "made\n"  # run in the project folder


def test_expect_exit_and_the_tested_pipeflow(tmp_path: Path) -> None:
    page, [block, wrong] = _page_with(
        tmp_path,
        "```bash\n# expect-exit: 2\npipeflow validate missing.yaml\n```\n\n"
        "```bash\n# expect-exit: 2\npipeflow --version\n```\n",
    )
    page.run(block)
    with pytest.raises(pytest.fail.Exception, match="exited 0, expected 2"):
        page.run(wrong)
    [version] = sorted(page.outputs.glob("*.out"))[-1:]
    assert pipeflow.__version__ in version.read_text()


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("exit 0", "a background command exited before it printed anything"),
        ("echo started; exit 0", "a background command exited within 3 s of its first line"),
        ("echo started; sleep 1; exit 0", "a background command exited within 3 s of its first"),
        ("sleep 300", "a background command printed nothing within 1 s"),
    ],
)
def test_a_background_command_that_stops_early_or_never_starts_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, problem: str
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "READY_TIMEOUT", 1.0)
    page, [block] = _page_with(tmp_path, f"```bash\n# background\n{command}\n```\n")
    try:
        with pytest.raises(pytest.fail.Exception, match=problem):
            page.run(block)
    finally:
        page.stop_everything()


def test_a_background_command_is_stopped_only_once_it_printed(tmp_path: Path) -> None:
    """A command slow to start (a loaded machine) still gets its SIGTERM after it printed."""
    script = "trap 'exit 0' TERM; sleep 4; echo started; while true; do sleep 0.1; done"
    page, [block] = _page_with(tmp_path, f"```bash\n# background\n{script}\n```\n")
    page.run(block)
    [out] = sorted(page.outputs.glob("*.out"))
    assert out.read_text() == "started\n"


def test_what_a_command_leaves_running_is_stopped_with_the_page(tmp_path: Path) -> None:
    page, [block] = _page_with(tmp_path, "```bash\nsleep 300 & echo $! > pid\n```\n")
    page.run(block)
    pid = int((page.project / "pid").read_text())
    os.kill(pid, 0)  # still running after its command returned
    page.stop_everything()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("the process left running by a docs command was not stopped")
