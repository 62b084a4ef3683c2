"""File names as long as a disk takes: stored and restored; longer ones refused before the run.

A name up to 255 bytes (NAME_MAX) is legal, in a `target` and in what a step writes: pipeflow
stores it, and restores it when it is deleted, though it writes a temporary name beside it
first. A longer one (written out, made by a format width such as `{step:>300}`, by a param, in
bytes of UTF-8 rather than characters) is refused by `validate` (exit 2), or, known only
during the run (a `foreach` item), fails its step saying why; a format width that no path
could take (`{step:>100000000}`) is refused at once, never built. YAML and TOML alike.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def value():
    return {"a": 1}


def write(out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("written")


def names():
    return ["n" * 300]


def echo(name):
    return name
"""

LONGEST = "l" * 250 + ".json"  # 255 bytes: the longest name a disk takes


def _config(folder: Path, kind: str, target: str, *, name: str = "short") -> Path:
    (folder / "longsteps.py").write_text(STEPS)
    if kind == "yaml":
        text = (
            f'name: long\nparams: {{name: "{name}"}}\nresults: {{root: out}}\nsteps:\n'
            f'  a: {{run: longsteps.value, result: {{target: "{target}"}}}}\n'
        )
    else:
        text = (
            f'name = "long"\n[params]\nname = "{name}"\n[results]\nroot = "out"\n'
            f'[steps.a]\nrun = "longsteps.value"\nresult = {{target = "{target}"}}\n'
        )
    config = folder / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


TOO_LONG = [
    ("x" * 300 + ".json", {}, "305 bytes"),
    ("{step:>300}.json", {}, "305 bytes"),
    ("{params.name}.json", {"name": "p" * 300}, "305 bytes"),
    ("é" * 128 + ".json", {}, "261 bytes"),  # 133 characters, 261 bytes of UTF-8
    ("x" * 300 + "/a.json", {}, "300 bytes"),  # a folder's name
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("target", "params", "said"), TOO_LONG)
def test_a_name_longer_than_a_disk_takes_is_refused_before_the_run(
    tmp_path: Path, kind: str, target: str, params: dict[str, str], said: str
) -> None:
    config = _config(tmp_path, kind, target, **params)
    for command in ("validate", "run"):
        result = pipeflow_in(tmp_path, command, config.name)
        assert result.returncode == 2, (command, result.stdout + result.stderr)
        assert f"name of {said}" in result.stderr, result.stderr
        assert "longer than the 255 a disk takes" in result.stderr
        assert "steps.a.result.target" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("spec", [">100000000", "09999999999999999999999999", ".2000"])
def test_a_field_wider_than_any_path_is_refused_without_being_made(
    tmp_path: Path, kind: str, spec: str
) -> None:
    config = _config(tmp_path, kind, f"{{step:{spec}}}.json")
    started = time.monotonic()
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert time.monotonic() - started < 30  # not a name of 100 MB built and walked
    assert result.returncode == 2, result.stdout + result.stderr
    assert "a field may make 1024 at most" in result.stderr, result.stderr


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_digits_in_a_dates_spec_are_text_not_a_width(tmp_path: Path, kind: str) -> None:
    for target in ("{params.day:%Y-20000}.json", "{date:2026-20000}.json"):
        config = _config(tmp_path, kind, target)
        if kind == "toml":  # a date param, as TOML and YAML give one
            text = config.read_text().replace("[params]\n", "[params]\nday = 2026-12-06\n", 1)
        else:
            text = config.read_text().replace("params: {", "params: {day: 2026-12-06, ", 1)
        config.write_text(text)
        result = pipeflow_in(tmp_path, "run", config.name)
        assert result.returncode == 0, (target, result.stdout + result.stderr)
        assert "2026-20000.json" in [path.name for path in (tmp_path / "out").glob("*.json")]
        (tmp_path / "out" / "2026-20000.json").unlink(missing_ok=True)


def test_a_name_too_long_known_only_during_the_run_fails_its_step(tmp_path: Path) -> None:
    (tmp_path / "longsteps.py").write_text(STEPS)
    (tmp_path / "pipeline.yaml").write_text(
        "name: long\nresults: {root: out}\nsteps:\n  names: {run: longsteps.names}\n"
        '  each: {run: longsteps.echo, foreach: "${steps.names}", as: name, '
        'result: {target: "{name}.json"}}\n'
    )
    result = pipeflow_in(tmp_path, "run", "pipeline.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "longer than the 255 a disk takes" in result.stdout
    assert "reachable" not in result.stdout


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_the_longest_names_are_stored_and_restored(tmp_path: Path, executor: str) -> None:
    (tmp_path / "longsteps.py").write_text(STEPS)
    written = "data/" + LONGEST
    (tmp_path / "pipeline.yaml").write_text(
        f"name: long\nresults: {{root: out}}\nexecutor: {{type: {executor}}}\nsteps:\n"
        f'  a: {{run: longsteps.value, result: {{target: "{LONGEST}"}}}}\n'
        f'  w: {{run: longsteps.write, inputs: {{out: "{written}"}}, writes: ["{written}"]}}\n'
    )
    first = pipeflow_in(tmp_path, "run", "pipeline.yaml")
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads((tmp_path / "out" / LONGEST).read_text()) == {"a": 1}
    (tmp_path / "out" / LONGEST).unlink()
    (tmp_path / written).unlink()
    again = pipeflow_in(tmp_path, "run", "pipeline.yaml", "--frozen")  # restores, runs nothing
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads((tmp_path / "out" / LONGEST).read_text()) == {"a": 1}
    assert (tmp_path / written).read_text() == "written"
    leftovers = [path.name for path in tmp_path.rglob("*.tmp-*")]
    assert leftovers == []
