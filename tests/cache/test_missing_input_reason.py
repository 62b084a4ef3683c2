"""A file a step's result was made from that is gone, while its config still names it, is said
to be missing: "input file data/x.csv is missing". Before, it read "it no longer reads
data/x.csv", the words for an input the config dropped."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = """
import pathlib


def load(path):
    target = pathlib.Path(path)
    return sorted(p.name for p in target.iterdir()) if target.is_dir() else target.read_text()


def declared():
    return (pathlib.Path(__file__).parent / "data" / "x.csv").read_text()
"""

# Each way a step names a file: a path input, a folder input, a `reads:` entry.
NAMED = {
    "a path input": ("{run: steps.load, inputs: {path: data/x.csv}}", "data/x.csv"),
    "a folder input": ("{run: steps.load, inputs: {path: data/folder}}", "data/folder"),
    "a declared read": ("{run: steps.declared, reads: [data/x.csv]}", "data/x.csv"),
}


def project(tmp_path: Path, step: str) -> Path:
    (tmp_path / "steps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "data" / "folder").mkdir(parents=True)
    (tmp_path / "data" / "x.csv").write_text("hello\n")
    (tmp_path / "data" / "folder" / "a.txt").write_text("a\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text(f"name: miss\nsteps:\n  load: {step}\n")
    assert pipeflow.load(config).run().ok
    return config


def remove(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    else:
        path.unlink()


@pytest.mark.parametrize("named", NAMED)
def test_a_deleted_input_is_said_missing_on_every_channel(tmp_path: Path, named: str) -> None:
    step, file = NAMED[named]
    config = project(tmp_path, step)
    remove(tmp_path / file)
    said = f"input file {file} is missing"

    assert {d.step: d.reason for d in pipeflow.load(config).status()} == {"load": said}
    shown = CliRunner().invoke(cli, ["status", str(config)])
    assert said in shown.output
    refused = CliRunner().invoke(cli, ["run", str(config), "--frozen"])
    assert refused.exit_code == 3
    assert f"load: {said}" in refused.output


def test_an_input_the_config_no_longer_names_is_no_longer_read(tmp_path: Path) -> None:
    config = project(tmp_path, NAMED["a path input"][0])
    (tmp_path / "data" / "y.csv").write_text("other\n")
    config.write_text(config.read_text().replace("data/x.csv", "data/y.csv"))

    why = {d.step: d.reason for d in pipeflow.load(config).status()}["load"]

    assert "it no longer reads data/x.csv" in why
    assert "missing" not in why
