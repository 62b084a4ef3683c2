"""Fixtures of the execution tests: a real S3 server per session (the remote cluster's store),
and the two-worker local Dask cluster the dask tests share per module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import gcs_server, s3_auth_server, s3_server

__all__ = ["dask_address", "gcs_server", "local_cluster", "s3_auth_server", "s3_server"]


def local_cluster() -> Any:
    """A `distributed.LocalCluster` of two single-threaded worker processes, no dashboard,
    errors-only logs: reached by its address, as a remote cluster would be."""
    import distributed

    from pipeflow.execute.executors.dask.stopping import tolerate_unknown_removals

    # As pipeflow's own clusters: a worker a test restarted must not fail the cluster's close.
    return tolerate_unknown_removals(
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=40,  # errors only
        )
    )


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """The address of a `local_cluster()` shared by the tests of one module."""
    cluster = local_cluster()
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
