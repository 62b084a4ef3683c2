"""A config's `executor:` for each executor a test runs its steps on: Dask as the test
session's cluster at an address (the `dask_address` fixture), its workers sharing this
machine's disk, so they import the steps from the project."""

from __future__ import annotations

import pytest

EXECUTORS = ("sequential", "threads", "processes", "dask")


def executor_spec(executor: str, request: pytest.FixtureRequest) -> str:
    """The `executor:` mapping, in flow style (YAML), for one of `EXECUTORS`."""
    if executor != "dask":
        return f"{{type: {executor}}}"
    address = request.getfixturevalue("dask_address")
    return f'{{type: dask, address: "{address}", shared_filesystem: true}}'
