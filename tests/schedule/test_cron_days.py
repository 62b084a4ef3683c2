"""Day-of-month and day-of-week read as cron reads them: when both are restricted, a day that
matches either fires; when one of them starts with `*` (`*/2`), a day must match both, as
Vixie cron, cronie (the crontab the export writes for) and crontab.guru decide. `serve`,
`schedule --next`, validation and the exports all read an expression the same way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.model.pipeline import Schedule
from pipeflow.schedule.convert import cron_in_utc
from pipeflow.schedule.triggers import cron_problem, next_times, trigger_for
from tests.conftest import ProjectFactory

UTC = timezone.utc
AFTER = datetime(2026, 12, 1, tzinfo=UTC)

# (expression, the days of its next three fires after 1 December 2026)
DAYS = [
    # Both restricted: the 1st and 15th, and every Friday.
    ("0 0 1,15 * 5", ["2026-12-04", "2026-12-11", "2026-12-15"]),
    ("0 0 1-31/2 * 1", ["2026-12-03", "2026-12-05", "2026-12-07"]),
    # A field starting with `*`: odd days that are Mondays; 1sts that are Sun/Tue/Thu/Sat.
    ("0 0 */2 * 1", ["2026-12-07", "2026-12-21", "2027-01-11"]),
    ("0 0 1 * */2", ["2027-04-01", "2027-05-01", "2027-06-01"]),
    ("0 0 */2 * mon", ["2026-12-07", "2026-12-21", "2027-01-11"]),
    ("0 0 */10 * */3", ["2027-01-31", "2027-02-21", "2027-03-21"]),
    # One field exactly `*`: the other one alone decides, either way.
    ("0 0 * * 1", ["2026-12-07", "2026-12-14", "2026-12-21"]),
    ("0 0 5 * *", ["2026-12-05", "2027-01-05", "2027-02-05"]),
]


@pytest.mark.parametrize(("expression", "days"), DAYS)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_the_day_fields_combine_as_cron_combines_them(
    expression: str, days: list[str], zone: str
) -> None:
    assert cron_problem(expression) is None
    trigger = trigger_for(Schedule(cron=expression, timezone=zone))
    times = next_times(trigger, AFTER, 3)
    assert [moment.date().isoformat() for moment in times] == days
    assert all(moment.hour == 0 and moment.minute == 0 for moment in times)


STEPS = "def hello() -> str:\n    return 'hello'\n"
YAML = """
name: days
steps:
  hello: {run: mysteps.hello}
schedules:
  - cron: "0 0 */2 * 1"
"""
TOML = """
name = "days"
[steps.hello]
run = "mysteps.hello"
[[schedules]]
cron = "0 0 */2 * 1"
"""


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_schedule_next_lists_what_the_crontab_it_exports_fires(
    make_project: ProjectFactory, kind: str
) -> None:
    path = make_project(YAML if kind == "yaml" else TOML, name=f"p.{kind}", mysteps=STEPS)
    listed = CliRunner().invoke(
        cli, ["schedule", str(path), "--next", "3", "--after", "2026-12-01T00:00:00Z"]
    )
    assert listed.exit_code == 0, listed.output
    assert "2026-12-07T00:00:00+00:00" in listed.output
    assert "2026-12-21T00:00:00+00:00" in listed.output
    assert "2027-01-11T00:00:00+00:00" in listed.output
    assert "2026-12-03" not in listed.output  # an odd day but a Thursday
    exported = CliRunner().invoke(cli, ["schedule", str(path), "--export", "crontab"])
    assert exported.exit_code == 0, exported.output
    assert f"0 0 */2 * 1 cd {path.parent} && pipeflow run p.{kind}" in exported.output


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("cron", ["0 0 31 2 */2", "0 0 30,31 2 *,1", "0 0 31 4 ?"])
def test_a_day_that_never_comes_with_a_starred_day_of_week_is_refused(
    make_project: ProjectFactory, kind: str, cron: str
) -> None:
    text = (YAML if kind == "yaml" else TOML).replace("0 0 */2 * 1", cron)
    path = make_project(text, name=f"p.{kind}", mysteps=STEPS)
    for command in (["validate"], ["schedule"], ["schedule", "--export", "crontab"]):
        result = CliRunner().invoke(cli, [command[0], str(path), *command[1:]])
        assert result.exit_code == 2, (command, result.output)
        assert f"`{cron}` never fires: day" in result.output
        assert "schedules[0].cron" in result.output


def test_a_starred_day_field_keeps_its_meaning_in_utc_or_has_no_utc_form() -> None:
    # Moved across midnight, `*/2` would be written as a list, which cron reads with OR.
    assert cron_in_utc("0 0 */20 * 1", timedelta(hours=1)) is None
    assert cron_in_utc("0 0 5 * */2", timedelta(hours=1)) is None
    # Not moved across midnight: the fields are kept as written.
    assert cron_in_utc("0 6 */2 * 1", timedelta(hours=1)) == ["0 5 */2 * 1"]
    # Both restricted without `*`: moved as before.
    assert cron_in_utc("0 0 5 * 1", timedelta(hours=1)) == ["0 23 4 * 0"]


def test_the_github_export_says_why_a_starred_day_cron_has_no_utc_form(
    make_project: ProjectFactory,
) -> None:
    text = YAML.replace('"0 0 */2 * 1"', '"30 23 */20 * 1"\n    timezone: America/New_York')
    path = make_project(text, name="p.yaml", mysteps=STEPS)
    exported = CliRunner().invoke(cli, ["schedule", str(path), "--export", "github-actions"])
    assert exported.exit_code == 2, exported.output  # nothing else to export
    assert "`30 23 */20 * 1` has no exact UTC form at UTC-0" in exported.output
    assert "a day must match both its day fields" in exported.output
