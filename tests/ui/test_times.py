"""The UI writes a run's times in ISO 8601 with their offset, as `pipeflow runs` and SPEC
section 7 do (`2026-03-01T12:00:00+01:00`); it wrote a space where ISO 8601 has its `T`."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import ClientFactory
from tests.ui.test_pages import FAILED, text_of

STARTED = "2026-03-01T13:00:00+01:00"  # the failed run of `recorded`, started at T0 + 1 h


def test_every_page_writes_a_runs_times_in_iso_8601(
    make_client: ClientFactory, recorded: Path
) -> None:
    client = make_client(home=recorded)
    for address in ("/runs", f"/runs/{FAILED}", "/pipelines/demo", "/runs?partial=1"):
        page = client.get(address)
        assert page.status_code == 200, (address, page.text)
        text = text_of(page.text)
        assert STARTED in text, (address, text)
        assert "2026-03-01 13:00:00" not in text, (address, text)
