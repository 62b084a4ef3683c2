"""Which run an id names: the id itself, a unique prefix of it (`20260301-13`), or `latest`,
the run that started last (a fire `pipeflow serve` skipped only when there is no run); an
UnknownRun that says what it matched, or what is near it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeflow.errors import did_you_mean
from pipeflow.history.records import UnknownRun

LATEST = "latest"  # the run id that names the run that started last (not a skipped fire)


def nothing_recorded(run_id: str, path: Path) -> UnknownRun:
    """No run to resolve `run_id` among, with where else to look: a run of a config elsewhere
    (a CI job's `pipeflow run pipelines/etl.yaml`) is recorded beside that config."""
    return UnknownRun(
        f"no run `{run_id}`: nothing is recorded in {path} yet",
        "a run is recorded in `.pipeflow/` beside its config (or in $PIPEFLOW_HOME): run this "
        "in the config's folder, or give --home with that `.pipeflow/` folder",
    )


Rows = Callable[[str, Sequence[Any]], list[Any]]  # (SQL, its values) -> the rows it selects


def resolved(run_id: str, rows: Rows, path: Path) -> str:
    """The full id of the run `run_id` names in the history at `path`, read through `rows`."""
    if run_id == LATEST:
        # A fire `pipeflow serve` skipped started no run: the latest is the run still going.
        found = rows(
            "SELECT id FROM runs ORDER BY state = 'skipped', started_at DESC, rowid DESC LIMIT 1",
            (),
        )
        if not found:
            raise nothing_recorded(run_id, path)
        return str(found[0][0])
    exact = rows("SELECT id FROM runs WHERE id = ?", (run_id,))
    if exact:
        return str(exact[0][0])
    matches: list[str] = []
    if run_id:
        matches = [
            str(row[0])
            for row in rows(
                "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 6",
                (len(run_id), run_id),
            )
        ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise UnknownRun(f"`{run_id}` matches several runs: {shown}", "give more of the id")
    recent = [
        str(row[0])
        for row in rows("SELECT id FROM runs ORDER BY started_at DESC, rowid DESC LIMIT 1000", ())
    ]
    hint = did_you_mean(run_id, recent) if recent else None
    if hint is None:
        hint = "`pipeflow runs` lists the recorded runs" if recent else None
    raise UnknownRun(f"no run `{run_id}` in {path}", hint)
