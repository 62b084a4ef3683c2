"""The pages of the UI name the schedule that fired a run (test_fired_schedule_recorded.py):
the run's page in its facts, the list of runs on its trigger; a fire that started no run too."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeflow.history import open_history, record_failed_fire, record_skipped_fire
from tests.conftest import ProjectFactory
from tests.schedule.test_fired_schedule_recorded import SECOND, _project
from tests.ui.conftest import ClientFactory
from tests.ui.test_pages import text_of


@pytest.mark.parametrize("record_fire", [record_skipped_fire, record_failed_fire])
def test_a_fire_that_started_no_run_records_its_schedule(
    make_project: ProjectFactory, make_client: ClientFactory, record_fire: object
) -> None:
    config = _project(make_project, "yaml")
    when = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    run_id = record_fire(  # type: ignore[operator]
        config.parent,
        pipeline="kinds",
        when=when,
        reason="the previous run of this schedule is still going",
        config_path=config,
        schedule=SECOND,
    )
    with open_history(config.parent) as history:
        assert history.run(run_id).schedule == SECOND
    client = make_client({"kinds": config})
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200, page.text
    assert f"Trigger schedule {SECOND}" in text_of(page.text)
    listing = client.get("/runs")
    assert f'title="schedule {SECOND}"' in listing.text.replace("&#43;", "+")
