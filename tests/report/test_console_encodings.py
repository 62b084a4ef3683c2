"""A run shown on a console that is not UTF-8 (an ASCII or Latin-1 terminal or pipe: an old
locale, `PYTHONIOENCODING`, `LC_ALL=C` where Python does not turn UTF-8 on).

What a step prints or raises may hold any character. Each line is shown, with what the
console cannot encode as its escape (`\\xe9`, `\\U0001f600`), as Python shows it on stderr;
the live display, which draws with characters such a console lacks (`✔`, `━`), gives way
to plain lines there. Before, the display raised UnicodeEncodeError on such a line: the step's
output and its FAILED line with the error were lost behind "subscriber ... raised", and on a
terminal the live display stopped with the cursor hidden.
"""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

CONFIG = """
name: accents
results: {root: out}
steps:
  talk: {run: words.talk}
  broken: {run: words.broken, after: [talk]}
"""

WORDS = """
def talk() -> int:
    print("héllo — wörld \N{GRINNING FACE}")
    return 1

def broken() -> None:
    raise ValueError("bäd — \N{GRINNING FACE}")
"""

ENCODINGS = ("ascii", "latin-1", "cp1252", "utf-8")
FLAGS = {"plain": ["--log-format", "plain"], "auto": [], "-v": ["-v"], "-q": ["-q"]}


def shown_as(text: str, encoding: str) -> str:
    """`text` as a console of `encoding` shows it: what it cannot encode, escaped."""
    return text.encode(encoding, "backslashreplace").decode(encoding)


def check_console(output: str, encoding: str, *, quiet: bool = False) -> None:
    assert "warning: subscriber" not in output
    assert f"broken: FAILED: ValueError: {shown_as('bäd — 😀', encoding)}" in output
    assert f'raise ValueError("{shown_as("bäd — 😀", encoding)}")' in output  # its traceback
    if not quiet:
        assert f"talk | {shown_as('héllo — wörld 😀', encoding)}" in output


def environment(encoding: str) -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": encoding}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("flags", FLAGS)
def test_a_run_on_a_console_of_any_encoding_shows_every_line(
    make_project: ProjectFactory, encoding: str, flags: str
) -> None:
    config = make_project(CONFIG, words=WORDS)
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml", *FLAGS[flags]],
        cwd=config.parent,
        capture_output=True,
        timeout=120,
        check=False,
        env=environment(encoding),
    )
    assert result.returncode == 1
    output = result.stdout.decode(encoding) + result.stderr.decode(encoding)
    check_console(output, encoding, quiet=flags == "-q")


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_run_on_a_terminal_that_is_not_utf8_shows_plain_lines(
    make_project: ProjectFactory, encoding: str
) -> None:
    config = make_project(CONFIG, words=WORDS)
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml"],
        cwd=config.parent,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**environment(encoding), "TERM": "xterm"},
        start_new_session=True,
    ) as process:
        os.close(follower)
        output = _read_all(leader)
        assert process.wait(timeout=120) == 1
    os.close(leader)
    text = output.decode(encoding).replace("\r\n", "\n")
    check_console(text, encoding)
    assert "\x1b[?25l" not in text  # the live display, which hides the cursor, did not start


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:  # the terminal's other end closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_api_console_on_a_stream_of_any_encoding(
    make_project: ProjectFactory, encoding: str, tmp_path: Path
) -> None:
    config = make_project(CONFIG, words=WORDS)
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding=encoding)
    run = pipeflow.load(config).run(console=stream)
    assert not run.ok
    stream.flush()
    check_console(written.getvalue().decode(encoding), encoding)
