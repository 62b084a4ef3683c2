"""The UI's pages through Starlette's TestClient, over real history databases."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

import pipeflow
from pipeflow.history import Recorder, open_history
from tests.conftest import ProjectFactory
from tests.history.synthetic import T0, record, run_events
from tests.ui.conftest import ClientFactory

FAILED = "20260301-130000-bbbbbb"


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces squeezed, for readable assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def ids_in(html: str) -> list[str]:
    return re.findall(r'data-run="([^"]+)"', html)


def test_the_runs_page_lists_runs_newest_first_and_filters_them(
    make_client: ClientFactory, recorded: Path
) -> None:
    client = make_client(home=recorded)
    assert client.get("/", follow_redirects=False).headers["location"] == "/runs"
    page = client.get("/runs")
    assert page.status_code == 200
    assert ids_in(page.text) == [
        "20260301-140000-cccccc",
        "20260301-130000-bbbbbb",
        "20260301-120000-aaaaaa",
    ]
    assert ids_in(client.get("/runs?pipeline=demo").text) == [FAILED, "20260301-120000-aaaaaa"]
    assert ids_in(client.get("/runs?state=failed").text) == [FAILED]
    assert ids_in(client.get("/runs?pipeline=etl&state=failed").text) == []
    assert "No runs match these filters" in text_of(client.get("/runs?state=interrupted").text)
    # The auto-refresh fetches the table alone, with the same filters.
    assert (
        'data-refresh="/runs?pipeline=demo&amp;page=1&amp;partial=1"'
        in client.get("/runs?pipeline=demo").text
    )
    partial = client.get("/runs?pipeline=demo&partial=1").text
    assert "<html" not in partial
    assert ids_in(partial) == [FAILED, "20260301-120000-aaaaaa"]


def test_an_unknown_state_filter_is_a_friendly_400(
    make_client: ClientFactory, recorded: Path
) -> None:
    page = make_client(home=recorded).get("/runs?state=exploded")
    assert page.status_code == 400
    assert "There is no run state `exploded`" in page.text


def test_a_thousand_runs_are_paged_and_fast(make_client: ClientFactory, tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    for index in range(1000):
        started = T0 + timedelta(minutes=index)
        record(recorder, run_events(f"run-{index:04d}", started=started, lines=0))
    client = make_client(home=tmp_path)
    client.get("/runs")  # templates compiled
    began = time.perf_counter()
    first = client.get("/runs")
    elapsed = time.perf_counter() - began
    assert ids_in(first.text)[:2] == ["run-0999", "run-0998"]
    assert len(ids_in(first.text)) == 50
    assert "1000 runs; page 1 of 20" in text_of(first.text)
    assert elapsed < 2.0, f"the runs page took {elapsed:.2f} s with 1,000 runs"
    last = client.get("/runs?page=20").text
    assert ids_in(last)[-1] == "run-0000"
    assert ids_in(client.get("/runs?page=99").text) == ids_in(last)  # past the end: the last
    assert ids_in(client.get("/runs?page=x").text) == ids_in(first.text)


def test_a_missing_or_empty_history_is_a_friendly_page(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    missing = make_client(home=tmp_path / "nothing-here")
    page = missing.get("/runs")
    assert page.status_code == 200
    assert "No runs are recorded yet" in text_of(page.text)
    assert str(tmp_path / "nothing-here" / "runs.db") in page.text
    assert missing.get("/pipelines").status_code == 200
    unknown = missing.get("/runs/20260301-120000-aaaaaa")
    assert unknown.status_code == 404
    assert "nothing is recorded" in unknown.text
    empty_home = tmp_path / "empty"
    empty_home.mkdir()
    (empty_home / "runs.db").write_bytes(b"")
    empty = make_client(home=empty_home).get("/runs")
    assert empty.status_code == 200
    assert "No runs are recorded yet" in text_of(empty.text)


def test_a_damaged_history_is_a_friendly_page(make_client: ClientFactory, tmp_path: Path) -> None:
    (tmp_path / "runs.db").write_bytes(b"this is not a database at all" * 100)
    page = make_client(home=tmp_path).get("/runs")
    assert page.status_code == 503
    assert "cannot" in page.text
    assert "runs.db" in page.text
    assert "Traceback" not in page.text


def test_the_run_page_shows_steps_params_errors_and_logs(
    make_client: ClientFactory, recorded: Path
) -> None:
    client = make_client(home=recorded)
    page = client.get(f"/runs/{FAILED}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "failed" in text
    assert "ValueError: bad values" in text  # the error of the failed step
    assert "Traceback (most recent call last)" in page.text
    assert "count" in text
    assert "3" in text
    assert "no stored result" in text
    assert "cache hit" in text
    assert "500ms" in text  # a duration
    # The attempts before the last, with their errors (as `pipeflow runs show` lists them).
    assert "attempt 1 failed: ConnectionError: timed out" in text
    # No config was recorded with these runs: no graph, and a note saying why.
    assert "The graph cannot be drawn: its runs recorded no config file" in text
    assert 'data-step="report"' in page.text
    # A unique prefix works as in `pipeflow runs show`.
    assert client.get("/runs/20260301-13").status_code == 200

    state = client.get(f"/api/runs/{FAILED}").json()
    assert state["state"] == "failed"
    assert [(s["step"], s["state"]) for s in state["steps"]] == [
        ("load", "done"),
        ("train", "cached"),
        ("report", "failed"),
    ]
    logs = client.get(f"/api/runs/{FAILED}/logs", params={"step": "load"}).json()
    assert [line["text"] for line in logs["lines"]] == [
        "loading 0",
        "loading 1",
        "INFO-level progress",
    ]
    # A panel that follows a running step asks only for the lines after those it has.
    later = client.get(f"/api/runs/{FAILED}/logs", params={"step": "load", "skip": 1}).json()
    assert [line["text"] for line in later["lines"]] == ["loading 1", "INFO-level progress"]
    past = client.get(f"/api/runs/{FAILED}/logs", params={"step": "load", "skip": 3}).json()
    assert past["lines"] == []
    for bad in ("-1", "one", "1.5", "\u00b2", "\u0661"):  # superscript two, Arabic-Indic one
        refused = client.get(f"/api/runs/{FAILED}/logs", params={"step": "load", "skip": bad})
        assert refused.status_code == 400, refused.text
        assert "skip" in refused.json()["error"]
    plain = client.get(f"/runs/{FAILED}/logs", params={"step": "report"})
    assert plain.headers["content-type"].startswith("text/plain")
    assert "report | flaky network" in plain.text
    unknown_step = client.get(f"/api/runs/{FAILED}/logs", params={"step": "lod"})
    assert unknown_step.status_code == 404
    assert unknown_step.json()["error"] == (
        "Run 20260301-130000-bbbbbb has no step `lod`. Did you mean `load`?"
    )


def test_an_unknown_run_is_a_friendly_404(make_client: ClientFactory, recorded: Path) -> None:
    client = make_client(home=recorded)
    page = client.get("/runs/20260301-120000-aaaaab")
    assert page.status_code == 404
    assert "No run `20260301-120000-aaaaab`" in page.text
    assert "Did you mean `20260301-120000-aaaaaa`?" in page.text
    assert "Traceback" not in page.text
    assert client.get("/api/runs/nope").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert "Nothing is at /no/such/page" in client.get("/no/such/page").text


def test_what_runs_recorded_is_escaped(make_client: ClientFactory, tmp_path: Path) -> None:
    recorder = Recorder(home=tmp_path)
    script = "<script>alert(1)</script>"
    record(recorder, run_events("r-escape", params={"note": script}))
    page = make_client(home=tmp_path).get("/runs/r-escape")
    assert script not in page.text
    assert "&lt;script&gt;" in page.text


def test_a_run_whose_config_became_invalid_lists_its_steps(
    make_client: ClientFactory, failing_project: Path
) -> None:
    result = pipeflow.load(failing_project).run()
    assert not result.ok
    client = make_client({"breaks": failing_project})
    page = client.get(f"/runs/{result.id}")
    assert page.status_code == 200
    assert "cannot handle 3 values" in page.text  # the failed step's error
    failing_project.write_text("name: breaks\nsteps:\n  prepare: {runn: x}\n", encoding="utf-8")
    broken = client.get(f"/runs/{result.id}")
    assert broken.status_code == 200
    text = text_of(broken.text)
    assert "is not valid any more, so the graph cannot be drawn" in text
    assert "did you mean `run`" in text  # the problems, in a fold-out
    assert 'data-step="prepare"' in broken.text
    assert 'data-step="explode"' in broken.text
    failing_project.unlink()
    gone = client.get(f"/runs/{result.id}")
    assert gone.status_code == 200
    assert "does not exist any more" in text_of(gone.text)
    pipeline_page = client.get("/pipelines/breaks")
    assert pipeline_page.status_code == 200
    assert "does not exist any more" in text_of(pipeline_page.text)
    assert result.id in pipeline_page.text  # its last runs are still listed


def test_the_pipeline_page_shows_schedules_and_last_runs(
    make_client: ClientFactory, iris_project: Path
) -> None:
    client = make_client({"iris": iris_project / "pipeline.yaml"})
    listing = client.get("/pipelines")
    assert 'href="/pipelines/iris"' in listing.text
    page = client.get("/pipelines/iris")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "cron `0 6 * * 1-5` in Europe/Berlin" in text
    assert "every 1h" in text
    assert len(re.findall(r"<time>[^<]+</time>", page.text)) == 6  # three per schedule
    assert "+01:00" in page.text or "+02:00" in page.text  # Berlin times keep their offset
    assert "No runs of iris are recorded yet" in text
    assert client.get("/pipelines/irsi").status_code == 404
    assert "No pipeline `irsi` is known here" in client.get("/pipelines/irsi").text


def test_pipelines_only_the_history_knows_are_listed(
    make_client: ClientFactory, recorded: Path
) -> None:
    client = make_client(home=recorded)
    text = text_of(client.get("/pipelines").text)
    assert "demo" in text
    assert "etl" in text
    page = client.get("/pipelines/demo")
    assert page.status_code == 200
    assert "its runs recorded no config file" in text_of(page.text)
    form = client.get("/pipelines/demo/run")
    assert form.status_code == 409
    assert '<form class="run-form"' not in form.text


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_the_run_form_shows_the_defaults(make_client: ClientFactory, iris_project: Path) -> None:
    client = make_client({"iris": iris_project / "pipeline.yaml"})
    form = client.get("/pipelines/iris/run")
    assert form.status_code == 200
    assert 'name="param:test_data_ratio" value="0.2"' in form.text
    assert 'name="param:seed" value="42"' in form.text
    assert 'name="param:data_path" value="data/raw/iris.csv"' in form.text


def test_a_param_of_the_wrong_type_is_refused_beside_its_field(
    make_client: ClientFactory, iris_project: Path
) -> None:
    client = make_client({"iris": iris_project / "pipeline.yaml"})
    token = csrf_of(client.get("/pipelines/iris/run").text)
    answer = client.post(
        "/pipelines/iris/run",
        data={"csrf": token, "param:test_data_ratio": "abc", "param:seed": "42"},
        headers={"Origin": "http://127.0.0.1:8080"},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    field = re.search(r'<div class="field invalid">(.*?)</div>', answer.text, flags=re.DOTALL)
    assert field is not None, answer.text
    assert 'name="param:test_data_ratio" value="abc"' in field.group(1)  # kept as typed
    assert "is a number (0.2) in the defaults; got a string" in field.group(1)
    too_big = client.post(
        "/pipelines/iris/run",
        data={"csrf": token, "param:test_data_ratio": "2"},
        follow_redirects=False,
    )
    assert too_big.status_code == 422
    assert "fails params_schema" in too_big.text
    assert not (iris_project / ".pipeflow" / "runs.db").exists()  # no run started


def test_the_run_form_starts_a_run_and_redirects_to_it(
    make_client: ClientFactory, failing_project: Path
) -> None:
    client = make_client({"breaks": failing_project})
    token = csrf_of(client.get("/pipelines/breaks/run").text)
    answer = client.post(
        "/pipelines/breaks/run",
        data={"csrf": token, "param:count": "5"},
        headers={"Origin": "http://127.0.0.1:8080"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    run_id = answer.headers["location"].removeprefix("/runs/")
    deadline = time.monotonic() + 60
    while client.get(f"/api/runs/{run_id}").json()["state"] == "running":
        assert time.monotonic() < deadline, "the run did not finish within 60 s"
        time.sleep(0.2)
    with open_history(failing_project.parent) as history:
        run = history.run(run_id)
    assert run.state == "failed"
    assert run.params == {"count": 5}  # the edited value, with its type
    assert run.trigger == "manual"
    page = client.get(f"/runs/{run_id}")
    assert "cannot handle 5 values" in page.text


def test_a_post_from_another_origin_or_without_the_form_token_is_refused(
    make_client: ClientFactory, failing_project: Path
) -> None:
    client = make_client({"breaks": failing_project})
    token = csrf_of(client.get("/pipelines/breaks/run").text)
    foreign = client.post(
        "/pipelines/breaks/run",
        data={"csrf": token},
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403
    assert "another origin" in foreign.text
    referer = client.post(
        "/pipelines/breaks/run",
        data={"csrf": token},
        headers={"Referer": "http://evil.example/page"},
        follow_redirects=False,
    )
    assert referer.status_code == 403
    no_token = client.post("/pipelines/breaks/run", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    assert "form is stale" in no_token.text
    assert not (failing_project.parent / ".pipeflow").exists()  # nothing started


def test_a_token_is_needed_on_every_request(make_client: ClientFactory, recorded: Path) -> None:
    client = make_client(home=recorded, token="s3cret", loopback_only=False)
    refused = client.get("/runs")
    assert refused.status_code == 401
    assert "needs its token" in refused.text
    assert client.get("/static/ui.css").status_code == 401
    assert client.get("/runs", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/runs", headers={"X-Pipeflow-Token": "s3cret"}).status_code == 200
    assert client.get("/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    opened = client.get("/runs?token=s3cret&state=failed", follow_redirects=False)
    assert opened.status_code == 307
    assert opened.headers["location"] == "/runs?state=failed"
    assert "httponly" in opened.headers["set-cookie"].lower()
    assert ids_in(client.get("/runs?state=failed").text) == [FAILED]  # the cookie now


def test_only_loopback_host_names_are_served_without_a_token(
    make_client: ClientFactory, recorded: Path
) -> None:
    client = make_client(home=recorded)
    assert client.get("/runs", headers={"Host": "localhost:8080"}).status_code == 200
    rebound = client.get("/runs", headers={"Host": "attacker.example:8080"})
    assert rebound.status_code == 400
    assert "127.0.0.1 and localhost only" in rebound.text


def test_a_fifty_step_run_is_drawn_with_every_step_coloured(
    make_client: ClientFactory, make_project: ProjectFactory
) -> None:
    steps = ["steps:", "  s00: {run: fifty.one, inputs: {x: 0}}"]
    for index in range(1, 50):
        upstream = f"s{(index - 1) // 3 * 3:02d}" if index % 3 else f"s{index - 1:02d}"
        steps.append(f'  s{index:02d}: {{run: fifty.one, inputs: {{x: "${{steps.{upstream}}}"}}}}')
    config = make_project(
        "name: fifty\n" + "\n".join(steps) + "\n",
        fifty="def one(x):\n    return x + 1\n",
    )
    result = pipeflow.load(config).run()
    assert result.ok
    page = make_client({"fifty": config}).get(f"/runs/{result.id}")
    assert page.status_code == 200
    nodes = re.findall(r'<g class="step state-done" data-step="(s\d\d)"', page.text)
    assert sorted(nodes) == [f"s{index:02d}" for index in range(50)]
    width = re.search(r'<svg[^>]* width="([\d.]+)"', page.text)
    assert width is not None
    assert float(width.group(1)) < 6000  # laid out in layers, not one endless row


def test_a_param_from_the_environment_is_never_shown_in_the_form(
    make_client: ClientFactory,
    make_project: ProjectFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UI_TEST_SECRET", "hunter2-value")
    config = make_project(
        """\
        name: secretive
        params: {password: "${env.UI_TEST_SECRET}", size: 2}
        steps:
          one: {run: secretive.one, inputs: {x: "${params.size}"}}
        """,
        secretive="def one(x):\n    return x\n",
    )
    form = make_client({"secretive": config}).get("/pipelines/secretive/run")
    assert form.status_code == 200
    assert "hunter2-value" not in form.text
    assert 'name="param:password" value=""' in form.text
    assert "from the environment (hidden)" in form.text
