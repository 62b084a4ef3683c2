"""`pipeflow ui` over several projects, one of whose histories cannot be read: the others are
shown, and the page says which history it could not read and why; a run it cannot find may be
in that one, so looking one up says so (503) rather than that no run has that id (404)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeflow.history import Recorder
from tests.history.synthetic import T0, record, run_events
from tests.ui.conftest import ClientFactory
from tests.ui.test_api_errors import foreign_database, not_a_database

READABLE = "20260301-120000-aaaaaa"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(params=[not_a_database, foreign_database])
def projects(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Path]:
    """`good` with one recorded run, `broken` whose history is damaged."""
    damage: Callable[[Path], None] = request.param
    good, broken = tmp_path / "good", tmp_path / "broken"
    for folder, name in ((good, "good"), (broken, "broken")):
        (folder / ".pipeflow").mkdir(parents=True)
        (folder / "pipeline.yaml").write_text(f"name: {name}\nsteps: {{}}\n", encoding="utf-8")
    record(Recorder(home=good / ".pipeflow"), run_events(READABLE, pipeline="good", started=T0))
    damage(broken / ".pipeflow")
    return {"good": good / "pipeline.yaml", "broken": broken / "pipeline.yaml"}


def test_the_runs_page_shows_the_readable_histories_and_names_the_damaged_one(
    make_client: ClientFactory, projects: dict[str, Path]
) -> None:
    client = make_client(projects)
    broken = str(projects["broken"].parent / ".pipeflow" / "runs.db")
    for path in ("/runs", "/runs?partial=1", "/runs?pipeline=good"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert f'data-run="{READABLE}"' in page.text, path
        text = text_of(page.text)
        assert broken in text, (path, text)
        assert "its runs are not shown" in text, (path, text)
        assert "Traceback" not in page.text
    pipelines = client.get("/pipelines")
    assert pipelines.status_code == 200, pipelines.text
    assert "/pipelines/good/run" in pipelines.text
    assert "/pipelines/broken/run" in pipelines.text
    assert client.get(f"/runs/{READABLE}").status_code == 200
    assert client.get(f"/api/runs/{READABLE}").status_code == 200
    # Not found in what could be read: it may be in the damaged history.
    missing = client.get("/api/runs/20260301-230000-ffffff")
    assert missing.status_code == 503, missing.text
    assert broken in missing.json()["error"]


def test_a_single_damaged_history_is_still_the_error_page(
    make_client: ClientFactory, projects: dict[str, Path]
) -> None:
    page = make_client({"broken": projects["broken"]}).get("/runs")
    assert page.status_code == 503
    assert "runs.db" in page.text


def test_the_run_form_starts_a_run_beside_a_damaged_history(
    make_client: ClientFactory, failing_project: Path, tmp_path: Path
) -> None:
    """The form waits for the new run's first row before it redirects: a history it cannot
    read is no answer to that wait."""
    broken = tmp_path / "broken"
    (broken / ".pipeflow").mkdir(parents=True)
    (broken / "pipeline.yaml").write_text("name: broken\nsteps: {}\n", encoding="utf-8")
    not_a_database(broken / ".pipeflow")
    client = make_client({"breaks": failing_project, "broken": broken / "pipeline.yaml"})
    form = client.get("/pipelines/breaks/run").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None, form
    answer = client.post(
        "/pipelines/breaks/run",
        data={"csrf": token.group(1), "param:count": "5"},
        headers={"Origin": "http://127.0.0.1:8080"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    run_id = answer.headers["location"].removeprefix("/runs/")
    deadline = time.monotonic() + 60
    while client.get(f"/api/runs/{run_id}").json()["state"] == "running":
        assert time.monotonic() < deadline, "the run did not finish within 60 s"
        time.sleep(0.2)
    assert client.get(f"/runs/{run_id}").status_code == 200
