"""A number too large to read or to convert is a located problem with exit 2, never a
traceback, whichever channel brings it: an int too large to become a float for a float param
(`--param`, each params file format, a schedule's params, a sub-pipeline step's params,
`params=` in Python)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow

HUGE = "1" + "0" * 400  # an int beyond the largest float (about 1.8e308)
STEPS = "def echo(v):\n    return v\n"
CONFIG = (
    'name: p\nparams: {ratio: 0.5}\nsteps:\n  a: {run: st.e.echo, inputs: {v: "${params.ratio}"}}\n'
)


def pipeflow_cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
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
