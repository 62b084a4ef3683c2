"""Every answer under /api/ is JSON, errors included: `{"error": "..."}` with the status."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeflow.history import Recorder
from tests.history.synthetic import T0, record, run_events
from tests.ui.conftest import ClientFactory

RUN = "20260301-120000-aaaaaa"
API = [f"/api/runs/{RUN}", f"/api/runs/{RUN}/logs", f"/api/runs/{RUN}/logs?step=load"]


def assert_json_error(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    content_type = response.headers["content-type"]
    assert content_type.startswith("application/json"), response.text
    error = response.json()["error"]
    assert words in error
    assert "Traceback" not in error
    assert response.headers["x-frame-options"] == "DENY"


def foreign_database(home: Path) -> None:
    with sqlite3.connect(home / "runs.db") as db:
        db.execute("CREATE TABLE invoices (id INTEGER)")


def not_a_database(home: Path) -> None:
    (home / "runs.db").write_bytes(b"this is not a database at all" * 100)


@pytest.mark.parametrize("damage", [not_a_database, foreign_database])
@pytest.mark.parametrize("path", API)
def test_a_history_that_cannot_be_read_is_a_json_503(
    make_client: ClientFactory, tmp_path: Path, damage: Callable[[Path], None], path: str
) -> None:
    damage(tmp_path)
    assert_json_error(make_client(home=tmp_path).get(path), 503, "runs.db")


def test_an_unexpected_error_is_a_json_500(make_client: ClientFactory, tmp_path: Path) -> None:
    record(Recorder(home=tmp_path), run_events(RUN, started=T0))
    with sqlite3.connect(tmp_path / "runs.db") as db:
        db.execute("UPDATE runs SET started = 'garbage'")
    response = make_client(home=tmp_path).get(f"/api/runs/{RUN}")
    assert_json_error(response, 500, "unexpected error")


def test_unknown_paths_methods_runs_and_steps_are_json(
    make_client: ClientFactory, recorded: Path
) -> None:
    client = make_client(home=recorded)
    assert_json_error(client.get("/api/nothing"), 404, "Nothing is at /api/nothing")
    assert_json_error(client.get("/api/runs/nope"), 404, "No run `nope`")
    assert_json_error(client.get("/api/runs/nope/logs"), 404, "No run `nope`")
    unknown_step = client.get("/api/runs/20260301-130000-bbbbbb/logs?step=lod")
    assert_json_error(unknown_step, 404, "has no step `lod`")
    for method in ("POST", "PUT", "DELETE"):
        refused = client.request(method, "/api/runs/20260301-130000-bbbbbb")
        assert_json_error(refused, 405, f"does not take {method}")
        assert "GET" in refused.headers["allow"]
    # Pages keep their HTML.
    assert client.get("/nothing").headers["content-type"].startswith("text/html")


def test_refusals_of_the_guard_are_json(make_client: ClientFactory, recorded: Path) -> None:
    guarded = make_client(home=recorded, token="s3cret", loopback_only=False)
    assert_json_error(guarded.get(f"/api/runs/{RUN}"), 401, "needs its token")
    local = make_client(home=recorded)
    wrong_host = local.get(f"/api/runs/{RUN}", headers={"Host": "example.com"})
    assert_json_error(wrong_host, 400, "127.0.0.1 and localhost only")
    cross = local.post(f"/api/runs/{RUN}", headers={"Origin": "http://evil.example"})
    assert_json_error(cross, 403, "")


@pytest.mark.parametrize("path", [f"/api/runs/{RUN}/logs", f"/runs/{RUN}/logs"])
@pytest.mark.parametrize("step", [None, "load"])
def test_a_skip_past_any_count_sqlite_holds_is_no_lines_not_a_500(
    make_client: ClientFactory, tmp_path: Path, path: str, step: str | None
) -> None:
    record(Recorder(home=tmp_path), run_events(RUN, started=T0))
    client = make_client(home=tmp_path)
    for skip in (2**63 - 1, 2**63, 10**30):  # SQLite's largest integer, and past it
        params: dict[str, Any] = {"skip": str(skip), **({"step": step} if step else {})}
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        if path.startswith("/api/"):
            assert response.json() == {"lines": []}
        else:
            assert response.text == "(nothing printed)\n"
