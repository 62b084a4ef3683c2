"""The page of a schedule's fire that started no run (skipped as an overlap, or refused for
its config's problems) says that no step started: it drew the config's steps, every one
`pending`, under a note that the steps "have changed since this run", which they had not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from pipeflow.history import record_failed_fire, record_skipped_fire
from tests.conftest import ProjectFactory
from tests.ui.conftest import ClientFactory
from tests.ui.test_pages import text_of

STEPS = "def make() -> int:\n    return 1\n\n\ndef use(value: int) -> int:\n    return value\n"
YAML = """\
name: fired
steps:
  make: {run: firedsteps.make}
  use: {run: firedsteps.use, inputs: {value: "${steps.make}"}}
schedules:
  - interval: 1s
"""
TOML = """\
name = "fired"
[steps.make]
run = "firedsteps.make"
[steps.use]
run = "firedsteps.use"
inputs = {value = "${steps.make}"}
[[schedules]]
interval = "1s"
"""
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("record_fire", "reason"),
    [
        (record_skipped_fire, "the previous run of this schedule is still going"),
        (record_failed_fire, "the run could not start: the config or its params have problems"),
    ],
    ids=["skipped", "not started"],
)
def test_a_fire_that_started_no_run_draws_no_pending_steps(
    make_project: ProjectFactory,
    make_client: ClientFactory,
    spelling: str,
    record_fire: Callable[..., str | None],
    reason: str,
) -> None:
    config = make_project(
        YAML if spelling == "yaml" else TOML, name=f"pipeline.{spelling}", firedsteps=STEPS
    )
    run_id = record_fire(
        config.parent, pipeline="fired", when=WHEN, reason=reason, config_path=config
    )
    assert run_id is not None
    page = make_client({"fired": config}).get(f"/runs/{run_id}")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "have changed since this run" not in text
    assert "pending" not in text
    assert '<div class="graph"' not in page.text
    assert "No step of this run started, so there is no graph." in text
    assert reason in text  # why, as the run's params recorded it
    assert "This run recorded no steps." in text
