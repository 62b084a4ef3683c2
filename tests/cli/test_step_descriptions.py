"""A step's `description:` is shown by `status` (text and JSON), `run --dry-run` and every
`graph` format, escaped for each, and a sub-pipeline's steps keep their own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory

SVG = "{http://www.w3.org/2000/svg}"
# Quotes, markup, an entity-like text, a backslash, a dot escape, a newline, a terminal
# escape and text beyond ASCII: each format must keep them text.
DESCRIPTION = (
    'Loads "the" <data> & &amp; #35; `x` \\n back\\slash\nsecond \x1b[31m line: ünï ✓ 日本'
)
ONE_LINE = DESCRIPTION.replace("\n", " ").replace("\x1b", "\ufffd")
CHILD_DESCRIPTION = "The child's own: fits <the> model"

STEPS = """
def load():
    return 1


def fit(x):
    return x + 1
"""

CHILD = """
name: child
results: {root: child_out}
steps:
  fit:
    run: childsteps.fit
    inputs: {x: 1}
    description: "The child's own: fits <the> model"
"""


@pytest.fixture(autouse=True)
def _no_pipeflow_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    make_project(CHILD, name="child.yaml", childsteps=STEPS)
    parent = f"""
name: described
results: {{root: out}}
steps:
  load:
    run: mysteps.load
    description: {json.dumps(DESCRIPTION)}
  fit:
    run: mysteps.fit
    inputs: {{x: "${{steps.load}}"}}
  sub:
    pipeline: child.yaml
    description: the sub-pipeline step itself
    after: [fit]
"""
    return make_project(parent, mysteps=STEPS)


def pipeflow(*args: str | Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_status_shows_each_description_on_a_line_under_its_step(config: Path) -> None:
    lines = pipeflow("status", config).splitlines()
    assert lines[0].split()[:2] == ["load", "run"]
    assert lines[1] == f"  {ONE_LINE}"  # one line, the terminal escape defused
    assert lines[2].split()[:2] == ["fit", "run"]  # no description: no line
    assert lines[3].split()[:2] == ["sub/fit", "run"]
    assert lines[4] == f"  {CHILD_DESCRIPTION}"
    assert len(lines) == 5
    assert "\x1b" not in "\n".join(lines)


def test_status_json_has_each_steps_description_as_written(config: Path) -> None:
    steps = json.loads(pipeflow("status", config, "--json"))["steps"]
    assert {step["step"]: step["description"] for step in steps} == {
        "load": DESCRIPTION,
        "fit": None,
        "sub/fit": CHILD_DESCRIPTION,
    }


def test_ascii_graph_has_the_description_after_the_step(config: Path) -> None:
    lines = pipeflow("graph", config).splitlines()
    [load] = [line for line in lines if line.startswith("load")]
    assert load.endswith(f"  # {ONE_LINE}")
    [child] = [line for line in lines if line.strip().startswith("sub/fit")]
    assert child.endswith(f"  # {CHILD_DESCRIPTION}")
    [fit] = [line for line in lines if line.strip().startswith("fit")]
    assert "#" not in fit
    assert len(lines) == 3


def _mermaid_label(text: str) -> str:
    """What Mermaid shows for a quoted label: `#NUMBER;` as its character."""
    for special in '"<>&`':
        assert special not in text.replace("<br/>", ""), text
    return re.sub(r"#(\d+);", lambda match: chr(int(match.group(1))), text)


def test_mermaid_has_the_description_as_an_escaped_second_line(config: Path) -> None:
    drawn = pipeflow("graph", config, "--format", "mermaid")
    labels = dict(re.findall(r'^    (\w+)\["(.*)"\]$', drawn, re.MULTILINE))
    assert set(labels) == {"load", "fit", "sub_fit"}
    assert labels["fit"] == "fit"
    name, shown = labels["load"].split("<br/>")
    assert (name, _mermaid_label(shown)) == ("load", ONE_LINE)
    name, shown = labels["sub_fit"].split("<br/>")
    assert (name, _mermaid_label(shown)) == ("sub/fit", CHILD_DESCRIPTION)


def _dot_string(text: str) -> str:
    """A dot quoted string's content as Graphviz reads it (`\\n` a line break)."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        assert char != '"', f"an unescaped quote in {text!r}"
        if char == "\\":
            index += 1
            char = "\n" if text[index] == "n" else text[index]
        out.append(char)
        index += 1
    return "".join(out).replace("&amp;", "&")


def test_dot_has_the_description_in_the_label_and_the_tooltip(config: Path) -> None:
    drawn = pipeflow("graph", config, "--format", "dot")
    quoted = r'"((?:[^"\\]|\\.)*)"'
    nodes = {
        name: (_dot_string(label), _dot_string(tooltip))
        for name, label, tooltip in re.findall(
            rf"^    {quoted} \[label={quoted}, tooltip={quoted}\];$", drawn, re.MULTILINE
        )
    }
    assert nodes == {
        "load": (f"load\n{ONE_LINE}", ONE_LINE.replace(" second ", "\nsecond ", 1)),
        "sub/fit": (f"sub/fit\n{CHILD_DESCRIPTION}", CHILD_DESCRIPTION),
    }
    assert '    "fit";' in drawn.splitlines()


def _steps_of(svg_text: str) -> dict[str, tuple[str, str]]:
    """Per step: its tooltip, and the second line of its box."""
    found = {}
    for group in ET.fromstring(svg_text).iter(f"{SVG}g"):
        if "step" in group.get("class", "").split():
            title = group.find(f"{SVG}title")
            assert title is not None
            details = [t for t in group.iter(f"{SVG}text") if t.get("class") == "detail"]
            second = "".join(details[0].itertext()) if details else ""
            found[group.get("data-step", "")] = ("".join(title.itertext()), second)
    return found


def test_svg_has_the_description_in_the_tooltip_and_the_box(config: Path, tmp_path: Path) -> None:
    steps = _steps_of(pipeflow("graph", config, "--format", "svg"))
    tooltip = ONE_LINE.replace(" second ", "\nsecond ", 1)
    assert steps == {
        "load": (f"load\n{tooltip}", ONE_LINE[:39] + "\u2026"),
        "fit": ("fit", ""),
        "sub/fit": (f"sub/fit\n{CHILD_DESCRIPTION}", CHILD_DESCRIPTION),
    }
    # Coloured by a run, the second line is the state's; the tooltip still has the description.
    pipeflow("run", config)
    coloured = _steps_of(pipeflow("graph", config, "--format", "svg", "--run", "last"))
    assert coloured["load"][0].startswith(f"load\n{tooltip}\ndone\n")
    assert coloured["load"][1].endswith("s")
    assert coloured["sub/fit"][0].startswith(f"sub/fit\n{CHILD_DESCRIPTION}\ndone\n")


def test_png_draws_the_description_in_the_box(config: Path, tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    from PIL import Image

    def drawn(text: str) -> Image.Image:
        config.write_text(
            config.read_text(encoding="utf-8").replace(json.dumps(DESCRIPTION), json.dumps(text)),
            encoding="utf-8",
        )
        out = tmp_path / "graph.png"
        pipeflow("graph", config, "--format", "png", "-o", out)
        with Image.open(out) as image:
            return image.convert("RGB")

    first, other = drawn(DESCRIPTION), drawn("Something else entirely, same length....")
    assert first.size[1] == other.size[1]  # two-line boxes both times
    assert first.tobytes() != other.tobytes()  # the box shows which description


def test_a_toml_config_and_a_foreach_step_show_theirs(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name = "toml"
        [results]
        root = "out"
        [steps.each]
        run = "mysteps.fit"
        foreach = [1, 2]
        as = "x"
        description = \"\"\"Adds one
        to "each" <item>\"\"\"
        """,
        name="pipeline.toml",
        mysteps=STEPS,
    )
    [step] = json.loads(pipeflow("status", config, "--json"))["steps"]
    assert step["description"] == 'Adds one\nto "each" <item>'
    assert pipeflow("status", config).splitlines()[1] == '  Adds one to "each" <item>'
    assert pipeflow("graph", config) == 'each  # Adds one to "each" <item>\n'


def test_run_dry_run_shows_each_description_as_status_does(config: Path) -> None:
    drawn = pipeflow("run", config, "--dry-run").splitlines()
    assert drawn[0] == "plan for pipeline `described` (nothing is run):"
    assert drawn[1:] == pipeflow("status", config).splitlines()
    assert drawn[2] == f"  {ONE_LINE}"  # one line, the terminal escape defused
    assert drawn[5] == f"  {CHILD_DESCRIPTION}"
    assert "\x1b" not in "\n".join(drawn)
    assert not (config.parent / "out").exists()  # nothing run, nothing stored
    # With a selection too, every step keeps its description, whatever its decision.
    selected = pipeflow("run", config, "--dry-run", "--until", "fit").splitlines()
    assert selected[1:] == pipeflow("status", config, "--until", "fit").splitlines()
    assert selected[4:] == ["sub/fit  skipped  not selected", f"  {CHILD_DESCRIPTION}"]
