"""`pipeflow schedule`: --next, the crontab and GitHub Actions exports, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests import system
from tests.conftest import ProjectFactory

STEPS = """
def hello(name: str) -> str:
    return "hello " + name
"""

CONFIG = """
name: greet
params: {name: world, ratio: 0.2, model: {depth: 3}}
steps:
  hello: {run: mysteps.hello, inputs: {name: "${params.name}"}}
schedules:
  - cron: "0 6 * * 1-5"
    timezone: Europe/Berlin
  - interval: 1h
    params: {ratio: 0.3, name: "on call", model: {depth: 4}}
  - cron: "30 2 * * *"
    timezone: America/New_York
    end: "2026-03-10"
"""


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def project(make_project: ProjectFactory, config: str = CONFIG) -> Path:
    return make_project(config, mysteps=STEPS)


def test_next_lists_times_in_the_zone_and_in_utc(make_project: ProjectFactory) -> None:
    path = project(make_project)
    code, output = invoke("schedule", str(path), "--next", "3", "--after", "2026-03-07T12:00Z")
    assert code == 0, output
    assert "greet: 3 schedules, times after 2026-03-07T12:00:00+00:00" in output
    assert "schedule 1: cron `0 6 * * 1-5` in Europe/Berlin" in output
    assert "  2026-03-09T06:00:00+01:00  = 2026-03-09T05:00:00+00:00" in output
    assert "schedule 2: every 1h" in output
    assert '  params: ratio=0.3, name="on call", model.depth=4' in output
    assert "  2026-03-07T13:00:00+00:00  = 2026-03-07T13:00:00+00:00" in output
    # New York's spring-forward day (8 March): 02:30 does not exist and fires at 03:00 EDT;
    # `end` (10 March, midnight) leaves two fire times of the three asked for.
    assert "  2026-03-08T03:00:00-04:00  = 2026-03-08T07:00:00+00:00" in output
    assert "  2026-03-09T02:30:00-04:00  = 2026-03-09T06:30:00+00:00" in output
    # Times are printed as ISO 8601 with their offset (SPEC 7), `start` and `end` too.
    assert "no more fire times (`end` is 2026-03-10T00:00:00-04:00)" in output
    assert "until 2026-03-10T00:00:00-04:00" in output
    assert output.count("+00:00") >= 9


def test_next_defaults_to_five(make_project: ProjectFactory) -> None:
    path = project(make_project)
    code, output = invoke("schedule", str(path), "--after", "2026-05-01T00:00:00+00:00")
    assert code == 0, output
    lines = [line for line in output.splitlines() if line.startswith("  2026")]
    assert len(lines) == 5 + 5  # the New York schedule has ended


def test_config_without_schedules(make_project: ProjectFactory) -> None:
    path = project(make_project, CONFIG.split("schedules:")[0])
    code, output = invoke("schedule", str(path))
    assert code == 0
    assert "has no schedules" in output


@pytest.mark.parametrize("kind", ["crontab", "github-actions"])
def test_exporting_a_config_without_schedules_is_refused(
    make_project: ProjectFactory, kind: str
) -> None:
    """Exit 2, the message on stderr, no export written: before, `--export crontab` exited 0
    with the message on stdout, which `> cron.txt` put in the crontab."""
    path = project(make_project, CONFIG.split("schedules:")[0])
    result = system.pipeflow_in(path.parent, "schedule", path.name, "--export", kind)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "has no schedules to export" in result.stderr
    assert "add `schedules:`" in result.stderr
    kept = path.parent / "kept.txt"
    kept.write_text("as it was")
    result = system.pipeflow_in(
        path.parent, "schedule", path.name, "--export", kind, "-o", "kept.txt"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert kept.read_text() == "as it was"


def test_invalid_timezone_is_a_validation_error(make_project: ProjectFactory) -> None:
    path = project(make_project, CONFIG.replace("Europe/Berlin", "Europe/Berlinn"))
    code, output = invoke("schedule", str(path))
    assert code == 2
    assert "unknown time zone `Europe/Berlinn`" in output
    assert "Europe/Berlin" in output.replace("Europe/Berlinn", "")  # did you mean


def test_bad_options_are_usage_errors(make_project: ProjectFactory) -> None:
    path = project(make_project)
    assert invoke("schedule", str(path), "--next", "2", "--export", "crontab")[0] == 2
    assert invoke("schedule", str(path), "-o", "x.txt")[0] == 2
    assert invoke("schedule", str(path), "--after", "yesterday")[0] == 2
    assert invoke("schedule", str(path), "--next", "0")[0] == 2


@pytest.mark.parametrize("export", [[], ["--export", "crontab"], ["--export", "github-actions"]])
@pytest.mark.parametrize(
    "after",
    [
        "0001-01-01T00:00:00Z",  # New York's clock is in the year 0 then
        "0001-01-01T02:00:00+05:00",
        "9999-12-31T23:00:00Z",  # Berlin's clock, and a year of GitHub entries, past 9999
        "9998-01-01",
    ],
)
def test_an_after_out_of_the_years_fire_times_take_is_a_usage_error(
    make_project: ProjectFactory, after: str, export: list[str]
) -> None:
    path = project(make_project)
    result = CliRunner().invoke(cli, ["schedule", str(path), "--after", after, *export])
    assert result.exit_code == 2, result.output
    assert "--after" in result.output
    assert "between the years 2 and 9997" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_crontab_export(make_project: ProjectFactory) -> None:
    path = project(make_project)
    # Before the New York schedule's `end`: an ended schedule is not exported.
    code, output = invoke(
        "schedule", str(path), "--export", "crontab", "--after", "2026-03-01T00:00:00Z"
    )
    assert code == 0, output
    lines = output.splitlines()
    folder = str(path.parent)
    assert "CRON_TZ=Europe/Berlin" in lines
    assert f"0 6 * * 1-5 cd {folder} && pipeflow run pipeline.yaml" in lines
    hourly = (
        f"0 * * * * cd {folder} && pipeflow run pipeline.yaml --param ratio=0.3 "
        "--param 'name=\"on call\"' --param model.depth=4"
    )
    assert lines[lines.index(hourly) - 1] == "CRON_TZ=UTC"
    new_york = lines.index("CRON_TZ=America/New_York")
    assert lines[new_york + 1].startswith("30 2 * * * cd ")
    assert any("cannot enforce `start`/`end`" in line for line in lines[new_york - 2 : new_york])
    assert any("cronie" in line for line in lines if line.startswith("#"))


def test_crontab_intervals_cron_cannot_say(make_project: ProjectFactory) -> None:
    config = CONFIG.split("schedules:")[0] + (
        "schedules:\n  - interval: 15m\n  - interval: 1d\n  - interval: 90m\n"
    )
    code, output = invoke("schedule", str(project(make_project, config)), "--export", "crontab")
    assert code == 0, output
    commands = [line.split(" cd ")[0] for line in output.splitlines() if " cd " in line]
    assert commands == ["*/15 * * * *", "0 0 * * *"]
    assert "# every 1h30m cannot be exported" in output


def test_crontab_escapes_percent(make_project: ProjectFactory) -> None:
    config = CONFIG.replace('name: "on call"', 'name: "100%"')
    code, output = invoke("schedule", str(project(make_project, config)), "--export", "crontab")
    assert code == 0, output
    assert "'name=\"100\\%\"'" in output


def github(make_project: ProjectFactory, config: str = CONFIG) -> tuple[str, dict[str, Any]]:
    path = project(make_project, config)
    out = path.parent / "workflow.yml"
    code, output = invoke(
        "schedule",
        str(path),
        "--export",
        "github-actions",
        "-o",
        str(out),
        "--after",
        "2026-05-11T00:00:00Z",
    )
    assert code == 0, output
    assert output.strip() == f"wrote {out}"
    text = out.read_text(encoding="utf-8")
    return text, yaml.safe_load(text)


def test_github_actions_export_parses_with_utc_entries(make_project: ProjectFactory) -> None:
    # The New York schedule still fires after `--after` (an ended one is not exported).
    text, workflow = github(make_project, CONFIG.replace('end: "2026-03-10"', 'end: "2027-06-10"'))
    assert set(workflow) >= {"name", "on", "jobs"}
    crons = [entry["cron"] for entry in workflow["on"]["schedule"]]
    # Berlin at +02:00 (summer) and +01:00 (winter); the hourly interval; New York -04/-05.
    assert crons == ["0 4 * * 1-5", "0 5 * * 1-5", "0 * * * *", "30 6 * * *", "30 7 * * *"]
    assert "workflow_dispatch" in workflow["on"]
    assert "# Europe/Berlin, UTC+02:00 (summer): until 2026-10-25, from 2027-03-28" in text
    assert "# Europe/Berlin, UTC+01:00 (winter): 2026-10-25 to 2027-03-28" in text
    assert "GitHub cannot switch entries by date" in text
    assert "# America/New_York, UTC-04:00 (summer): until 2026-11-01, from 2027-03-14" in text

    jobs = workflow["jobs"]
    assert list(jobs) == ["schedule-1", "schedule-2", "schedule-3"]
    for job in jobs.values():
        assert job["runs-on"] == "ubuntu-latest"
        assert isinstance(job["steps"], list)
        uses = [step.get("uses", "") for step in job["steps"]]
        assert "actions/checkout@v4" in uses
        assert "actions/setup-python@v5" in uses
        runs = [step.get("run", "") for step in job["steps"]]
        assert "pip install pipeflow-runner" in runs  # the project has no pyproject.toml

    berlin = jobs["schedule-1"]
    assert "github.event.schedule == '0 4 * * 1-5'" in berlin["if"]
    guard = berlin["steps"][0]
    assert guard["id"] == "local-time"
    assert guard["shell"] == "bash"
    assert "TZ=Europe/Berlin date +%H:%M" in guard["run"]
    assert "TZ=Europe/Berlin date +%z" in guard["run"]
    assert '"0 4 * * 1-5") expected="+0200"' in guard["run"]
    assert '"0 5 * * 1-5") expected="+0100"' in guard["run"]
    assert berlin["steps"][-1]["run"] == "pipeflow run pipeline.yaml"
    assert all(
        step["if"] == "steps.local-time.outputs.run == 'true'" for step in berlin["steps"][1:]
    )

    hourly = jobs["schedule-2"]
    assert hourly["steps"][0]["uses"] == "actions/checkout@v4"  # no guard: UTC all year
    assert hourly["steps"][-1]["run"] == (
        "pipeflow run pipeline.yaml --param ratio=0.3 --param 'name=\"on call\"' "
        "--param model.depth=4"
    )


def test_github_actions_guard_matches_the_offsets(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """Run the generated guard script in bash for both entries and by hand."""
    bash, date = system.program("bash"), system.program("date")
    system.zone_data("Europe/Berlin")
    _, workflow = github(make_project)
    script = workflow["jobs"]["schedule-1"]["steps"][0]["run"]
    # GNU date honours TZ; faking "now" is not portable, so compare with the real offset.
    real = subprocess.run(
        [date, "+%z"],
        env={**os.environ, "TZ": "Europe/Berlin"},
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    assert real in {"+0100", "+0200"}, real
    decided = {}
    output = tmp_path / "github-output"
    for entry in ("0 4 * * 1-5", "0 5 * * 1-5", ""):
        output.write_text("")
        subprocess.run(
            [bash, "-c", script],
            env={**os.environ, "FIRED_BY": entry, "GITHUB_OUTPUT": str(output)},
            check=True,
            capture_output=True,
        )
        decided[entry] = output.read_text().strip()
    summer = real == "+0200"
    assert decided["0 4 * * 1-5"] == f"run={'true' if summer else 'false'}"
    assert decided["0 5 * * 1-5"] == f"run={'false' if summer else 'true'}"
    assert decided[""] == "run=true"  # workflow_dispatch


def test_github_actions_to_stdout_installs_the_project(make_project: ProjectFactory) -> None:
    path = project(make_project)
    (path.parent / "pyproject.toml").write_text("[project]\nname = 'greet'\n")
    code, output = invoke(
        "schedule", str(path), "--export", "github-actions", "--after", "2026-05-11T00:00Z"
    )
    assert code == 0, output
    workflow = yaml.safe_load(output)
    runs = [step.get("run") for step in workflow["jobs"]["schedule-2"]["steps"]]
    assert "pip install -e ." in runs


def test_github_actions_when_nothing_can_be_exported(make_project: ProjectFactory) -> None:
    config = CONFIG.split("schedules:")[0] + "schedules:\n  - interval: 90m\n"
    path = project(make_project, config)
    code, output = invoke("schedule", str(path), "--export", "github-actions")
    assert code == 2
    assert "every 1h30m cannot be exported" in output


def test_github_actions_single_zone_without_dst(make_project: ProjectFactory) -> None:
    config = CONFIG.split("schedules:")[0] + (
        'schedules:\n  - cron: "0 9 * * *"\n    timezone: Asia/Kolkata\n'
    )
    text, workflow = github(make_project, config)
    assert [entry["cron"] for entry in workflow["on"]["schedule"]] == ["30 3 * * *"]
    assert "# Asia/Kolkata, UTC+05:30 all year" in text
    job = workflow["jobs"]["schedule-1"]
    assert "if" not in job  # one job: every entry is its own
    assert job["steps"][0]["uses"] == "actions/checkout@v4"  # one offset: no guard


@pytest.mark.parametrize("count", ["10001", "100000000", "99999999999999999999"])
def test_next_is_bounded(make_project: ProjectFactory, count: str) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("schedule", str(config), "--next", count)
    assert code == 2, output
    assert "10000" in output


def test_next_takes_up_to_its_bound(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("schedule", str(config), "--next", "10000", "--after", "2026-01-01")
    assert code == 0, output


# -- nicknames, crons that never fire, empty windows ------------------------------------------

NICKNAME_YAML = """
name: greet
params: {name: world}
steps:
  hello: {run: mysteps.hello, inputs: {name: "${params.name}"}}
schedules:
  - cron: "@daily"
    timezone: Europe/Berlin
  - cron: "@hourly"
  - cron: "@weekly"
    timezone: America/New_York
"""

NICKNAME_TOML = """
name = "greet"
params = {name = "world"}

[steps.hello]
run = "mysteps.hello"
inputs = {name = "${params.name}"}

[[schedules]]
cron = "@daily"
timezone = "Europe/Berlin"

[[schedules]]
cron = "@hourly"

[[schedules]]
cron = "@weekly"
timezone = "America/New_York"
"""


@pytest.fixture(params=["yaml", "toml"])
def nickname_config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    text = NICKNAME_YAML if request.param == "yaml" else NICKNAME_TOML
    return make_project(text, name=f"pipeline.{request.param}", mysteps=STEPS)


def test_nicknames_validate(nickname_config: Path) -> None:
    code, output = invoke("validate", str(nickname_config))
    assert code == 0, output


def test_next_fire_times_of_nicknames(nickname_config: Path) -> None:
    code, output = invoke(
        "schedule", str(nickname_config), "--next", "2", "--after", "2026-03-07T12:00Z"
    )
    assert code == 0, output
    assert "schedule 1: cron `@daily` in Europe/Berlin" in output
    assert "  2026-03-08T00:00:00+01:00  = 2026-03-07T23:00:00+00:00" in output
    assert "  2026-03-07T13:00:00+00:00  = 2026-03-07T13:00:00+00:00" in output
    # Sunday 8 March is New York's spring-forward day; midnight is before the gap.
    assert "  2026-03-08T00:00:00-05:00  = 2026-03-08T05:00:00+00:00" in output


def test_crontab_export_writes_nicknames_as_five_fields(nickname_config: Path) -> None:
    code, output = invoke("schedule", str(nickname_config), "--export", "crontab")
    assert code == 0, output
    commands = [line.split(" cd ")[0] for line in output.splitlines() if " cd " in line]
    assert commands == ["0 0 * * *", "0 * * * *", "0 0 * * 0"]
    assert "# schedule 1: cron `@daily` in Europe/Berlin" in output


def test_github_actions_export_converts_nicknames(nickname_config: Path) -> None:
    out = nickname_config.parent / "workflow.yml"
    code, output = invoke(
        "schedule",
        str(nickname_config),
        "--export",
        "github-actions",
        "-o",
        str(out),
        "--after",
        "2026-05-11T00:00:00Z",
    )
    assert code == 0, output
    workflow = yaml.safe_load(out.read_text(encoding="utf-8"))
    crons = [entry["cron"] for entry in workflow["on"]["schedule"]]
    # Berlin midnight: 22:00 UTC (summer), 23:00 UTC (winter), the day before; New York's
    # Sunday midnight is Sunday 04:00 or 05:00 UTC.
    assert crons == ["0 22 * * *", "0 23 * * *", "0 * * * *", "0 4 * * 0", "0 5 * * 0"]
    assert all("@" not in cron for cron in crons)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("@reboot", "`@reboot` has no fire time"),
        ("0 0 31 2 *", "`0 0 31 2 *` never fires: day 31 does not exist in February"),
        ("0 0 30 2 *", "`0 0 30 2 *` never fires: day 30 does not exist in February"),
        ("0 0 31 4,6,9,11 *", "never fires: day 31 does not exist in April, June, September"),
    ],
)
def test_a_cron_without_fire_times_is_invalid_everywhere(
    make_project: ProjectFactory, kind: str, cron: str, words: str
) -> None:
    if kind == "yaml":
        text = NICKNAME_YAML.replace('"@hourly"', f'"{cron}"')
    else:
        text = NICKNAME_TOML.replace('"@hourly"', f'"{cron}"')
    path = make_project(text, name=f"pipeline.{kind}", mysteps=STEPS)
    for command in (["validate"], ["schedule"], ["schedule", "--export", "crontab"], ["run"]):
        code, output = invoke(command[0], str(path), *command[1:])
        assert code == 2, (command, output)
        assert words in output
        assert "schedules[1].cron" in output
        assert "Traceback" not in output


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("2026-05-01", "2026-05-01", "it is the same moment"),
        ("2026-05-01T06:00:00+02:00", "2026-05-01T04:00:00+00:00", "it is the same moment"),
        ("2026-05-01", "2026-04-30T23:00:00+00:00", "it comes before"),
        ("2026-05-02T00:00:00", "2026-05-01", "it comes before"),
    ],
)
def test_an_end_not_after_start_is_invalid(
    make_project: ProjectFactory, kind: str, start: str, end: str, words: str
) -> None:
    if kind == "yaml":
        text = NICKNAME_YAML + f"  - interval: 1h\n    start: {start}\n    end: {end}\n"
    else:
        text = NICKNAME_TOML + f'\n[[schedules]]\ninterval = "1h"\nstart = {start}\nend = {end}\n'
    path = make_project(text, name=f"pipeline.{kind}", mysteps=STEPS)
    code, output = invoke("validate", str(path))
    assert code == 2, output
    assert "schedules[3].end" in output
    assert "`end` must come after `start`" in output
    assert words in output


def github_evaluated(value: str) -> str:
    """What GitHub makes of a workflow value: each `${{ EXPR }}` replaced by its value. Only
    string literals are known here; anything else (a secret, a context) becomes `<EVALUATED>`,
    which is how a value GitHub should not have touched shows up."""
    import re

    def value_of(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        literal = re.fullmatch(r"'((?:[^']|'')*)'", expression)
        return literal.group(1).replace("''", "'") if literal else "<EVALUATED>"

    return re.sub(r"\$\{\{(.*?)\}\}", value_of, value)


@pytest.mark.parametrize(
    "text",
    ["template ${{ secrets.X }} literal", "${{github.token}}", "a ${{ b }} and ${{ c }}", "$"],
)
def test_github_actions_export_keeps_expression_syntax_in_params_literal(
    make_project: ProjectFactory, text: str
) -> None:
    """GitHub evaluates `${{ ... }}` in every value before the shell sees it: a schedule's
    param holding one ran with another value (a secret put in its place) than the one the
    schedule declares, and than the crontab export passes."""
    config = CONFIG.replace('name: "on call"', f"name: {json.dumps(text)}")
    _, workflow = github(make_project, config)
    code, crontab = invoke("schedule", str(project(make_project, config)), "--export", "crontab")
    assert code == 0, crontab
    hourly = next(line for line in crontab.splitlines() if "ratio=0.3" in line)
    wanted = hourly.split(" && ", 1)[1]  # the command

    run = workflow["jobs"]["schedule-2"]["steps"][-1]["run"]

    assert github_evaluated(run) == wanted
    assert "<EVALUATED>" not in github_evaluated(run)


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "right/UTC"])
def test_a_time_zone_each_machine_reads_its_own_way_is_refused(
    make_project: ProjectFactory, zone: str
) -> None:
    """`localtime` is whatever the machine is set to: a schedule in it fires at one hour on a
    laptop and another on a UTC server; `serve` and `--export github` would disagree."""
    path = project(make_project, CONFIG.replace("Europe/Berlin", zone))
    for command in (("schedule", str(path)), ("validate", str(path))):
        code, output = invoke(*command)
        assert code == 2, output
        assert f"time zone `{zone}` means what each machine's own files say" in output
        assert "name the zone, such as `Europe/Berlin`, or use `UTC`" in output


@pytest.mark.parametrize("zone", ["localtime", "right/Europe/Berlin"])
def test_a_machine_s_own_time_zone_is_refused_in_toml_and_from_python(
    make_project: ProjectFactory, zone: str
) -> None:
    path = make_project(
        f"""
        name = "zones"
        [[schedules]]
        interval = "1h"
        timezone = "{zone}"
        [steps.a]
        run = "pipeflow.builtin.passthrough"
        inputs = {{value = 1}}
        """,
        name="pipeline.toml",
    )
    with pytest.raises(pipeflow.ConfigError, match=f"time zone `{zone}` means what each"):
        pipeflow.load(path)
