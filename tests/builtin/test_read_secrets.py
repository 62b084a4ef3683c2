"""`pipeflow.read` never copies the machine's secrets into the results store: pipeflow's
signing key (and its folder), its history database, `/proc`, `/sys`, `/dev`, and http(s) URLs
to addresses that are not global — refused at `validate` where the path is written in the
config, at run (a failed step, nothing stored) where it comes from a param."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SPELLINGS = ["pipeflow.read", "pipeflow:read", "pipeflow.builtin.read", "pipeflow.builtin:read"]
KEY = "0123456789abcdef0123456789abcdefKEYFILEKEYFILE"


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, str]:
    """An environment with a signing key file, a history database and a secret."""
    config_home = tmp_path / "xdg"
    (config_home / "pipeflow").mkdir(parents=True, mode=0o700)
    key = config_home / "pipeflow" / "signing.key"
    key.write_text(KEY + "\n", encoding="utf-8")
    key.chmod(0o600)
    (config_home / "pipeflow" / "notes.txt").write_text(KEY, encoding="utf-8")
    home = tmp_path / "pfhome"
    home.mkdir()
    (home / "runs.db").write_bytes(b"SQLite format 3\x00" + KEY.encode())
    return {
        **os.environ,
        "XDG_CONFIG_HOME": str(config_home),
        "PIPEFLOW_HOME": str(home),
        "AWS_SECRET_ACCESS_KEY": "AwsSecretValue123456",
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    """A real HTTP server on loopback serving a credentials file."""
    served = tmp_path / "srv"
    served.mkdir()
    (served / "creds.txt").write_text("MetaDataSecret999", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--directory", str(served)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def _project(tmp_path: Path, run: str, path: str, *, by_param: bool = False) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    given = '"${params.where}"' if by_param else f'"{path}"'
    params = f"params: {{where: {path!r}}}\n" if by_param else ""
    config = project / "pipeline.yaml"
    config.write_text(
        f"name: exfil\n{params}results: {{root: store}}\nsteps:\n"
        f'  grab: {{run: "{run}", inputs: {{path: {given}, format: txt}}}}\n',
        encoding="utf-8",
    )
    return config


def _pipeflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _secret_paths(env: dict[str, str], port: int, project: Path) -> list[str]:
    key = Path(env["XDG_CONFIG_HOME"]) / "pipeflow" / "signing.key"
    project.mkdir(exist_ok=True)
    link = project / "data_link.txt"
    if not link.is_symlink():
        link.symlink_to(key)
    return [
        str(key),
        str(key.parent / "notes.txt"),  # the key's folder
        "data_link.txt",  # a link in the project to the key
        f"file://{key}",
        str(Path(env["PIPEFLOW_HOME"]) / "runs.db"),
        "/proc/self/environ",
        "file:///proc/self/environ",
        "/sys/class/net/lo/address",
        "/dev/zero",
        f"http://127.0.0.1:{port}/creds.txt",
        f"http://localhost:{port}/creds.txt",
        f"simplecache::http://127.0.0.1:{port}/creds.txt",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/role",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "https://10.0.0.5/x",
    ]


def _store_holds_secret(project: Path) -> bool:
    secrets = (KEY, "AwsSecretValue123456", "MetaDataSecret999")
    store = project / "store"
    return any(
        any(secret.encode() in file.read_bytes() for secret in secrets)
        for file in (store.rglob("*") if store.exists() else [])
        if file.is_file()
    )


def test_validate_and_run_refuse_a_secret_written_in_the_config(
    tmp_path: Path, machine: dict[str, str], server: int
) -> None:
    for path in _secret_paths(machine, server, tmp_path / "project"):
        config = _project(tmp_path, "pipeflow.read", path)
        result = _pipeflow(machine, "validate", str(config))
        assert result.returncode == 2, (path, result.stdout + result.stderr)
        assert "steps.grab.inputs.path" in result.stderr, path
        assert "(pipeflow.read) may not read" in result.stderr, path
        assert "hint: pipeflow.read stores what it reads" in result.stderr
    for run in SPELLINGS:
        config = _project(tmp_path, run, f"http://127.0.0.1:{server}/creds.txt")
        result = _pipeflow(machine, "run", str(config))
        assert result.returncode == 2, (run, result.stdout + result.stderr)
        assert "(pipeflow.read) may not read" in result.stderr, run
        assert not _store_holds_secret(config.parent)


def test_a_run_refuses_a_secret_named_by_a_param(
    tmp_path: Path, machine: dict[str, str], server: int
) -> None:
    # Addresses nothing answers at here (169.254.169.254, /dev/zero) are left to validate:
    # a run fingerprints its inputs before the step starts.
    paths = _secret_paths(machine, server, tmp_path / "project")
    for path in [*paths[:7], *paths[9:13]]:
        config = _project(tmp_path, "pipeflow.read", path, by_param=True)
        assert _pipeflow(machine, "validate", str(config)).returncode == 0
        result = _pipeflow(machine, "run", str(config))
        assert result.returncode == 1, (path, result.stdout + result.stderr)
        assert "refusing to read" in result.stdout + result.stderr, path
        assert not _store_holds_secret(config.parent), path


def test_project_data_and_absolute_paths_are_read(tmp_path: Path, machine: dict[str, str]) -> None:
    outside = tmp_path / "data" / "table.txt"
    outside.parent.mkdir()
    outside.write_text("absolute", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("in the project", encoding="utf-8")
    for path in ("notes.txt", str(outside), f"file://{outside}"):
        config = _project(tmp_path, "pipeflow.read", path)
        result = _pipeflow(machine, "run", str(config))
        assert result.returncode == 0, (path, result.stdout + result.stderr)


def test_public_addresses_are_not_refused() -> None:
    from pipeflow.storage.read_guard import read_problem

    for url in ("https://8.8.8.8/data.csv", "http://[2606:4700::1111]/x", "s3://bucket/x.csv"):
        assert read_problem(url) is None, url


def test_each_connection_is_checked_as_it_is_made(
    server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URL is checked before the read, and each connection again as it is made: a name
    that resolved to a public address when checked and to this machine when fetched (DNS
    rebinding), or a redirect there, is refused. The check before the read is switched off
    here to stand for such a name: no public address serves these tests."""
    from pipeflow.errors import StorageError
    from pipeflow.storage import files

    monkeypatch.setattr(files, "check_read", lambda path: None)
    named = socket.gethostname()  # resolves to this machine (or a private address) here
    urls = [
        f"http://127.0.0.1:{server}/creds.txt",
        f"http://0.0.0.0:{server}/creds.txt",
        f"http://localhost:{server}/creds.txt",
        f"simplecache::http://127.0.0.1:{server}/creds.txt",
        f"http://{named}:{server}/creds.txt",
    ]
    for url in urls:
        with pytest.raises(StorageError) as refused:
            files.read_file(url, format="txt")
        message = str(refused.value)
        assert "MetaDataSecret999" not in message
        assert "refusing to connect" in message, (url, message)


def test_the_session_checks_each_request_it_makes(server: int) -> None:
    """The session `pipeflow.read` fetches through refuses a request to this machine by
    address and by name. aiohttp follows a redirect through the same session, so the hop a
    public page redirects to is checked the same way (no public server here to redirect
    from: this is the check such a hop meets)."""
    import asyncio

    from pipeflow.storage.web_guard import RefusedAddress, guarded_client

    async def fetch(url: str) -> str:
        session = await guarded_client()
        async with session, session.get(url) as response:
            return await response.text()

    for url in (f"http://127.0.0.1:{server}/creds.txt", f"http://localhost:{server}/x"):
        with pytest.raises(RefusedAddress, match="refusing to connect"):
            asyncio.run(fetch(url))
