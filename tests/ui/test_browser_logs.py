"""A step's open "Logs of STEP" panel follows what the step prints while the run goes (its
lines reach the history as they come, on every executor), and is open again, complete, on
the page that the end of the run reloads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ProjectFactory
from tests.ui.test_browser import browser, page, pipeflow_ui  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

STEPS = """\
import time


def talk(count: int) -> int:
    for index in range(count):
        print(f"line {index}", flush=True)
        time.sleep(0.5)
    return count
"""

CONFIG = """\
name: chatty
params: {count: 12}
executor: {type: processes}
steps:
  talk: {run: chatty_steps.talk, inputs: {count: "${params.count}"}, cache: false}
"""


def test_an_open_logs_panel_follows_a_running_step(
    page: Page,  # noqa: F811
    make_project: ProjectFactory,
) -> None:
    config = make_project(CONFIG, chatty_steps=STEPS)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    with pipeflow_ui(config, cwd=config.parent) as url:
        page.goto(f"{url}/pipelines/chatty/run")
        page.click("#start")
        page.wait_for_url(re.compile(r".*/runs/[0-9]{8}-"))
        expect(page.locator("#run")).to_have_attribute("data-state", "running")
        logs = page.locator('details.logs[data-step="talk"]')
        expect(logs.locator("pre")).to_have_count(1)
        logs.locator("summary").click()
        expect(logs.locator("pre")).to_contain_text("line 0", timeout=30_000)
        # Later lines come into the open panel while the step runs.
        expect(logs.locator("pre")).to_contain_text("line 6", timeout=30_000)
        assert page.locator("#run").get_attribute("data-state") == "running"
        # Each poll asked only for the lines after those the panel had (a step that prints
        # 1 MB was sent whole every second), and the panel holds each line once.
        polls = [link for link in asked if "/logs?" in link]
        assert any(re.search(r"[?&]skip=[1-9]", link) for link in polls), polls
        shown = logs.locator("pre").inner_text().splitlines()
        assert shown[:7] == [f"line {index}" for index in range(7)], shown
        # The run's end reloads the page: the panel is open again, with every line.
        expect(page.locator("#run")).to_have_attribute("data-state", "succeeded", timeout=60_000)
        logs = page.locator('details.logs[data-step="talk"]')
        expect(logs).to_have_attribute("open", "")
        expect(logs.locator("pre")).to_contain_text("line 11")
