"""The UI shows a run's params, a schedule's params and a step's error as a reader reads them
in `runs show`: `"<b>x</b> & y"`, escaped by the page (so no `<b>` of a value is ever markup).
Before, param values went through Jinja's `tojson`, and a page showed
`"\\u003cb\\u003ex\\u003c/b\\u003e \\u0026 y"`."""

from __future__ import annotations

import html
import json
import re
import time

import pipeflow
from tests.conftest import ProjectFactory
from tests.ui.conftest import ClientFactory

MARKUP = "<b>x</b> & y 'q' é"

CONFIG = """\
name: shown
params:
  p: "<b>x</b> & y 'q' é"
  nested: {tags: ["<i>", "a&b"], "<k>": 1}
schedules:
  - interval: 1h
    params: {p: "<s>sched</s> & 'z'"}
steps:
  a: {run: shown_steps.f, inputs: {p: "${params.p}"}}
"""

STEPS = """\
def f(p):
    raise ValueError(f"bad <u>value</u> & {p}")
"""


def _cells(page: str, css_class: str) -> list[str]:
    """The text a reader sees in each `<code>` of the element with this class."""
    block = re.search(rf'class="{css_class}">(.*?)</(table|p)>', page, re.S)
    assert block is not None, page
    return [html.unescape(code) for code in re.findall(r"<code>(.*?)</code>", block.group(1))]


def test_values_are_shown_as_text_escaped_by_the_page(
    make_project: ProjectFactory, make_client: ClientFactory
) -> None:
    config = make_project(CONFIG, shown_steps=STEPS)
    result = pipeflow.load(config).run()
    assert not result.ok
    client = make_client({"shown": config}, home=config.parent / ".pipeflow")
    page = client.get(f"/runs/{result.id}").text
    for raw in ("<b>", "<i>", "<k>", "<u>", "\\u003c", "\\u0026", "\\u0027", "\\u00e9"):
        assert raw not in page, raw
    assert _cells(page, "params") == [
        '{"<k>": 1, "tags": ["<i>", "a&b"]}',
        f'"{MARKUP}"',
    ]
    error = re.search(r"<pre>(ValueError.*?)</pre>", page, re.S)
    assert error is not None, page
    assert html.unescape(error.group(1)) == f"ValueError: bad <u>value</u> & {MARKUP}"

    schedules = client.get("/pipelines/shown").text
    assert "<s>" not in schedules
    assert "\\u003c" not in schedules
    found = re.search(r"params: <code>(.*?)</code>", schedules)
    assert found is not None, schedules
    assert html.unescape(found.group(1)) == '{"p": "<s>sched</s> & \'z\'"}'


DATED = """\
name: dated
params:
  d: 2024-01-01
  dt: 2024-01-01T10:00:00
  b: !!binary aGVsbG8=
schedules:
  - interval: 1h
    params: {d: 2024-05-01, dt: 2024-05-01T10:00:00}
steps:
  a: {run: dated_steps.f, inputs: {d: "${params.d}"}}
"""


def test_dates_and_bytes_are_shown_in_their_json_form(
    make_project: ProjectFactory, make_client: ClientFactory
) -> None:
    """A run's and a schedule's params show a date, a datetime and bytes as `runs show` and
    the manifests do (ISO text, base64), and the Run form shows a date so that `--param`
    reads it back as a date: an edited date starts a run, not a type error."""
    config = make_project(DATED, dated_steps="def f(d):\n    return str(d)\n")
    result = pipeflow.load(config).run()
    assert result.ok
    client = make_client({"dated": config}, home=config.parent / ".pipeflow")
    page = client.get(f"/runs/{result.id}").text
    assert _cells(page, "params") == ['"aGVsbG8="', '"2024-01-01"', '"2024-01-01T10:00:00"']
    schedules = client.get("/pipelines/dated").text
    found = re.search(r"params: <code>(.*?)</code>", schedules)
    assert found is not None, schedules
    assert html.unescape(found.group(1)) == '{"d": "2024-05-01", "dt": "2024-05-01T10:00:00"}'
    form = client.get("/pipelines/dated/run").text
    assert 'value="2024-01-01"' in form
    assert 'value="2024-01-01T10:00:00"' in form
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None, form
    answer = client.post(
        "/pipelines/dated/run",
        data={"csrf": token.group(1), "param:d": "2024-02-01", "param:dt": "2024-01-01T10:00:00"},
        headers={"Origin": "http://127.0.0.1:8080"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


DOLLARS = """\
name: dollars
params:
  tag: "nightly-${run.id}"
  lit: "$${x}"
  names: ["$${y}", b]
steps:
  a:
    run: dollar_steps.f
    inputs: {tag: "${params.tag}", lit: "${params.lit}", names: "${params.names}"}
"""

DOLLAR_STEPS = """\
import json
from pathlib import Path


def f(tag, lit, names):
    written = Path(__file__).with_name("given.tmp")
    written.write_text(json.dumps([tag, lit, names]))
    written.replace(written.with_name("given.json"))
"""


def test_the_run_form_shows_text_with_dollar_braces_as_run_reads_it_back(
    make_project: ProjectFactory, make_client: ClientFactory
) -> None:
    """A default the run fills in (`${run.id}`) shows as its text, not as the object it is
    until then; a text holding `${` shows as `--param` reads it back (`$${x}`, since a
    `${` given to a run is refused), so an edited field starts a run with what it shows."""
    config = make_project(DOLLARS, dollar_steps=DOLLAR_STEPS)
    client = make_client({"dollars": config}, home=config.parent / ".pipeflow")
    form = client.get("/pipelines/dollars/run").text
    assert 'name="param:tag" value="nightly-${run.id}"' in form
    assert "Template" not in form
    assert 'name="param:lit" value="$${x}"' in form
    assert 'name="param:names" value="["$${y}", "b"]"' in html.unescape(form)
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None, form
    answer = client.post(
        "/pipelines/dollars/run",
        data={
            "csrf": token.group(1),
            "param:tag": "nightly-${run.id}",
            "param:lit": "$${z}",
            "param:names": '["$${y}", "c"]',
        },
        headers={"Origin": "http://127.0.0.1:8080"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    given = config.parent / "given.json"
    deadline = time.monotonic() + 60
    while not given.exists():
        assert time.monotonic() < deadline, "the run did not start within 60 s"
        time.sleep(0.2)
    tag, lit, names = json.loads(given.read_text())
    assert tag.startswith("nightly-2")  # the run's id
    assert [lit, names] == ["${z}", ["${y}", "c"]]
