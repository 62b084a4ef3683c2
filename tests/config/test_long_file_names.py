"""A `reads:` or `writes:` entry holding a file or folder name longer than a disk takes (255
bytes), written out or made from a param or a `foreach` item, is a problem of the config
(exit 2, nothing run), as such a `result.target` is. Before, `validate` passed it; `run` then
ended in an OSError traceback ("File name too long") for a read, and failed the step with
that OSError for a write. A read made from items known only during the run fails its step
with the same words, never the run with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

STEPS = """\
def one(**inputs):
    return 1


def names():
    return ["b" * 300]
"""
LONG = "b" * 300

# case -> (YAML step lines, TOML step lines, the field)
CASES = {
    "read file": ("reads: [data/LONG.csv]", 'reads = ["data/LONG.csv"]', "reads"),
    "read folder": ("reads: [data/LONG/]", 'reads = ["data/LONG/"]', "reads"),
    "read glob": ('reads: ["data/LONG/*.csv"]', 'reads = ["data/LONG/*.csv"]', "reads"),
    "read param": ('reads: ["data/${params.name}"]', 'reads = ["data/${params.name}"]', "reads"),
    "read item": (
        'foreach: ["${params.name}"]\n    reads: ["data/${item}"]',
        'foreach = ["${params.name}"]\nreads = ["data/${item}"]',
        "reads",
    ),
    "write file": ("writes: [data/LONG.csv]", 'writes = ["data/LONG.csv"]', "writes"),
    "write folder": ("writes: [LONG/]", 'writes = ["LONG/"]', "writes"),
    "write param": (
        'writes: ["data/${params.name}"]',
        'writes = ["data/${params.name}"]',
        "writes",
    ),
}


def _config(tmp_path: Path, case: str, kind: str) -> Path:
    (tmp_path / "long_steps.py").write_text(STEPS, encoding="utf-8")
    yaml, toml, _ = CASES[case]
    if kind == "yaml":
        text = (
            f"name: long\nresults: {{root: out}}\nparams: {{name: {LONG}}}\n"
            f"steps:\n  a:\n    run: long_steps.one\n    {yaml}\n"
        )
    else:
        text = (
            f'name = "long"\nresults = {{root = "out"}}\n[params]\nname = "{LONG}"\n'
            f'[steps.a]\nrun = "long_steps.one"\n{toml}\n'
        )
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(text.replace("LONG", LONG), encoding="utf-8")
    return config


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_name_longer_than_a_disk_takes_is_a_problem_of_the_config(
    tmp_path: Path, case: str, kind: str
) -> None:
    config = _config(tmp_path, case, kind)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    problems = raised.value.problems
    field = CASES[case][2]
    assert len(problems) == 1, raised.value.format()
    assert problems[0].path.startswith(f"steps.a.{field}"), raised.value.format()
    assert f"`{field}` names " in problems[0].message
    assert "bytes, longer than the 255 a disk takes" in problems[0].message
    assert problems[0].line is not None


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_commands_say_so_without_a_traceback(tmp_path: Path, case: str, command: str) -> None:
    config = _config(tmp_path, case, "yaml")
    done = pipeflow_in(tmp_path, command, config.name)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "longer than the 255 a disk takes" in done.stderr
    assert "Traceback" not in done.stderr
    assert "1 problem found; nothing was run." in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_read_made_from_items_known_during_the_run_fails_its_step_in_words(
    tmp_path: Path,
) -> None:
    (tmp_path / "long_steps.py").write_text(STEPS, encoding="utf-8")
    (tmp_path / "data").mkdir()  # the OS looks the long name up in it
    (tmp_path / "pipeline.yaml").write_text(
        "name: long\nresults: {root: out}\nsteps:\n"
        "  names: {run: long_steps.names}\n"
        '  a: {run: long_steps.one, foreach: "${steps.names}", reads: ["data/${item}"]}\n',
        encoding="utf-8",
    )
    done = pipeflow_in(tmp_path, "run", "pipeline.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"`reads` names data/{LONG[:20]}" in done.stdout
    assert "which the disk cannot look up (File name too long)" in done.stdout
