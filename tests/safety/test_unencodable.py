"""A lone surrogate in a step's text reaches every channel escaped, never as a crash.

Python decodes a file name that is not UTF-8 into lone surrogates (`os.listdir` on a Latin-1
`café.csv` gives `caf\\udce9.csv`), and a step that names such a file in what it raises,
prints, logs or is given as a param hands pipeflow a text no UTF-8 writer accepts. Each case
runs the real command line on a terminal that refuses what it cannot encode
(`PYTHONIOENCODING=utf-8:strict`) and reads every channel as strict UTF-8: the console
(stdout and stderr), `--json` (a file and `-`), `--junit`, `--log-format json`, the history
(`runs`, `runs show`, `logs`, the database), and the UI's pages and JSON API. Each must hold
the character as its `\\udce9` escape, and every run must be recorded as it ended (never
`lost`, never "could not record"), a run whose retried attempt raised such an error included.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeflow.ui.app import Settings, create_app
from tests.conftest import REPO

NAME = os.fsdecode(b"caf\xe9.csv")  # what os.listdir gives for a Latin-1 file name
ESCAPED = "caf\\udce9.csv"  # how every channel must show it

CONFIG = """\
name: odd
params: {label: plain}
results: {root: out}
executor: {type: EXECUTOR, workers: 2}
steps:
  talk: {run: steps.talk, inputs: {label: "${params.label}"}}
  flaky: {run: steps.flaky, retries: 1, retry_delay: 0s}
  broken: {run: steps.broken}
"""

STEPS = """\
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def _name():
    folder = Path("incoming")
    folder.mkdir(exist_ok=True)
    with open(os.path.join(os.fsencode(folder), b"caf\\xe9.csv"), "w") as file:
        file.write("a\\n1\\n")
    return os.listdir(folder)[0]


def talk(label):
    name = _name()
    print("listing", name, "for", label)
    sys.stderr.write(f"on stderr: {name}\\n")
    log.warning("logged: %s", name)
    return len(label)


def flaky():
    marker = Path("tried")
    if not marker.exists():
        marker.write_text("once")
        raise ValueError(f"cannot parse {_name()} (attempt 1)")
    return 1


def broken():
    raise ValueError(f"cannot parse {_name()}")
"""


def strict(data: bytes, channel: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:  # pragma: no cover - the failure being tested
        raise AssertionError(f"{channel} is not UTF-8: {error}: {data!r}") from None


class Project:
    def __init__(self, folder: Path, executor: str) -> None:
        self.folder = folder
        folder.mkdir()
        (folder / "steps.py").write_text(STEPS, encoding="utf-8")
        (folder / "pipeline.yaml").write_text(
            CONFIG.replace("EXECUTOR", executor), encoding="utf-8"
        )
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "PYTHONIOENCODING": "utf-8:strict",  # a terminal that refuses lone surrogates
        }
        for name in ("PIPEFLOW_HOME", "CI", "GITHUB_ACTIONS"):
            self.env.pop(name, None)

    def command(self, *args: str, code: int = 0) -> tuple[str, str]:
        """The real command in a fresh interpreter: its stdout and stderr, strict UTF-8."""
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            check=False,
            timeout=300,
        )
        stdout = strict(done.stdout, f"{args} stdout")
        stderr = strict(done.stderr, f"{args} stderr")
        assert done.returncode == code, (args, done.returncode, stdout, stderr)
        assert "Traceback" not in stderr, (args, stderr)
        assert "could not record" not in stderr, (args, stderr)
        return stdout, stderr

    def file(self, name: str) -> str:
        return strict((self.folder / name).read_bytes(), name)

    def run_ids(self) -> list[str]:
        connection = sqlite3.connect(self.folder / ".pipeflow" / "runs.db")
        try:
            rows = connection.execute("SELECT id, state FROM runs ORDER BY started").fetchall()
        finally:
            connection.close()
        return [run_id for run_id, _ in rows]


@pytest.mark.parametrize(
    "executor",
    ["sequential", "threads", "processes", pytest.param("dask", marks=pytest.mark.slow)],
)
def test_a_lone_surrogate_reaches_every_channel_escaped(tmp_path: Path, executor: str) -> None:
    p = Project(tmp_path / "project", executor)
    label = f"from {NAME}"  # a param value from the command line, as the shell passes bytes

    # 1. A run with a failing step, a retried one and a param: console, --json, --junit.
    console, stderr = p.command(
        "run", "pipeline.yaml", "--keep-going", "--param", f"label={label}",
        "--json", "r.json", "--junit", "r.xml", code=1,
    )  # fmt: skip
    assert f"talk | listing {ESCAPED} for from {ESCAPED}" in console
    assert f"ValueError: cannot parse {ESCAPED}" in console
    assert f"cannot parse {ESCAPED} (attempt 1)" in console
    report = json.loads(p.file("r.json"))
    steps = {step["name"]: step for step in report["steps"]}
    assert steps["broken"]["error"]["message"] == f"ValueError: cannot parse {ESCAPED}"
    assert ESCAPED in steps["broken"]["error"]["traceback"]
    assert steps["talk"]["state"] == "done"
    assert report["params"] == {"label": f"from {ESCAPED}"}
    junit = ElementTree.fromstring(p.file("r.xml"))
    failure = junit.find(".//testcase[@name='broken']/failure")
    assert failure is not None
    assert ESCAPED in failure.get("message", "")
    system_out = junit.find(".//testcase[@name='talk']/system-out")
    assert system_out is not None
    assert system_out.text is not None
    assert f"listing {ESCAPED}" in system_out.text

    # 2. JSON lines and the report on stdout.
    (p.folder / "tried").unlink()
    lines, stderr = p.command(
        "run", "pipeline.yaml", "--force", "--keep-going", "--param", f"label={label}",
        "--log-format", "json", "--json", "-", code=1,
    )  # fmt: skip
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    said = [e.get("text") for e in events if e["event"] == "StepOutput"]
    assert f"listing {ESCAPED} for from {ESCAPED}" in said
    retried = [e["error"] for e in events if e["event"] == "StepRetrying"]
    assert retried == [f"ValueError: cannot parse {ESCAPED} (attempt 1)"]
    started = next(e for e in events if e["event"] == "RunStarted")
    assert started["params"] == {"label": f"from {ESCAPED}"}
    assert json.loads(lines)["state"] == "failed"

    # 3. A run that succeeds, though its first attempt raised such an error.
    (p.folder / "tried").unlink()
    p.command("run", "pipeline.yaml", "--only", "flaky", "--force")

    # 4. The history: every run recorded as it ended, each text escaped.
    home = str(p.folder / ".pipeflow")
    table, _ = p.command("runs", "--home", home)
    assert "lost" not in table, table
    assert "running" not in table, table
    assert table.count("failed") == 2, table
    assert "succeeded" in table, table
    first, second, third = p.run_ids()
    shown, _ = p.command("runs", "show", first, "--home", home, "--traceback")
    assert f"ValueError: cannot parse {ESCAPED}" in shown
    assert f"attempt 1 failed: ValueError: cannot parse {ESCAPED} (attempt 1)" in shown
    assert f'label: "from {ESCAPED}"' in shown.replace("\\\\", "\\")
    shown, _ = p.command("runs", "show", third, "--home", home)
    assert f"cannot parse {ESCAPED} (attempt 1)" in shown
    said, _ = p.command("logs", first, "--home", home)
    assert f"talk | listing {ESCAPED} for from {ESCAPED}" in said
    assert f"talk | on stderr: {ESCAPED}" in said
    assert f"talk | WARNING: logged: {ESCAPED}" in said or f"logged: {ESCAPED}" in said

    # 5. The UI: pages and JSON API of each run.
    settings = Settings(configs={"odd": p.folder / "pipeline.yaml"})
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8080", raise_server_exceptions=True) as ui:
        for run_id in (first, second, third):
            for path in (f"/runs/{run_id}", f"/runs/{run_id}/logs"):
                page = ui.get(path)
                assert page.status_code == 200, (path, page.text)
            state = ui.get(f"/api/runs/{run_id}")
            assert state.status_code == 200, state.text
            strict(state.content, f"/api/runs/{run_id}")
            logs = ui.get(f"/api/runs/{run_id}/logs")
            assert logs.status_code == 200, logs.text
            strict(logs.content, f"/api/runs/{run_id}/logs")
        texts = [line["text"] for line in ui.get(f"/api/runs/{first}/logs").json()["lines"]]
        assert f"listing {ESCAPED} for from {ESCAPED}" in texts
        assert f"cannot parse {ESCAPED}" in ui.get(f"/runs/{first}").text


def test_escaping_leaves_encodable_text_alone_and_escapes_every_event_text() -> None:
    """The one function every channel goes through, on every kind of event."""
    from datetime import datetime

    from pipeflow.model import escaping
    from pipeflow.model.events import (
        RunFinished,
        RunStarted,
        StepFinished,
        StepOutput,
        StepRetrying,
        StepStarted,
    )
    from pipeflow.model.run import Action, Decision, StepOutcome, StepState

    for text in ("plain", "café ✓", ""):
        assert escaping.printable(text) is text
    assert escaping.printable(f"a {NAME} b") == f"a {ESCAPED} b"
    assert escaping.printable("\ud800\udfff") == "\\ud800\\udfff"
    failed = StepOutcome("s", StepState.FAILED, NAME, error=NAME, traceback=NAME, locations=(NAME,))
    plan = Decision("s", Action.RUN, NAME)
    events = [
        StepOutput("r", "s", "stdout", NAME),
        StepRetrying("r", "s", 2, NAME, 0.0),
        StepFinished("r", failed),
        RunStarted("r", "p", datetime.now(), {NAME: [NAME, {"k": (NAME,)}]}, (plan,)),
        RunFinished("r", "p", False, 1.0, (failed,)),
    ]
    for event in events:
        escaped = escaping.event(event)
        text = repr(escaped)
        assert NAME not in text, text
        assert ESCAPED.replace("\\", "\\\\") in text, text
        plain = escaping.event(escaped)
        assert plain == escaped
    started = StepStarted("r", "s", 1)
    assert escaping.event(started) is started
    output = StepOutput("r", "s", "stdout", "fine")
    assert escaping.event(output) is output


def test_a_project_folder_whose_name_is_not_utf8(tmp_path: Path) -> None:
    """The config's own path carries the surrogate: the reports of a run, and of one that
    never started, the console with GitHub's annotations, and the history."""
    folder = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9")))
    p = Project(folder, "sequential")
    p.env["GITHUB_ACTIONS"] = "true"
    absolute = str(folder / "pipeline.yaml")
    p.command("run", absolute, "--only", "talk", "--json", "r.json", "--junit", "r.xml")
    assert json.loads(p.file("r.json"))["config"] == absolute.replace(NAME[:4], ESCAPED[:9])
    assert ESCAPED[:9] in p.file("r.xml")
    table, _ = p.command("runs", "--home", str(folder / ".pipeflow"))
    assert "succeeded" in table, table
    [run_id] = p.run_ids()
    shown, _ = p.command("runs", "show", run_id, "--home", str(folder / ".pipeflow"))
    assert ESCAPED[:9] in shown
    app = create_app(Settings(configs={"odd": folder / "pipeline.yaml"}))
    with TestClient(app, base_url="http://127.0.0.1:8080", raise_server_exceptions=True) as ui:
        for path in ("/runs", f"/runs/{run_id}", f"/api/runs/{run_id}", "/pipelines/odd"):
            page = ui.get(path)
            assert page.status_code == 200, (path, page.text)
            strict(page.content, path)

    (folder / "bad.yaml").write_text("name: bad\nsteps:\n  a: {run: steps.talk, inpts: {}}\n")
    bad = str(folder / "bad.yaml")
    console, stderr = p.command("run", bad, "--json", "r.json", "--junit", "r.xml", code=2)
    assert "inpts" in console + stderr
    report = json.loads(p.file("r.json"))
    assert report["state"] == "invalid"
    assert report["config"] == bad.replace(NAME[:4], ESCAPED[:9])
    assert ESCAPED[:9] in p.file("r.xml")
