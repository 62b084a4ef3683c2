"""What the root checks call the places results go and the workers that store there: whether
a root is a folder on this machine or one process's memory, and the messages that refuse a
root the run's workers cannot share (`targets.py`, `api/cluster.py`, `api/running.py`)."""

from __future__ import annotations

from pipeflow.model.pipeline import ClusterConfig

_LOCAL = ("file://", "local://")  # fsspec's two names of the local filesystem
OUT_OF_PROCESS = ("processes", "dask")  # executors whose steps run in other processes


def is_local(url: str) -> bool:
    """Whether a store URL is a folder on this machine: a path (`~` too), or a `file://` or
    `local://` URL."""
    return "://" not in url or url.startswith(_LOCAL)


def is_memory(url: str) -> bool:
    """Whether a store URL is fsspec's memory filesystem (of one process), chained or not."""
    return any(link.partition("://")[0] == "memory" for link in url.split("::"))


def executor_workers(kind: str, address: str | None, cluster: ClusterConfig | None) -> str:
    """The processes an out-of-process executor runs steps in, as messages name them."""
    if kind == "processes":
        return "the worker processes of the `processes` executor"
    if address or cluster is not None:
        return workers_of(address, cluster)
    return "the worker processes of the local Dask cluster started for the run"


def in_memory_root(root: str, workers: str) -> str:
    return (
        f"the results root {root} is the memory of this pipeflow process, which {workers} "
        "do not share: what they store there is lost, and nothing is ever cached; run on the "
        "`sequential` or `threads` executor, or put results in a folder or on an object "
        "store (`s3://...`, `gs://...`)"
    )


def workers_of(address: str | None, cluster: ClusterConfig | None) -> str:
    """The Dask workers a run goes to, as messages name them."""
    if address:
        return f"the Dask workers at `{address}`"
    return f"the Dask workers of `{cluster.class_path if cluster else 'the cluster'}`"


def unreachable_root(root: str, workers: str) -> str:
    return (
        f"the results root {root} is a folder on this machine, which {workers} cannot reach; "
        "put results on a store they reach (`s3://...`, `gs://...`), or set "
        "`executor.shared_filesystem: true` if they see this folder at the same path"
    )
