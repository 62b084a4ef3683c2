"""A run started from the page that could not start (its Dask scheduler does not answer) is
recorded as every run is: the form leads to its page, which says why, not to an error page."""

from __future__ import annotations

import re

from pipeflow.history import open_history
from tests.conftest import ProjectFactory
from tests.servers import closed_port
from tests.ui.conftest import ClientFactory

STEPS = "def make() -> int:\n    return 1\n"


def test_a_run_that_could_not_start_opens_its_page(
    make_project: ProjectFactory, make_client: ClientFactory
) -> None:
    config = make_project(
        f"""\
        name: nowhere
        results: {{persist: false}}
        executor: {{type: dask, address: "tcp://127.0.0.1:{closed_port()}"}}
        steps:
          make: {{run: nowheresteps.make}}
        """,
        nowheresteps=STEPS,
    )
    client = make_client({"nowhere": config})
    form = client.get("/pipelines/nowhere/run")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None, form.text
    answer = client.post(
        "/pipelines/nowhere/run",
        data={"csrf": token.group(1)},
        headers={"Origin": "http://127.0.0.1:8080"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    run_id = answer.headers["location"].removeprefix("/runs/")
    with open_history(config.parent) as history:
        [run] = history.runs(pipeline="nowhere")
    assert run.id == run_id
    assert run.state == "failed"
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert "the run could not start: no Dask scheduler answers" in page.text
    assert client.get(f"/api/runs/{run_id}").json()["state"] == "failed"
    assert run.not_run == 1
    listing = client.get("/runs").text
    assert "<th>Not run</th>" in listing
    row = re.search(rf'data-run="{run_id}">(.*?)</tr>', listing, re.S)
    assert row is not None, listing
    assert re.findall(r"<td>(\d+)</td>", row.group(1)) == ["0", "0", "0", "1"]
