"""The Run form in headless Chromium: only the fields the user changed are sent, compared with
the value the form was rendered with, and multi-line strings reach the run exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.ui.test_browser import browser, page, pipeflow_ui  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

STEPS = """\
import json


def show(multi, flag, count, factor, padded, note):
    values = dict(multi=multi, flag=flag, count=count, factor=factor, padded=padded, note=note)
    with open("received.json", "w", encoding="utf-8") as file:
        json.dump(values, file)
    return 1
"""

CONFIG = """\
name: formbug
params:
  multi: "line1\\nline2"
  flag: false
  count: 5
  factor: 1.5
  padded: "  spaced  "
  note: "first\\n\\n  indented # not a comment\\r\\nlast\\n"
results: {root: out}
steps:
  show:
    run: steps_form.show
    cache: false
    inputs:
      multi: "${params.multi}"
      flag: "${params.flag}"
      count: "${params.count}"
      factor: "${params.factor}"
      padded: "${params.padded}"
      note: "${params.note}"
"""


def _project(tmp_path: Path) -> Path:
    folder = tmp_path / "formbug"
    folder.mkdir()
    (folder / "steps_form.py").write_text(STEPS, encoding="utf-8")
    (folder / "pipeline.yaml").write_text(CONFIG, encoding="utf-8")
    return folder


def _received(shown: Page, folder: Path) -> dict[str, object]:
    shown.wait_for_url(re.compile(r".*/runs/[0-9]{8}-"))
    expect(shown.locator("#run-state")).to_have_text("succeeded", timeout=60_000)
    return json.loads((folder / "received.json").read_text(encoding="utf-8"))


def test_untouched_fields_are_not_sent_and_multi_line_strings_stay_exact(
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = _project(tmp_path)
    config = folder / "pipeline.yaml"
    with pipeflow_ui(config, cwd=folder) as url:
        page.goto(f"{url}/pipelines/formbug/run")
        # Someone edits the config's defaults while the form is open.
        config.write_text(
            CONFIG.replace("count: 5", "count: 7").replace("factor: 1.5", "factor: 2.5"),
            encoding="utf-8",
        )
        page.fill('[name="param:flag"]', "true")  # the only field the user changes
        page.click("#start")
        received = _received(page, folder)
    assert received == {
        "multi": "line1\nline2",
        "flag": True,
        "count": 7,  # the default now: nobody chose 5
        "factor": 2.5,
        "padded": "  spaced  ",
        "note": "first\n\n  indented # not a comment\r\nlast\n",
    }


def test_a_changed_multi_line_string_is_sent_as_typed(
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = _project(tmp_path)
    with pipeflow_ui(folder / "pipeline.yaml", cwd=folder) as url:
        page.goto(f"{url}/pipelines/formbug/run")
        typed = "a # b\n\n  c: d\n- e\n"
        page.fill('[name="param:multi"]', typed)
        page.fill('[name="param:count"]', "6")
        page.fill('[name="param:count"]', "5")  # changed back: not sent
        page.click("#start")
        received = _received(page, folder)
    assert received["multi"] == typed
    assert received["count"] == 5
    assert received["note"] == "first\n\n  indented # not a comment\r\nlast\n"


def test_a_refused_form_keeps_the_changed_fields_changed(
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    """After a 422, the form is rendered with what the user typed: those fields still count
    as changed against the defaults, not against the re-rendered values."""
    folder = _project(tmp_path)
    with pipeflow_ui(folder / "pipeline.yaml", cwd=folder) as url:
        page.goto(f"{url}/pipelines/formbug/run")
        page.fill('[name="param:factor"]', "3.5")
        page.fill('[name="param:count"]', "many")
        page.click("#start")
        expect(page.locator(".field.invalid")).to_have_count(1)
        page.fill('[name="param:count"]', "9")
        page.click("#start")
        received = _received(page, folder)
    assert received["factor"] == 3.5
    assert received["count"] == 9
    assert received["multi"] == "line1\nline2"
