"""Fixtures of the history tests: no $PIPEFLOW_HOME from the environment leaks in."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_pipeflow_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)
