"""A date, datetime or time param takes its ISO text, the JSON form in which pipeflow records it
(`--json`, `runs show`), from every channel that sets params: a JSON params file (JSON has no
date), a quoted `--param`, a YAML or TOML file's text, a schedule's params and `params=` in
Python. The step gets a value of the default's type; a text that is no such ISO value is still
refused, with a hint that shows the form."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in as pipeflow_cli

STEPS = (
    "import json\nfrom pathlib import Path\n\n\n"
    "def echo(day, at, clock):\n"
    "    got = [type(day).__name__, str(day), type(at).__name__, str(at),\n"
    "           type(clock).__name__, str(clock)]\n"
    "    Path(__file__).with_name('got.json').write_text(json.dumps(got))\n"
    "    return got\n"
)
YAML = (
    "name: p\n"
    "params: {day: 2024-01-31, at: 2024-01-31T10:00:00+00:00, clock: '${env.UNSET_CLOCK:-x}'}\n"
    "steps:\n"
    '  a: {run: st.e.echo, inputs: {day: "${params.day}", at: "${params.at}",'
    ' clock: "${params.clock}"}}\n'
)
TOML = (
    'name = "p"\n'
    "[params]\nday = 2024-01-31\nat = 2024-01-31T10:00:00+00:00\nclock = 07:30:00\n"
    '[steps.a]\nrun = "st.e.echo"\n'
    'inputs = {day = "${params.day}", at = "${params.at}", clock = "${params.clock}"}\n'
)
GIVEN = {"day": "2024-03-01", "at": "2024-03-01T08:15:00+01:00", "clock": "09:45:00"}
EXPECTED = [
    "date",
    "2024-03-01",
    "datetime",
    "2024-03-01 08:15:00+01:00",
    "time",
    "09:45:00",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / "p.toml").write_text(TOML)  # TOML has a time type; YAML has none
    return tmp_path


def _got(project: Path) -> list[str]:
    result: list[str] = json.loads((project / "st" / "got.json").read_text())
    return result


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("f.json", json.dumps(GIVEN)),
        ("f.yaml", "".join(f'{key}: "{value}"\n' for key, value in GIVEN.items())),
        ("f.toml", "".join(f'{key} = "{value}"\n' for key, value in GIVEN.items())),
    ],
)
def test_a_params_file_sets_a_date_param_by_its_iso_text(
    project: Path, file: str, text: str
) -> None:
    (project / file).write_text(text)
    result = pipeflow_cli(project, "run", "p.toml", "-q", "--param-file", file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _got(project) == EXPECTED


def test_a_quoted_param_option_sets_a_date_param(project: Path) -> None:
    options = [arg for key, value in GIVEN.items() for arg in ("--param", f'{key}="{value}"')]
    result = pipeflow_cli(project, "run", "p.toml", "-q", *options)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _got(project) == EXPECTED


def test_the_params_a_run_recorded_can_be_given_back_as_a_json_file(project: Path) -> None:
    first = pipeflow_cli(project, "run", "p.toml", "-q", "--json", "report.json")
    assert first.returncode == 0, first.stdout + first.stderr
    recorded = json.loads((project / "report.json").read_text())["params"]
    assert recorded == {"day": "2024-01-31", "at": "2024-01-31T10:00:00+00:00", "clock": "07:30:00"}
    (project / "again.json").write_text(json.dumps(recorded))

    again = pipeflow_cli(project, "run", "p.toml", "--param-file", "again.json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "a: cached" in again.stdout  # the same params: the same cache key


def test_a_schedule_sets_a_date_param_by_its_iso_text(project: Path) -> None:
    (project / "p.yaml").write_text(
        YAML + "schedules:\n  - interval: 1h\n    params: {day: '2024-03-01'}\n"
    )
    result = pipeflow_cli(project, "run", "p.yaml", "-q", "--schedule", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    kind, text = _got(project)[:2]
    assert (kind, text) == ("date", "2024-03-01")


def test_params_from_python_set_a_date_param_by_its_iso_text(project: Path) -> None:
    run = pipeflow.load(project / "p.toml").run(params=GIVEN, history=False)
    assert run.ok
    assert _got(project) == EXPECTED
    assert run.params["day"] == date(2024, 3, 1)
    assert run.params["at"] == datetime(2024, 3, 1, 8, 15, tzinfo=timezone(timedelta(hours=1)))
    assert run.params["clock"] == time(9, 45)


@pytest.mark.parametrize(
    ("key", "value", "form"),
    [
        ("day", "March 1st", "2024-01-31"),
        ("day", "2024-03-01T10:00:00", "2024-01-31"),  # a datetime's text for a date
        ("day", "2024-02-30", "2024-01-31"),
        ("at", "2024-03-01", "2024-01-31T10:00:00+00:00"),  # a date's text for a datetime
        ("clock", "25:00", "07:30:00"),
    ],
)
def test_a_text_that_is_no_such_value_is_refused_with_the_form_to_write(
    project: Path, key: str, value: str, form: str
) -> None:
    (project / "f.json").write_text(json.dumps({key: value}))
    result = pipeflow_cli(project, "validate", "p.toml", "--param-file", "f.json")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"got a string ({value!r})" in result.stderr
    assert f"hint: give `{key}` a value of the same type as its default, e.g. `{form}`" in (
        result.stderr
    )
