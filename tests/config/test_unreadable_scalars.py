"""A `--param` value, or the value of an environment variable a `${env.*}` default reads as
YAML, that YAML takes for a typed scalar it cannot build (an impossible date, a tag on a value
it does not fit, an int of more than 4300 digits) is the text as given, as a value that is no
valid YAML is: never a traceback. A text param takes it; any other is refused (exit 2) with
the config's other problems, as any value of the wrong type is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

UNREADABLE = {
    "an impossible date": "2024-02-30",
    "an impossible datetime": "2024-02-30 10:00:00",
    "a float tag on text": "!!float abc",
    "an int tag on text": "!!int abc",
    "a timestamp tag on text": "!!timestamp soon",
    "an int of 5000 digits": "1" + "0" * 5000,
    "a list holding an impossible date": "[2024-01-01, 2024-02-30]",
}
CONFIG = (
    "name: p\n"
    "params:\n"
    "  day: 2024-01-31\n"
    "  note: text\n"
    "  seed: ${env.SEED_UNDER_TEST:-1}\n"
    "steps:\n"
    '  a: {run: st.e.echo, inputs: {v: ["${params.note}", "${params.seed}"]}}\n'
)
STEPS = (
    "import json\nfrom pathlib import Path\n\n\n"
    "def echo(v):\n"
    "    Path(__file__).with_name('got.json').write_text(json.dumps(v))\n"
    "    return v\n"
)


def pipeflow(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / "p.yaml").write_text(CONFIG)
    return tmp_path


@pytest.mark.parametrize("value", UNREADABLE.values(), ids=list(UNREADABLE))
def test_an_unreadable_param_option_for_a_date_param_is_refused_as_text(
    project: Path, value: str
) -> None:
    for command in ("validate", "run"):
        result = pipeflow(project, command, "p.yaml", "--param", f"day={value}", "--param", "zz=1")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        refused = "param `day` is a date (datetime.date(2024, 1, 31)) in the defaults; got a string"
        assert refused in result.stderr
        assert "unknown param `zz`" in result.stderr  # reported beside it
    assert not (project / "st" / "got.json").exists()


@pytest.mark.parametrize("value", UNREADABLE.values(), ids=list(UNREADABLE))
def test_an_unreadable_param_option_for_a_text_param_is_that_text(
    project: Path, value: str
) -> None:
    result = pipeflow(project, "run", "p.yaml", "-q", "--param", f"note={value}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((project / "st" / "got.json").read_text()) == [value, 1]


@pytest.mark.parametrize("value", UNREADABLE.values(), ids=list(UNREADABLE))
def test_an_unreadable_environment_value_is_that_text(project: Path, value: str) -> None:
    result = pipeflow(project, "run", "p.yaml", "-q", env={"SEED_UNDER_TEST": value})
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((project / "st" / "got.json").read_text()) == ["text", value]
