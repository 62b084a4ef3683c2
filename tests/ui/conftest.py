"""Fixtures of the UI tests: recorded histories, apps over them, and a failing project."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeflow.history import Recorder
from pipeflow.ui.app import Settings, create_app
from tests.history.synthetic import T0, record, run_events

BASE = "http://127.0.0.1:8080"  # a loopback Host, as a browser sends it

ClientFactory = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def _no_pipeflow_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)
    monkeypatch.delenv("PIPEFLOW_UI_TOKEN", raising=False)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    clients: list[TestClient] = []

    def make(
        configs: dict[str, Path] | None = None,
        *,
        home: Path | None = None,
        token: str | None = None,
        loopback_only: bool = True,
    ) -> TestClient:
        settings = Settings(
            configs=configs or {}, home=home, token=token, loopback_only=loopback_only
        )
        client = TestClient(create_app(settings), base_url=BASE, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A history home with three runs: two of `demo` (one failed) and one of `etl`."""
    home = tmp_path / "home"
    recorder = Recorder(home=home)
    record(recorder, run_events("20260301-120000-aaaaaa", started=T0))
    record(
        recorder,
        run_events("20260301-130000-bbbbbb", started=T0 + timedelta(hours=1), fail=True),
    )
    record(
        recorder,
        run_events("20260301-140000-cccccc", pipeline="etl", started=T0 + timedelta(hours=2)),
    )
    return home


FAILING_CONFIG = """\
name: breaks
params: {count: 3}
steps:
  prepare:
    run: steps_breaking.prepare
    inputs: {count: "${params.count}"}
  explode:
    run: steps_breaking.explode
    inputs: {values: "${steps.prepare}"}
"""

FAILING_STEPS = """\
def prepare(count):
    print("preparing", count, "values")
    return list(range(count))


def explode(values):
    raise ValueError(f"cannot handle {len(values)} values")
"""


@pytest.fixture
def failing_project(tmp_path: Path) -> Path:
    """A two-step pipeline whose second step raises; returns its config."""
    folder = tmp_path / "breaks"
    folder.mkdir()
    (folder / "steps_breaking.py").write_text(textwrap.dedent(FAILING_STEPS), encoding="utf-8")
    config = folder / "pipeline.yaml"
    config.write_text(FAILING_CONFIG, encoding="utf-8")
    return config
