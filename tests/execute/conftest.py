"""Fixtures of the execution tests: the two-worker local Dask cluster the dask tests share
(`tests/clusters.py`). The real S3 server (the remote cluster's store) is the root conftest's."""

from __future__ import annotations

import pytest

from tests.clusters import SharedCluster, local_cluster

__all__ = ["dask_address", "local_cluster"]


@pytest.fixture(scope="module")
def dask_address(shared_dask_cluster: SharedCluster) -> str:
    """The address of a `local_cluster()` for the tests of one module: the test process's
    shared one, when it is ready, idle and as a new one would be (`tests/clusters.py`)."""
    return shared_dask_cluster.address()
