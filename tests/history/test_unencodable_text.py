"""Text no UTF-8 writer takes (a lone surrogate, from a file name that is not UTF-8) is stored
as its escape, whoever sends the events, and read back escaped from a history written before."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

from starlette.testclient import TestClient

from pipeflow.history import Recorder, open_history
from pipeflow.model.events import (
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
)
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from pipeflow.ui.app import Settings, create_app
from tests.conftest import REPO
from tests.history.synthetic import T0, record

RUN = "20260301-120000-a1b2c3"
NAME = os.fsdecode(b"caf\xe9.csv")
ESCAPED = "caf\\udce9.csv"


def test_a_recorder_stores_every_text_of_its_events_escaped(tmp_path: Path) -> None:
    """Events sent to a Recorder by hand, not through a run's engine."""
    failed = StepOutcome(
        "read", StepState.FAILED, f"raised on {NAME}", 0.1, 2,
        error=f"ValueError: cannot parse {NAME}", traceback=f"Traceback\nValueError: {NAME}",
        locations=(f"out/{NAME}",),
    )  # fmt: skip
    plan = (Decision("read", Action.RUN, f"no stored result for {NAME}"),)
    events = [
        RunStarted(RUN, "demo", T0, {"folder": NAME, "nested": {NAME: [NAME]}}, plan),
        StepStarted(RUN, "read", 1, f"no stored result for {NAME}"),
        StepOutput(RUN, "read", "stdout", f"listing {NAME}"),
        StepRetrying(RUN, "read", 2, f"OSError: {NAME}", 0.0),
        StepFinished(RUN, failed),
        RunFinished(RUN, "demo", False, 1.0, (failed,)),
    ]
    recorder = Recorder(tmp_path, config_path=tmp_path / NAME / "pipeline.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "could not record"
        record(recorder, events)
    assert recorder.last_error is None
    with open_history(tmp_path) as history:
        run = history.run(RUN)
        assert run.state == "failed"
        assert run.params == {"folder": ESCAPED, "nested": {ESCAPED: [ESCAPED]}}
        assert run.config_path is not None
        assert run.config_path.endswith(f"{ESCAPED}/pipeline.yaml")
        [step] = run.steps
        assert (step.state, step.error) == ("failed", f"ValueError: cannot parse {ESCAPED}")
        assert step.reason == f"raised on {ESCAPED}"
        assert step.traceback == f"Traceback\nValueError: {ESCAPED}"
        assert step.locations == (f"out/{ESCAPED}",)
        assert [a.error for a in step.failed_attempts] == [f"OSError: {ESCAPED}"]
        assert [line.text for line in history.logs(RUN)] == [f"listing {ESCAPED}"]


def test_params_stored_by_an_earlier_pipeflow_are_shown_escaped(tmp_path: Path) -> None:
    """Earlier pipeflows stored a param's surrogate as a JSON escape, which reads back as the
    surrogate: `runs show` and the UI's pages must not fail on it."""
    outcome = StepOutcome("read", StepState.DONE, "no stored result", 0.1, 1)
    record(
        Recorder(tmp_path),
        [
            RunStarted(RUN, "demo", T0, {"folder": "x"}, (Decision("read", Action.RUN, "-"),)),
            StepFinished(RUN, outcome),
            RunFinished(RUN, "demo", True, 1.0, (outcome,)),
        ],
    )
    database = tmp_path / ".pipeflow" / "runs.db"
    connection = sqlite3.connect(database)
    with connection:
        connection.execute("UPDATE runs SET params = ?", ('{"folder": "caf\\udce9.csv"}',))
    connection.close()
    with open_history(tmp_path) as history:
        assert history.run(RUN).params == {"folder": ESCAPED}
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "show", RUN, "--home", str(database.parent)],
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8:strict"},
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert ESCAPED.replace("\\", "\\\\") in done.stdout.decode("utf-8")
    app = create_app(Settings(configs={}, home=database.parent))
    with TestClient(app, base_url="http://127.0.0.1:8080", raise_server_exceptions=True) as ui:
        for path in (f"/runs/{RUN}", f"/api/runs/{RUN}", "/runs"):
            answer = ui.get(path)
            assert answer.status_code == 200, (path, answer.text)
            answer.content.decode("utf-8")
