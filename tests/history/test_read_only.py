"""A history in a folder that cannot be written is still read: `pipeflow runs`, `runs show`,
`logs` and the UI (an archived history, a history mounted read-only into a container).

Tests run as root, for whom `chmod` does not stop a write. So the folder is made read-only for
real: each command runs in its own mount namespace (`unshare -m`) where the folder is
bind-mounted read-only, and the test first proves that a write there fails. As another user,
plain `chmod` does the same honestly.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeflow.history import Recorder
from tests.conftest import REPO
from tests.history.synthetic import T0, record, run_events

RUN = "20260301-120000-aaaaaa"


@contextmanager
def writable_again(folder: Path) -> Iterator[None]:
    """For a user other than root: chmod the folder read-only, and back afterwards."""
    modes = {path: path.stat().st_mode for path in [folder, *folder.iterdir()]}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def read_only(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run `argv` where `folder` is really read-only, for this process and all it starts."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if os.geteuid() == 0:
        quoted = shlex.quote(str(folder))
        script = f'mount --bind {quoted} {quoted} && mount -o remount,bind,ro {quoted} && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, "sh", *argv]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    with writable_again(folder):
        return subprocess.run(list(argv), capture_output=True, text=True, env=env, timeout=120)


def pipeflow(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return read_only(folder, sys.executable, "-m", "pipeflow", *args, "--home", str(folder))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    record(Recorder(home=folder), run_events(RUN, started=T0))
    return folder


def test_the_folder_is_really_read_only(home: Path) -> None:
    done = read_only(home, "sh", "-c", f"touch {shlex.quote(str(home / 'x'))}")
    assert done.returncode != 0
    assert "Read-only file system" in done.stderr or "Permission denied" in done.stderr
    assert not (home / "x").exists()


def check_every_reader(home: Path) -> None:
    listed = pipeflow(home, "runs")
    assert listed.returncode == 0, listed.stderr
    assert RUN in listed.stdout
    shown = pipeflow(home, "runs", "show", RUN)
    assert shown.returncode == 0, shown.stderr
    assert "load" in shown.stdout
    assert "report" in shown.stdout
    logs = pipeflow(home, "logs", RUN, "--step", "load")
    assert logs.returncode == 0, logs.stderr
    assert "loading 0" in logs.stdout
    ui = read_only(home, sys.executable, "-c", UI_SCRIPT, str(home), RUN)
    assert ui.returncode == 0, ui.stdout + ui.stderr
    assert ui.stdout.split() == ["200", "200", "200", "True"]


UI_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from starlette.testclient import TestClient
    from pipeflow.ui.app import Settings, create_app

    home, run = Path(sys.argv[1]), sys.argv[2]
    app = create_app(Settings(configs={}, home=home, token=None, loopback_only=True))
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        runs = client.get("/runs")
        page = client.get(f"/runs/{run}")
        logs = client.get(f"/api/runs/{run}/logs")
        print(runs.status_code, page.status_code, logs.status_code, run in runs.text)
    """
)


def test_a_read_only_history_is_read_by_every_command_and_the_ui(home: Path) -> None:
    before = sorted(path.name for path in home.iterdir())
    check_every_reader(home)
    assert sorted(path.name for path in home.iterdir()) == before


def test_a_read_only_history_with_a_live_write_ahead_log_is_read(home: Path) -> None:
    """The last writes still sit in `runs.db-wal` (a writer outside keeps it open): a reader
    that opened the file immutable would not see them; this one must."""
    writer = sqlite3.connect(home / "runs.db", isolation_level=None)
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        assert writer.execute("SELECT count(*) FROM runs").fetchone() == (1,)  # WAL opened
        record(Recorder(home=home), run_events("20260301-130000-bbbbbb", started=T0))
        assert (home / "runs.db-wal").stat().st_size > 0
        listed = pipeflow(home, "runs")
        assert listed.returncode == 0, listed.stderr
        assert "20260301-130000-bbbbbb" in listed.stdout
        check_every_reader(home)
    finally:
        writer.close()


def test_a_read_only_history_of_an_older_schema_says_what_to_do(home: Path) -> None:
    conn = sqlite3.connect(home / "runs.db", isolation_level=None)
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.execute("ALTER TABLE runs DROP COLUMN owner")
    conn.close()
    listed = pipeflow(home, "runs")
    assert listed.returncode == 1
    assert "read-only" in listed.stderr
    assert "Traceback" not in listed.stderr


def test_pruning_a_read_only_history_says_why_it_cannot(home: Path) -> None:
    pruned = pipeflow(home, "runs", "prune", "--keep", "0")
    assert pruned.returncode == 1
    assert "read-only" in pruned.stderr
    assert "Traceback" not in pruned.stderr
