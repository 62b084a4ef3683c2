"""`runs prune --keep N` keeps the newest N runs. A fire `serve` skipped (the run before it
was still going) is no run: it counts for none of the N, and goes with the runs older than
the oldest kept. Before, a schedule whose long runs overlapped its fires recorded many
skipped fires, and `--keep 5` could keep five of them and delete every run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.history import Recorder, open_history, record_skipped_fire
from tests.history.synthetic import T0, record, run_events


def _history(home: Path) -> None:
    """Runs r-0 .. r-3 an hour apart, each followed by 3 fires skipped while it went."""
    recorder = Recorder(home=home)
    for hour in range(4):
        record(recorder, run_events(f"r-{hour}", started=T0 + timedelta(hours=hour)))
        for minute in (10, 20, 30):
            record_skipped_fire(
                None,
                pipeline="demo",
                when=T0 + timedelta(hours=hour, minutes=minute),
                reason="the previous run of this schedule is still going",
                home=home,
            )


def _left(home: Path) -> list[tuple[str, float]]:
    """(state, hours after T0) of each run left, newest first."""
    with open_history(None, home=home) as history:
        return [(run.state, (run.started - T0) / timedelta(hours=1)) for run in history.runs()]


def test_prune_keeps_the_newest_runs_not_skipped_fires(tmp_path: Path) -> None:
    _history(tmp_path)
    with open_history(None, home=tmp_path) as history:
        assert history.prune(2) == 2 + 6  # r-0, r-1 and the fires skipped after them
    left = _left(tmp_path)
    assert [state for state, _ in left].count("succeeded") == 2, left
    assert len(left) == 2 + 6, left  # r-2, r-3 and the fires after each
    assert min(hours for _, hours in left) == 2, left


def test_the_command_keeps_them_too(tmp_path: Path) -> None:
    _history(tmp_path)
    ran = CliRunner().invoke(cli, ["runs", "prune", "--keep", "1", "--home", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    left = _left(tmp_path)
    assert [state for state, _ in left] == ["skipped"] * 3 + ["succeeded"], left


def test_keep_none_deletes_skipped_fires_too(tmp_path: Path) -> None:
    _history(tmp_path)
    with open_history(None, home=tmp_path) as history:
        assert history.prune(0) == 16
    assert _left(tmp_path) == []


def test_with_fewer_runs_than_kept_nothing_goes(tmp_path: Path) -> None:
    _history(tmp_path)
    with open_history(None, home=tmp_path) as history:
        assert history.prune(4) == 0
        assert history.prune(5) == 0
    assert len(_left(tmp_path)) == 16
