"""`pipeflow run --executor dask` shows the cluster's dashboard link when there is one
(SPEC section 14): a real LocalCluster with its dashboard, reached by address and started
from its class; nothing when the cluster has none."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

distributed = pytest.importorskip("distributed")
pytest.importorskip("bokeh", reason="distributed's dashboard needs bokeh: pip install -e '.[dev]'")

LINK = re.compile(r"Dask dashboard: (\S+)")

STEPS = "def one() -> int:\n    return 1\n"


@pytest.fixture(scope="module")
def watched() -> Iterator[Any]:
    """A LocalCluster with its dashboard on a free port, outliving the runs."""
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",
        silence_logs=40,
    )
    try:
        yield cluster
    finally:
        cluster.close()


def _project(make_project: ProjectFactory, executor: str, extra: str = "") -> Path:
    return make_project(
        f"""
        name: watched
        executor: {executor}
        {extra}
        steps:
          one: {{run: dsteps.one}}
        """,
        dsteps=STEPS,
    )


def test_the_link_of_a_cluster_at_an_address_is_shown_and_answers(
    make_project: ProjectFactory, watched: Any
) -> None:
    config = _project(make_project, "{type: dask, shared_filesystem: true}")
    ran = CliRunner().invoke(cli, ["run", str(config), "--address", watched.scheduler_address])
    assert ran.exit_code == 0, ran.output + ran.stderr
    found = LINK.findall(ran.output)
    assert found == [watched.dashboard_link]
    # Shown before the steps: the first line of the run.
    assert ran.output.splitlines()[0].startswith("Dask dashboard: ")
    with urllib.request.urlopen(found[0], timeout=30) as answer:
        assert answer.status == 200
        assert b"Dask" in answer.read()


def test_json_lines_keep_stdout_to_events_and_the_link_goes_to_stderr(
    make_project: ProjectFactory, watched: Any
) -> None:
    config = _project(make_project, "{type: dask, shared_filesystem: true}")
    ran = CliRunner().invoke(
        cli,
        ["run", str(config), "--address", watched.scheduler_address, "--log-format", "json"],
    )
    assert ran.exit_code == 0, ran.output + ran.stderr
    for line in ran.stdout.splitlines():
        json.loads(line)
    assert LINK.findall(ran.stderr) == [watched.dashboard_link]


def test_a_secret_in_the_link_is_masked(
    make_project: ProjectFactory, watched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link template that carries a token (as JupyterHub's prefix does) from the
    environment: the config reads the same variable, so it is a secret, never shown."""
    import dask

    monkeypatch.setenv("DASHBOARD_TOKEN", "s3cr3t-t0ken")
    config = _project(
        make_project,
        "{type: dask, shared_filesystem: true}",
        'params: {token: "${env.DASHBOARD_TOKEN}"}',
    )
    template = "{scheme}://{host}:{port}/status?token={DASHBOARD_TOKEN}"
    with dask.config.set({"distributed.dashboard.link": template}):
        ran = CliRunner().invoke(cli, ["run", str(config), "--address", watched.scheduler_address])
    assert ran.exit_code == 0, ran.output + ran.stderr
    assert "s3cr3t-t0ken" not in ran.output + ran.stderr
    assert "/status?token=***" in ran.output


def test_a_cluster_class_with_a_dashboard_shows_it(make_project: ProjectFactory) -> None:
    cluster = (
        "{class: distributed.LocalCluster, options: {n_workers: 1, threads_per_worker: 1, "
        'dashboard_address: "127.0.0.1:0"}}'
    )
    config = _project(make_project, f"{{type: dask, cluster: {cluster}, shared_filesystem: true}}")
    ran = CliRunner().invoke(cli, ["run", str(config)])
    assert ran.exit_code == 0, ran.output + ran.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/status", LINK.findall(ran.output)[0])


@pytest.mark.parametrize(
    "executor",
    [
        "{type: dask, workers: 1}",  # the local cluster pipeflow starts: no dashboard
        "{type: threads}",
    ],
    ids=["local-dask", "threads"],
)
def test_no_dashboard_nothing_shown(make_project: ProjectFactory, executor: str) -> None:
    config = _project(make_project, executor)
    ran = CliRunner().invoke(cli, ["run", str(config)])
    assert ran.exit_code == 0, ran.output + ran.stderr
    assert "dashboard" not in (ran.output + ran.stderr).lower()
