"""A number too large to read or to convert is a located problem with exit 2, never a
traceback, whichever channel brings it: an int too large to become a float for a float param
(`--param`, each params file format, a schedule's params, a sub-pipeline step's params,
`params=` in Python)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in as pipeflow_cli

HUGE = "1" + "0" * 400  # an int beyond the largest float (about 1.8e308)
STEPS = "def echo(v):\n    return v\n"
CONFIG = (
    'name: p\nparams: {ratio: 0.5}\nsteps:\n  a: {run: st.e.echo, inputs: {v: "${params.ratio}"}}\n'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / "p.yaml").write_text(CONFIG)
    return tmp_path


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("channel", "file", "text"),
    [
        ("--param", None, None),
        ("json", "f.json", f'{{"ratio": {HUGE}}}'),
        ("yaml", "f.yaml", f"ratio: {HUGE}\n"),
        ("toml", "f.toml", f"ratio = {HUGE}\n"),
    ],
)
def test_an_int_too_large_for_a_float_param_is_refused_where_it_is_given(
    project: Path, channel: str, file: str | None, text: str | None
) -> None:
    if file is None:
        args = ["--param", f"ratio={HUGE}"]
    else:
        (project / file).write_text(text or "")
        args = ["--param-file", file]
    for command in ("validate", "run"):
        stderr = _refused(pipeflow_cli(project, command, "p.yaml", *args))
        assert "param `ratio` is a number (0.5) in the defaults; got an int too large" in stderr
        assert "error at `" in stderr
        if file is not None:
            assert f"{file}:1:" in stderr
    assert not (project / "data").exists()


def test_an_int_too_large_for_a_float_in_a_schedule_is_refused_at_the_schedule(
    project: Path,
) -> None:
    (project / "p.yaml").write_text(
        CONFIG + f"schedules:\n  - interval: 1h\n    params: {{ratio: {HUGE}}}\n"
    )
    stderr = _refused(pipeflow_cli(project, "validate", "p.yaml"))
    assert "p.yaml:7:" in stderr
    assert "error at `schedules[0].params.ratio`" in stderr


def test_an_int_too_large_for_a_float_in_a_sub_pipeline_s_params_is_refused_at_the_step(
    project: Path,
) -> None:
    (project / "parent.yaml").write_text(
        f"name: parent\nsteps:\n  c: {{pipeline: p.yaml, params: {{ratio: {HUGE}}}}}\n"
    )
    stderr = _refused(pipeflow_cli(project, "validate", "parent.yaml"))
    assert "parent.yaml:3:" in stderr
    assert "error at `steps.c.params.ratio`" in stderr


def test_an_int_too_large_for_a_float_from_python_is_a_config_error(project: Path) -> None:
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(project / "p.yaml", params={"ratio": int(HUGE)})
    assert "got an int too large" in str(raised.value)
    pipe = pipeflow.load(project / "p.yaml")
    with pytest.raises(pipeflow.ConfigError):
        pipe.run(params={"ratio": -int(HUGE)}, history=False)


LONG = "1" + "0" * 5000  # more digits than Python turns into an int (4300)


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        ("c.toml", f'name = "c"\n[params]\nx = {LONG}\n', "c.toml:3:5"),
        ("c.toml", f'name = "c"\n[params]\nx = -{LONG[:2000]}_{LONG[2000:]}\n', "c.toml:3:5"),
        ("c.json", f'{{"name": "c",\n "params": {{"x": {LONG}}}}}\n', "c.json:2:18"),
        ("c.yaml", f"name: c\nparams:\n  x: {LONG}\n", "c.yaml:3:6"),
    ],
    ids=["toml", "toml with a sign and an underscore", "json", "yaml"],
)
def test_a_config_with_an_int_of_too_many_digits_is_refused_at_the_number(
    project: Path, file: str, text: str, where: str
) -> None:
    (project / file).write_text(text)
    for command in ("validate", "run"):
        stderr = _refused(pipeflow_cli(project, command, file))
        assert _line_of(stderr, where).endswith(
            "cannot read a number of 5001 digits: at most 4300 are read as a number"
        )
        assert "hint: quote it to keep it as text" in stderr
        assert LONG not in stderr


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        ("f.toml", f"# a comment 123\nratio = {LONG}\n", "f.toml:2:9"),
        ("f.json", f'{{"note": "123",\n  "ratio": {LONG}}}', "f.json:2:12"),
        ("f.yaml", f"note: '123'\nratio: {LONG}\n", "f.yaml:2:8"),
    ],
    ids=["toml", "json", "yaml"],
)
def test_a_params_file_with_an_int_of_too_many_digits_is_refused_at_the_number(
    project: Path, file: str, text: str, where: str
) -> None:
    (project / file).write_text(text)
    for command in ("validate", "run"):
        stderr = _refused(pipeflow_cli(project, command, "p.yaml", "--param-file", file))
        assert "cannot read a number of 5001 digits" in _line_of(stderr, where)
    assert not (project / "data").exists()


def _line_of(stderr: str, where: str) -> str:
    """The line of the report that starts at `where` (`file:line:column`)."""
    lines = [line for line in stderr.splitlines() if line.startswith(f"{where}: error")]
    assert len(lines) == 1, stderr
    return lines[0]
