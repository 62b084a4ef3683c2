"""A step that fails while the run goes on (its other steps still running) shows its error on
the run's page at once, as `pipeflow run` prints it, not only once the whole run has ended."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ProjectFactory
from tests.ui.test_browser import browser, page, pipeflow_ui  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

STEPS = """\
import time


def bad() -> int:
    time.sleep(1)
    raise ValueError("boom in bad")


def slow(seconds: float) -> float:
    for index in range(int(seconds * 2)):
        print(f"still going {index}", flush=True)
        time.sleep(0.5)
    return seconds
"""

CONFIG = """\
name: halfbroken
executor: {type: threads, workers: 2}
steps:
  bad: {run: broken_steps.bad, cache: false}
  slow: {run: broken_steps.slow, inputs: {seconds: 20}, cache: false}
"""


def test_a_failed_step_shows_its_error_while_the_run_goes_on(
    page: Page,  # noqa: F811
    make_project: ProjectFactory,
) -> None:
    config = make_project(CONFIG, broken_steps=STEPS)
    with pipeflow_ui(config, cwd=config.parent) as url:
        page.goto(f"{url}/pipelines/halfbroken/run")
        page.click("#start")
        page.wait_for_url(re.compile(r".*/runs/[0-9]{8}-"))
        expect(page.locator("#run")).to_have_attribute("data-state", "running")
        logs = page.locator('details.logs[data-step="slow"]')
        logs.locator("summary").click()
        row = page.locator('tr.step-row[data-step="bad"]')
        expect(row).to_have_attribute("data-state", "failed", timeout=20_000)
        expect(page.locator("tbody.step-block", has=row)).to_contain_text(
            "ValueError: boom in bad", timeout=5_000
        )
        assert page.locator("#run").get_attribute("data-state") == "running"  # still going
        expect(row).to_contain_text("raised an error")
        # The panel that was open is open again, and goes on following its step.
        logs = page.locator('details.logs[data-step="slow"]')
        expect(logs).to_have_attribute("open", "")
        expect(logs.locator("pre")).to_contain_text("still going", timeout=10_000)
        expect(page.locator("#run")).to_have_attribute("data-state", "failed", timeout=60_000)
