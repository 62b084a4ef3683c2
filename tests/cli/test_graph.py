"""`pipeflow graph --format svg|png [--run ID]`: pictures of the graph, coloured by a real run."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.history import open_history
from tests.conftest import REPO, ProjectFactory

SVG = "{http://www.w3.org/2000/svg}"
IRIS_STEPS = [
    "load_data",
    "get_classes",
    "encode_categorical_columns",
    "split_data",
    "train_model",
    "predict",
    "report_accuracy",
]


@pytest.fixture(autouse=True)
def _no_pipeflow_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def states_in(svg_text: str) -> dict[str, str | None]:
    root = ET.fromstring(svg_text)
    return {
        group.get("data-step", ""): group.get("data-state")
        for group in root.iter(f"{SVG}g")
        if "step" in group.get("class", "").split()
    }


def details_in(svg_text: str) -> dict[str, str]:
    root = ET.fromstring(svg_text)
    found = {}
    for group in root.iter(f"{SVG}g"):
        for text in group.iter(f"{SVG}text"):
            if text.get("class") == "detail":
                found[group.get("data-step", "")] = "".join(text.itertext())
    return found


def test_svg_of_a_real_iris_run_shows_each_steps_state(iris_project: Path) -> None:
    config = str(iris_project / "pipeline.yaml")
    code, output = invoke("graph", config, "--format", "svg")
    assert code == 0, output
    assert states_in(output) == dict.fromkeys(IRIS_STEPS)  # no run: no states

    params = str(iris_project / "params" / "params.json")
    code, output = invoke("run", config, "--param-file", params)
    assert code == 0, output
    code, output = invoke("run", config, "--param-file", params)
    assert code == 0, output
    with open_history(iris_project) as history:
        second, first = (record.id for record in history.runs())

    code, output = invoke("graph", config, "--run", first, "--format", "svg")
    assert code == 0, output
    assert states_in(output) == dict.fromkeys(IRIS_STEPS, "done")
    assert all(detail.endswith("s") for detail in details_in(output).values())
    root = ET.fromstring(output)
    edges = [p for p in root.iter(f"{SVG}path") if "edge" in p.get("class", "").split()]
    assert len(edges) == 9
    assert first in "".join(root.itertext())  # the title names the run

    code, output = invoke("graph", config, "--run", "last", "--format", "svg")
    assert code == 0, output
    assert states_in(output) == dict.fromkeys(IRIS_STEPS, "cached")
    assert set(details_in(output).values()) == {"cached"}
    assert second in output

    picture = iris_project / "run.png"
    code, output = invoke(
        "graph", config, "--run", first[:-2], "--format", "png", "-o", str(picture)
    )
    assert code == 0, output
    from PIL import Image

    with Image.open(picture) as image:
        assert image.format == "PNG"
        assert image.width > 500


FAILING = """
name: demo
results: {root: out}
steps:
  numbers: {run: mysteps.numbers, inputs: {count: 3}}
  boom: {run: mysteps.boom, inputs: {values: "${steps.numbers}"}}
  total: {run: mysteps.total, inputs: {values: "${steps.boom}"}}
  tidy: {run: mysteps.numbers, inputs: {count: 1}, after: [total]}
"""

STEPS = """
def numbers(count: int) -> list:
    return list(range(count))

def total(values: list) -> int:
    return sum(values)

def boom(values: list) -> int:
    raise ValueError("bad values")
"""


def test_a_failed_run_shows_the_failure_and_what_did_not_run(
    make_project: ProjectFactory,
) -> None:
    config = make_project(FAILING, mysteps=STEPS)
    code, _ = invoke("run", str(config))
    assert code == 1
    code, output = invoke("graph", str(config), "--run", "last", "--format", "svg")
    assert code == 0, output
    assert states_in(output) == {
        "numbers": "done",
        "boom": "failed",
        "total": "not-run",
        "tidy": "not-run",
    }
    root = ET.fromstring(output)
    dashed = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert [(p.get("data-from"), p.get("data-to")) for p in dashed] == [("total", "tidy")]
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    assert {"done", "failed", "not run"} <= set(legend.itertext())


def test_unknown_run_and_run_of_another_pipeline_are_usage_errors(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(FAILING, mysteps=STEPS)
    code, output = invoke("graph", str(config), "--run", "last", "--format", "svg")
    assert code == 2
    assert "no run of pipeline `demo`" in output
    assert "pipeflow run" in output

    other = tmp_path / "other.yaml"
    other.write_text(
        "name: other\nsteps:\n  numbers: {run: mysteps.numbers, inputs: {count: 2}}\n",
        encoding="utf-8",
    )
    code, output = invoke("run", str(other))
    assert code == 0, output
    with open_history(tmp_path) as history:
        (record,) = history.runs()
    code, output = invoke("graph", str(config), "--run", record.id, "--format", "svg")
    assert code == 2
    assert f"run {record.id} is a run of pipeline `other`, not of `demo`" in output
    assert "Traceback" not in output

    code, output = invoke(
        "graph", str(config), "--run", "20990101-000000-abcdef", "--format", "png"
    )
    assert code == 2
    assert "no run `20990101-000000-abcdef`" in output
    assert "pipeflow runs" in output


def test_run_needs_a_picture_format(make_project: ProjectFactory) -> None:
    config = make_project(FAILING, mysteps=STEPS)
    code, output = invoke("graph", str(config), "--run", "last")
    assert code == 2
    assert "--format svg" in output


def test_png_goes_to_a_file_or_a_pipe(make_project: ProjectFactory, tmp_path: Path) -> None:
    from PIL import Image

    config = make_project(FAILING, mysteps=STEPS)
    target = tmp_path / "graph.png"
    code, output = invoke("graph", str(config), "--format", "png", "-o", str(target))
    assert code == 0, output
    with Image.open(target) as image:
        size = image.size
    assert size[0] > 200
    piped = subprocess.run(
        [sys.executable, "-m", "pipeflow", "graph", str(config), "--format", "png"],
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert piped.returncode == 0, piped.stderr
    with Image.open(io.BytesIO(piped.stdout)) as image:
        assert image.size == size


def test_png_is_not_written_to_a_terminal(make_project: ProjectFactory) -> None:
    config = make_project(FAILING, mysteps=STEPS)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", "graph", str(config), "--format", "png"],
            stdout=follower,
            stderr=subprocess.PIPE,
            check=False,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert b"not written to a terminal" in done.stderr
    assert b"-o FILE" in done.stderr


MISSING_PILLOW = """
import sys
sys.modules["PIL"] = None  # what `import PIL` meets where Pillow is not installed
from pipeflow.cli import main
sys.argv = ["pipeflow", *sys.argv[1:]]
main()
"""


def test_png_without_pillow_says_what_to_install(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(FAILING, mysteps=STEPS)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MISSING_PILLOW,
            "graph",
            str(config),
            "--format",
            "png",
            "-o",
            str(tmp_path / "g.png"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 2, done.stderr
    assert "pip install 'pipeflow-runner[png]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "g.png").exists()


MERMAID_NAMES = ["a", "end", "End", "style", "class", "click", "subgraph", "graph", "o-x", "o_x"]


def test_mermaid_gives_every_step_a_node_of_its_own_that_mermaid_reads_as_a_node(
    make_project: ProjectFactory,
) -> None:
    """Step names Mermaid reads as its own words (`end`, `style`...) would not parse, and
    names that differ in a character Mermaid's ids lack (`o-x`, `o_x`) would share a node."""
    import re

    steps = "\n".join(
        f'  {name}: {{run: mysteps.f, inputs: {{x: "${{steps.a}}"}}}}' for name in MERMAID_NAMES[1:]
    )
    config = make_project(
        f"name: words\nresults: {{root: out}}\nsteps:\n  a: {{run: mysteps.f}}\n{steps}\n",
        mysteps="def f(x=None):\n    return 1\n",
    )
    code, drawn = invoke("graph", str(config), "--format", "mermaid")
    assert code == 0, drawn
    nodes = dict(re.findall(r'^    (\S+)\["(.*)"\]$', drawn, re.MULTILINE))
    assert sorted(nodes.values()) == sorted(MERMAID_NAMES)  # one node per step, labelled by name
    words = {"end", "style", "class", "click", "subgraph", "graph", "flowchart", "classdef"}
    for node in nodes:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", node), node
        assert node.lower() not in words, node
    step_of = nodes  # node id -> the step's name, its label
    arrows = re.findall(r"^    (\S+) --> (\S+)$", drawn, re.MULTILINE)
    assert sorted((step_of[a], step_of[b]) for a, b in arrows) == sorted(
        ("a", name) for name in MERMAID_NAMES[1:]
    )
    assert step_of["a"] == "a"  # its name where it can be
    assert step_of["o_x"] in ("o-x", "o_x")


TOML_FAILING = """
name = "demo"
results = {root = "out"}
[steps.numbers]
run = "mysteps.numbers"
inputs = {count = 3}
[steps.total]
run = "mysteps.total"
inputs = {values = "${steps.numbers}"}
"""

# What a file of each extension holds, and how to tell that it does.
KINDS = {
    "graph.svg": lambda data: data.lstrip().startswith(b"<svg") or b"<svg" in data[:200],
    "graph.png": lambda data: data.startswith(b"\x89PNG"),
    "graph.dot": lambda data: data.startswith(b"digraph"),
    "graph.gv": lambda data: data.startswith(b"digraph"),
    "graph.mmd": lambda data: data.startswith(b"flowchart") or b"flowchart" in data[:200],
}


@pytest.mark.parametrize("name", sorted(KINDS))
@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_without_format_the_extension_of_o_chooses_it(
    make_project: ProjectFactory, tmp_path: Path, name: str, spelling: str
) -> None:
    """Before, `-o graph.svg` (or `.png`, `.dot`) without --format wrote the ascii drawing
    into the file, and exited 0: a picture no viewer opens."""
    config = make_project(FAILING, mysteps=STEPS)
    if spelling == "toml":
        config = make_project(TOML_FAILING, name="pipeline.toml")
    target = tmp_path / name
    code, output = invoke("graph", str(config), "-o", str(target))
    assert code == 0, output
    assert KINDS[name](target.read_bytes()), target.read_bytes()[:80]


@pytest.mark.parametrize(
    ("output_format", "name"),
    [("dot", "graph.png"), ("ascii", "graph.svg"), ("svg", "graph.dot"), ("png", "graph.mmd")],
)
def test_a_format_the_extension_of_o_contradicts_is_a_usage_error(
    make_project: ProjectFactory, tmp_path: Path, output_format: str, name: str
) -> None:
    config = make_project(FAILING, mysteps=STEPS)
    target = tmp_path / name
    code, output = invoke("graph", str(config), "--format", output_format, "-o", str(target))
    assert code == 2, output
    assert f"-o {target}" in output
    assert "leave --format out" in output
    assert not target.exists()
    # A text format into a file of no known kind is written as asked.
    code, output = invoke(
        "graph", str(config), "--format", "mermaid", "-o", str(tmp_path / "g.txt")
    )
    assert code == 0, output
    assert (tmp_path / "g.txt").read_text().startswith("flowchart")
