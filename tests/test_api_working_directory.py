"""A `Pipeline` is the config it was loaded from, whatever folder the process is in later.

`load("pipeline.yaml")` takes paths relative to the current folder (the config, `param_files`,
`results`). Before, a method that loads the config again with more params (`run(params=...)`,
`plan(params=...)`, `status(...)`, `with_params(...)`) read those paths again from the folder
the process was in *then*: after an `os.chdir` (a notebook moving between projects) it ran
another project's `pipeline.yaml` of the same name, or failed on a params file it could not
find.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeflow

CONFIG = """
name: {name}
params: {{n: 1, word: x}}
results: {{root: out}}
steps:
  f: {{run: steps.m.f, inputs: {{n: "${{params.n}}", word: "${{params.word}}"}}}}
"""
TOML = """
name = "{name}"
params = {{n = 1, word = "x"}}
[results]
root = "out"
[steps.f]
run = "steps.m.f"
inputs = {{n = "${{params.n}}", word = "${{params.word}}"}}
"""


def _project(folder: Path, name: str, spelling: str) -> Path:
    (folder / "steps").mkdir(parents=True)
    (folder / "steps/__init__.py").write_text("", encoding="utf-8")
    (folder / "steps/m.py").write_text(
        f"def f(n, word):\n    return {name!r} + ':' + word * n\n", encoding="utf-8"
    )
    (folder / "params").mkdir()
    (folder / "params/p.json").write_text(f'{{"word": "{name[-1]}"}}', encoding="utf-8")
    config = folder / f"pipeline.{spelling}"
    text = CONFIG if spelling == "yaml" else TOML
    config.write_text(text.format(name=name), encoding="utf-8")
    return config


@pytest.fixture
def here() -> Iterator[None]:
    before = os.getcwd()
    yield
    os.chdir(before)


CALLS: dict[str, Callable[[Any], str]] = {
    "run(params=)": lambda pipe: pipe.run(params={"n": 2}, history=False).output("f"),
    "run(param_options=)": lambda pipe: pipe.run(param_options="n=2", history=False).output("f"),
    "with_params().run()": lambda pipe: pipe.with_params({"n": 2}).run(history=False).output("f"),
    "plan(params=)": lambda pipe: pipe.plan(params={"n": 1})[0].action.value,
    "status(params=)": lambda pipe: pipe.status(params={"n": 1})[0].action.value,
    "with_params().name": lambda pipe: pipe.with_params({"n": 2}).name,
}
EXPECTED = {
    "run(params=)": "projA:AA",
    "run(param_options=)": "projA:AA",
    "with_params().run()": "projA:AA",
    "plan(params=)": "cached",  # as run in A, before the change of folder
    "status(params=)": "cached",
    "with_params().name": "projA",
}


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_more_params_after_a_change_of_folder_keep_the_loaded_config(
    tmp_path: Path, here: None, spelling: str, call: str
) -> None:
    _project(tmp_path / "A", "projA", spelling)
    _project(tmp_path / "B", "projB", spelling)  # same file names, another pipeline
    os.chdir(tmp_path / "A")
    pipe = pipeflow.load(f"pipeline.{spelling}", param_files="params/p.json")
    assert pipe.run(history=False).output("f") == "projA:A"
    os.chdir(tmp_path / "B")
    assert CALLS[call](pipe) == EXPECTED[call]
    assert not (tmp_path / "B/out").exists()


def test_a_params_file_of_run_is_read_from_the_folder_it_was_named_in(
    tmp_path: Path, here: None
) -> None:
    _project(tmp_path / "A", "projA", "yaml")
    _project(tmp_path / "B", "projB", "yaml")
    os.chdir(tmp_path / "A")
    pipe = pipeflow.load("pipeline.yaml").with_params(param_files="params/p.json")
    os.chdir(tmp_path / "B")
    assert pipe.run(params={"n": 3}, history=False).output("f") == "projA:AAA"
    assert pipe.params["word"] == "A"
