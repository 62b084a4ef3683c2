"""`pipeflow ui` on the command line: its refusals, and a help that imports no web stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import REPO


def test_another_host_needs_a_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ui", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "would let anyone who can reach 0.0.0.0 start runs" in result.output
    assert "--token" in result.output
    assert "Traceback" not in result.output


def test_a_missing_or_invalid_config_is_refused_before_serving(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["ui", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2
    assert "no such config" in missing.output
    broken = tmp_path / "pipeline.yaml"
    broken.write_text("name: x\nsteps:\n  a: {runn: m.f}\n", encoding="utf-8")
    invalid = CliRunner().invoke(cli, ["ui", str(broken)])
    assert invalid.exit_code == 2
    assert "did you mean `run`" in invalid.output


def run_child(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def test_without_the_ui_extra_the_error_names_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['starlette'] = None  # as if not installed\n"
        "from pipeflow.cli import main\n"
        "sys.argv = ['pipeflow', 'ui']\n"
        "main()\n"
    )
    done = run_child(code)
    assert done.returncode == 2, done.stderr
    assert "pip install 'pipeflow-runner[ui]'" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_ui_help_imports_no_web_stack() -> None:
    code = (
        "import json, sys\n"
        "from pipeflow.cli import cli\n"
        "try:\n"
        "    cli(['ui', '--help'], prog_name='pipeflow')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('starlette', 'uvicorn', 'jinja2', 'pipeflow.ui', 'pipeflow.api')\n"
        "print('@@' + json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy"
        " or m.startswith(heavy))))\n"
    )
    done = run_child(code)
    assert "--token TOKEN" in done.stdout
    marker = next(line for line in done.stdout.splitlines() if line.startswith("@@"))
    assert json.loads(marker[2:]) == []


def test_a_port_in_use_is_refused_with_what_to_do() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["ui", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in result.stderr
    assert "--port 0" in result.stderr
    assert "Traceback" not in result.output
    assert "ERROR" not in result.output  # uvicorn's own words: it never started


def test_an_address_not_of_this_machine_is_refused() -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    result = CliRunner().invoke(cli, ["ui", "--host", "192.0.2.1", "--token", "t" * 32])
    assert result.exit_code == 2, result.output
    assert "cannot listen on 192.0.2.1:8080" in result.stderr
    assert "give --host an address of this machine" in result.stderr
