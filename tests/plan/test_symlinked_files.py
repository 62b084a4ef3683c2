"""A read and a write that meet through a symlink in the project (`current -> data`).

A reader whose path reaches a writer's declared file through a symlinked folder, or a writer
that writes through one, runs after the writer and is keyed on what it wrote this run (or
what its restore puts back), never on the file an earlier run left."""

from __future__ import annotations

import os

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
import glob
from pathlib import Path

def write(out, v):
    Path(out).write_text(str(v))

def read(src):
    return Path(src).read_text()

def read_glob(pattern):
    return "".join(Path(p).read_text() for p in sorted(glob.glob(pattern)))
"""

CONFIG = """
name: linked
params: {v: 1}
results: {root: out}
executor: {type: %s}
steps:
  w: {run: steps.write, inputs: {out: %s, v: "${params.v}"}, writes: [%s]}
  r: %s
"""

CASES = {  # (where the writer writes, how the reader reads)
    "reader through the link": ("data/x.txt", "{run: steps.read, inputs: {src: current/x.txt}}"),
    "reader declares reads through the link": (
        "data/x.txt",
        "{run: steps.read, inputs: {src: current/x.txt}, reads: [current/x.txt]}",
    ),
    "reader globs through the link": (
        "data/x.txt",
        "{run: steps.read_glob, inputs: {pattern: current/*.txt}}",
    ),
    "writer through the link": ("current/x.txt", "{run: steps.read, inputs: {src: data/x.txt}}"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_reader_through_a_symlink_follows_the_writer(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, executor: str, case: str
) -> None:
    written, reader = CASES[case]
    config = make_project(CONFIG % (executor, written, written, reader), steps=STEPS)
    monkeypatch.chdir(config.parent)
    (config.parent / "data").mkdir()
    os.symlink("data", config.parent / "current")
    for v in (1, 2, 1, 3, 3):  # back to 1: the writer's file is restored
        run = pipeflow.load(config).run(params={"v": v})
        assert run.ok, run.outcomes
        assert run.output("r") == str(v)
