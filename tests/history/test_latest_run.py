"""`latest` names the most recent run wherever a run id is taken (`runs show`, `logs`, the
history's API), and is what `runs show` and `logs` read when no ID is given: the run a user
just watched fail, without copying its id."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.history import Recorder, UnknownRun, open_history, record_skipped_fire
from tests.history.synthetic import T0, record, run_events

OLD = "20260301-120000-aaaaaa"
NEW = "20260301-130000-bbbbbb"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def home(tmp_path: Path) -> Path:
    recorder = Recorder(home=tmp_path, config_path=tmp_path / "pipeline.yaml")
    record(recorder, run_events(NEW, started=T0 + timedelta(hours=1), fail=True))
    record(recorder, run_events(OLD))  # recorded last, started first: not the latest
    return tmp_path


@pytest.mark.parametrize("given", [[], ["latest"]])
def test_runs_show_and_logs_read_the_latest_run(home: Path, given: list[str]) -> None:
    code, out, err = invoke("runs", "show", *given, "--home", str(home))
    assert code == 0, err
    assert NEW in out.splitlines()[0]
    assert invoke("runs", "show", NEW, "--home", str(home))[1] == out
    code, out, err = invoke("logs", *given, "--home", str(home))
    assert code == 0, err
    assert out == invoke("logs", NEW, "--home", str(home))[1]
    assert "load | loading 0" in out
    code, out, err = invoke("logs", *given, "--step", "report", "--home", str(home))
    assert code == 0, err
    assert out == "report | flaky network\n"


def test_the_history_api_takes_latest(home: Path) -> None:
    with open_history(None, home=home) as history:
        assert history.resolve("latest") == NEW
        assert history.run("latest").id == NEW


def test_latest_of_an_empty_history_says_nothing_is_recorded(tmp_path: Path) -> None:
    code, _, err = invoke("logs", "--home", str(tmp_path))
    assert code == 2, err
    assert "no run `latest`: nothing is recorded in" in err
    with open_history(None, home=tmp_path) as history, pytest.raises(UnknownRun):
        history.resolve("latest")


def test_the_help_says_what_id_may_be() -> None:
    for command in (["runs", "show"], ["logs"]):
        code, out, _ = invoke(*command, "--help")
        assert code == 0
        assert "[ID]" in out
        assert "latest" in out
    out = invoke("logs", "--help")[1]
    assert "CONFIG" not in out  # `logs` takes no CONFIG: its history is here or --home


def test_the_command_line_spells_latest_as_the_history_does() -> None:
    from pipeflow.cli import history as commands
    from pipeflow.history import run_ids

    assert commands.LATEST == run_ids.LATEST


def test_latest_is_a_run_not_a_skipped_fire_of_serve(home: Path) -> None:
    """A fire of `pipeflow serve` skipped while its schedule's run goes on is recorded after
    that run started; `latest` named it, so `pipeflow logs -f` during a long scheduled run
    printed nothing and ended at once."""
    config = home / "pipeline.yaml"
    config.write_text("name: demo\n")
    for minutes in (1, 2):
        skipped = record_skipped_fire(
            None,
            pipeline="demo",
            when=T0 + timedelta(hours=1, minutes=minutes),
            reason="the previous run of this schedule is still going",
            config_path=config,
            home=home,
        )
        assert skipped is not None
    with open_history(None, home=home) as history:
        assert history.resolve("latest") == NEW
        assert history.runs(last=1)[0].id == skipped  # listed, as every fire is
    for given in ([], ["latest"]):
        code, out, err = invoke("logs", *given, "--home", str(home))
        assert code == 0, err
        assert "load | loading 0" in out
        code, out, err = invoke("runs", "show", *given, "--home", str(home))
        assert code == 0, err
        assert NEW in out.splitlines()[0]
    code, out, err = invoke("runs", str(config), "show", "--home", str(home))
    assert code == 0, err
    assert NEW in out.splitlines()[0]


def test_latest_of_a_history_of_skipped_fires_alone_is_the_last_fire(tmp_path: Path) -> None:
    skipped = record_skipped_fire(None, pipeline="demo", when=T0, reason="overlap", home=tmp_path)
    with open_history(None, home=tmp_path) as history:
        assert history.resolve("latest") == skipped


@pytest.mark.parametrize("command", [["logs"], ["runs", "show"], ["logs", "latest"]])
def test_an_empty_history_here_says_where_runs_are_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """A CI job runs `pipeflow run pipelines/etl.yaml` from the repository's root, then
    `pipeflow logs`: the run is recorded beside its config, not here. The error says so, and
    how to reach it, instead of only that nothing is recorded here."""
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)
    project = tmp_path / "pipelines"
    project.mkdir()
    (project / "etlsteps.py").write_text("def load():\n    print('loading')\n    return 1\n")
    (project / "etl.yaml").write_text("name: etl\nsteps:\n  load: {run: etlsteps.load}\n")
    monkeypatch.chdir(tmp_path)
    assert invoke("run", "pipelines/etl.yaml", "-q")[0] == 0
    code, _, err = invoke(*command)
    assert code == 2, err
    assert "no run `latest`: nothing is recorded in" in err
    assert "a run is recorded in `.pipeflow/` beside its config" in err
    assert "--home" in err
    code, out, err = invoke(*command, "--home", "pipelines/.pipeflow")
    assert code == 0, err
    assert ("load | loading" if command[0] == "logs" else "etl") in out
