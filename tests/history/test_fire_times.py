"""A fire `pipeflow serve` recorded without a run (skipped, or refused) has its id and start
on the machine's clock, as every run has: they were in UTC, so on a machine east or west of
it `pipeflow runs` listed them hours apart from the runs around them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeflow.history import open_history

RECORD = """
import sys
from datetime import datetime, timezone
from pipeflow.history import record_failed_fire, record_skipped_fire

record = record_skipped_fire if sys.argv[2] == "skipped" else record_failed_fire
when = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
print(record(None, pipeline="demo", when=when, reason="overlap", home=sys.argv[1]))
"""


@pytest.mark.parametrize("kind", ["skipped", "failed"])
@pytest.mark.parametrize(
    ("zone", "clock", "offset"),
    [
        ("Asia/Kolkata", "20260301-173000", "+05:30"),
        ("America/New_York", "20260301-070000", "-05:00"),
    ],
)
def test_a_fire_is_recorded_on_the_machines_clock(
    tmp_path: Path, kind: str, zone: str, clock: str, offset: str
) -> None:
    recorded = subprocess.run(
        [sys.executable, "-c", RECORD, str(tmp_path), kind],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TZ": zone},
    )
    run_id = recorded.stdout.strip()
    assert run_id.startswith(f"{clock}-"), run_id
    with open_history(None, home=tmp_path) as history:
        run = history.run(run_id)
    assert run.state == kind
    assert run.started.isoformat().endswith(offset), run.started
    assert run.started == datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)  # the same instant
