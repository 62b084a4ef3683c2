"""`pipeflow ui` as a real process, driven in the system's headless Chromium by Playwright.

Chromium comes from the system (`apt-get install chromium`; `.ci/run` installs it), never from
`playwright install`. Screenshots are saved under the test's tmp_path, and also into
$PIPEFLOW_UI_SCREENSHOTS when that is set, and checked not to be blank.
"""

from __future__ import annotations

import functools
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
URL_LINE = re.compile(r"serving on (http://\S+)")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` "
            "(.ci/run does); the UI's browser tests need it"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@contextmanager
def pipeflow_ui(*configs: Path, cwd: Path) -> Iterator[str]:
    """`pipeflow ui CONFIG... --port 0` in its own session; yields its URL; SIGTERM stops it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PIPEFLOW_HOME", None)
    env.pop("PIPEFLOW_UI_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "ui", *map(str, configs), "--port", "0"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    try:
        url = None
        seen = []
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            seen.append(line)
            found = URL_LINE.search(line)
            url = found.group(1).rstrip("/") if found else None
        assert url is not None, "pipeflow ui did not start:\n" + "".join(seen)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        finally:
            process.stdout.close()
    assert code == 0, f"pipeflow ui exited {code} on SIGTERM"


def save(page: Page, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot, checked not to be blank; a copy goes to the known folder."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        width, height = image.size
    assert width >= 600
    assert height >= 400
    assert colours is not None
    assert len(colours) > 16, f"{path} looks blank"
    folder = os.environ.get("PIPEFLOW_UI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)
    return path


def test_the_iris_pipeline_runs_from_the_run_form(
    page: Page, iris_project: Path, tmp_path: Path
) -> None:
    config = iris_project / "pipeline.yaml"
    with pipeflow_ui(config, cwd=iris_project) as url:
        page.goto(f"{url}/pipelines/iris")
        expect(page.locator("h1")).to_contain_text("iris")
        page.click("#run-button")
        expect(page.locator('input[name="param:test_data_ratio"]')).to_have_value("0.2")
        page.fill('input[name="param:test_data_ratio"]', "0.3")
        page.click("#start")
        page.wait_for_url(re.compile(r".*/runs/[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"))
        nodes = page.locator(".graph svg g.step")
        expect(nodes).to_have_count(7)
        # The page follows the run: every node turns done (or cached), then the page reloads.
        page.wait_for_function(
            """() => {
                const nodes = [...document.querySelectorAll('.graph svg g.step')];
                return nodes.length === 7 &&
                    nodes.every((n) => ['done', 'cached'].includes(n.dataset.state)) &&
                    document.getElementById('run').dataset.state === 'succeeded';
            }""",
            timeout=120_000,
        )
        expect(page.locator("#run-state")).to_have_text("succeeded")
        expect(page.locator("table.params")).to_contain_text("0.3")
        logs = page.locator('details.logs[data-step="report_accuracy"]')
        logs.locator("summary").click()
        expect(logs.locator("pre")).to_contain_text("Model accuracy on test set")
        save(page, tmp_path, "iris-run")

        page.goto(f"{url}/runs")
        expect(page.locator("table.runs tbody tr")).to_have_count(1)
        expect(page.locator("table.runs")).to_contain_text("succeeded")
        save(page, tmp_path, "runs")


def test_a_failed_run_shows_its_error_and_a_wrong_param_is_refused_in_place(
    page: Page, failing_project: Path, tmp_path: Path
) -> None:
    with pipeflow_ui(failing_project, cwd=failing_project.parent) as url:
        page.goto(f"{url}/pipelines/breaks/run")
        page.fill('input[name="param:count"]', "many")
        page.click("#start")
        field = page.locator(".field.invalid")
        expect(field).to_have_count(1)
        expect(field.locator("input")).to_have_value("many")
        expect(field.locator(".field-error")).to_contain_text("is an int (3) in the defaults")
        assert "/pipelines/breaks/run" in page.url
        assert not (failing_project.parent / ".pipeflow").exists()  # no run started
        save(page, tmp_path, "wrong-param")

        page.fill('input[name="param:count"]', "4")
        page.click("#start")
        page.wait_for_url(re.compile(r".*/runs/[0-9]{8}-"))
        expect(page.locator("#run-state")).to_have_text("failed", timeout=60_000)
        expect(page.locator('.graph svg g.step[data-step="explode"]')).to_have_attribute(
            "data-state", "failed"
        )
        expect(page.locator(".error").first).to_contain_text("cannot handle 4 values")
        save(page, tmp_path, "failed-run")


def test_a_cross_origin_request_to_start_a_run_is_refused(
    failing_project: Path, tmp_path: Path
) -> None:
    with pipeflow_ui(failing_project, cwd=failing_project.parent) as url:
        address = url.removeprefix("http://")
        connection = http.client.HTTPConnection(address, timeout=30)
        try:
            connection.request(
                "POST",
                "/pipelines/breaks/run",
                body="param:count=4",
                headers={
                    "Origin": "http://evil.example",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            answer = connection.getresponse()
            body = answer.read().decode()
        finally:
            connection.close()
        assert answer.status == 403
        assert "another origin" in body
        time.sleep(1)
        assert not (failing_project.parent / ".pipeflow").exists()  # nothing started


def test_a_page_of_another_site_cannot_frame_the_ui(
    page: Page, failing_project: Path, tmp_path: Path
) -> None:
    """Click-jacking: a page of another origin puts the Run form in a frame; Chromium must
    refuse to render it (X-Frame-Options and CSP frame-ancestors)."""
    with pipeflow_ui(failing_project, cwd=failing_project.parent) as url:
        form = f"{url}/pipelines/breaks/run"
        # Another origin on this machine (another port): a page of a public site would be
        # blocked by Chromium's private network rules before the headers are even read.
        (tmp_path / "prize.html").write_text(
            "<html><body><h1>Win a prize</h1>"
            f'<iframe src="{form}" width="800" height="600"></iframe></body></html>'
        )
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        evil = f"http://127.0.0.1:{server.server_address[1]}/prize.html"
        try:
            page.goto(evil)
            page.wait_for_timeout(1500)
        finally:
            server.shutdown()
            server.server_close()
        frames = [frame for frame in page.frames if frame is not page.main_frame]
        assert len(frames) == 1
        shown = frames[0]
        rendered = ""
        try:
            rendered = shown.evaluate("document.body ? document.body.innerText : ''")
        except Exception:  # an error page Playwright cannot read counts as not rendered
            rendered = ""
        assert "breaks" not in rendered
        assert shown.locator("form.run-form").count() == 0
        # The UI itself still renders the form when opened directly.
        page.goto(form)
        expect(page.locator("form.run-form")).to_be_visible()
