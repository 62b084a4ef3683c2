"""Fixtures of the execution tests: a real S3 server per session (the remote cluster's store),
and the two-worker local Dask cluster the dask tests share (`tests/clusters.py`)."""

from __future__ import annotations

import pytest

from tests.clusters import SharedCluster, local_cluster
from tests.servers import gcs_server, s3_auth_server, s3_server

__all__ = ["dask_address", "gcs_server", "local_cluster", "s3_auth_server", "s3_server"]


@pytest.fixture(scope="module")
def dask_address(shared_dask_cluster: SharedCluster) -> str:
    """The address of a `local_cluster()` for the tests of one module: the test process's
    shared one, when it is ready, idle and as a new one would be (`tests/clusters.py`)."""
    return shared_dask_cluster.address()
