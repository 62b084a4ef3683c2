"""The run page shows each step's `description:` under its name and in the graph's tooltip,
escaped; a sub-pipeline's steps show their own."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET

import pipeflow
from tests.conftest import ProjectFactory
from tests.ui.conftest import ClientFactory

SVG = "{http://www.w3.org/2000/svg}"
DESCRIPTION = 'Loads "the" <script>alert(1)</script> & &amp; data\nsecond line: ünï ✓ 日本'
STEPS = "def one():\n    return 1\n"


def test_the_run_page_shows_each_steps_description_escaped(
    make_client: ClientFactory, make_project: ProjectFactory
) -> None:
    make_project(
        "name: child\nsteps:\n  fit: {run: childsteps.one, description: 'The child <fits>'}\n",
        name="child.yaml",
        childsteps=STEPS,
    )
    config = make_project(
        "name: described\n"
        "steps:\n"
        f"  load: {{run: mysteps.one, description: {json.dumps(DESCRIPTION)}}}\n"
        "  plain: {run: mysteps.one}\n"
        "  sub: {pipeline: child.yaml}\n",
        mysteps=STEPS,
    )
    result = pipeflow.load(config).run()
    assert result.ok
    page = make_client({"described": config}).get(f"/runs/{result.id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text

    shown = {
        step: html.unescape(text)
        for step, text in re.findall(
            r'data-step="([^"]+)"[^>]*>\s*<td class="name">[^<]*'
            r'<div class="description">([^<]*)</div>',
            page.text,
        )
    }
    assert shown == {"load": DESCRIPTION, "sub/fit": "The child <fits>"}

    graph = re.search(r"<svg.*</svg>", page.text, re.DOTALL)
    assert graph is not None
    tooltips = {
        group.get("data-step"): "".join(title.itertext())
        for group in ET.fromstring(graph.group(0)).iter(f"{SVG}g")
        if (title := group.find(f"{SVG}title")) is not None and group.get("data-step")
    }
    assert tooltips["load"].startswith(f"load\n{DESCRIPTION}\ndone")
    assert tooltips["sub/fit"].startswith("sub/fit\nThe child <fits>\ndone")
    assert tooltips["plain"].startswith("plain\ndone")
