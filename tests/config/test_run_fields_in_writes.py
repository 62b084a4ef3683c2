"""A `writes:` entry made from `${run.id}` or `${run.date}` is refused saying why: those are
known only as the run starts, and the paths a step writes must be known before it (each run
would write a path no later run could restore). Before, the problem read "`writes` names
files or folders, not a pattern: data/*.txt", about a pattern the user never wrote. In YAML
and TOML, at `validate`, at `run` and from `pipeflow.load`. `reads:` may still use them."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

STEPS = "def one():\n    return 1\n"


def _config(tmp_path: Path, kind: str, entry: str, field: str = "writes") -> Path:
    (tmp_path / "run_steps.py").write_text(STEPS, encoding="utf-8")
    if kind == "yaml":
        text = (
            "name: w\nresults: {root: out}\nsteps:\n"
            f'  a: {{run: run_steps.one, {field}: ["{entry}"]}}\n'
        )
    else:
        text = (
            'name = "w"\nresults = {root = "out"}\n[steps.a]\nrun = "run_steps.one"\n'
            f'{field} = ["{entry}"]\n'
        )
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


ENTRIES = ["data/${run.id}.txt", "data/${run.date}/", "models/${run.id}/model.pkl"]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_write_made_from_the_run_is_refused_saying_why(
    tmp_path: Path, kind: str, entry: str
) -> None:
    config = _config(tmp_path, kind, entry)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    problems = raised.value.problems
    assert len(problems) == 1, raised.value.format()
    message = problems[0].message
    assert f"`writes` names {entry}, made from `${{run." in message, message
    assert "known only as the run starts" in message, message
    assert "not a pattern" not in message, message
    assert problems[0].path == "steps.a.writes[0]"
    for command in ("validate", "run"):
        done = pipeflow_in(tmp_path, command, config.name)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "known only as the run starts" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_read_made_from_the_run_stays_allowed(tmp_path: Path) -> None:
    config = _config(tmp_path, "yaml", "data/${run.id}.txt", field="reads")
    pipeflow.load(config)
