"""The dask executor's cluster and client: a scheduler at an address (a client, or a clear
error within seconds), a cluster started from its class (`executor.cluster`), or a local one;
for workers that share no filesystem with this machine, the run's code sent to them; and the
client and cluster closed after the run."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pipeflow.errors import PipeflowError
from pipeflow.execute.executors.dask.compatibility import check_workers
from pipeflow.execute.executors.dask.protocol import CLAIMS
from pipeflow.execute.executors.dask.stopping import tolerate_unknown_removals
from pipeflow.execute.executors.main_module import main_unseen
from pipeflow.execute.shipping import Packer, Project
from pipeflow.model.pipeline import CLUSTER_MODULES, ClusterConfig

logger = logging.getLogger(__name__)

MISSING = (
    "executor `dask` needs the `distributed` package: "
    "pip install 'pipeflow-runner[dask]' (or 'dask[distributed]')"
)
CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler at `address`
WORKERS_TIMEOUT = 4.0  # seconds to wait for a scheduler without workers to get one


def connect(distributed: Any, address: str) -> Any:
    """A client of the scheduler at `address`, or a PipeflowError saying what to do."""
    what_to_do = (
        "start a scheduler and workers there (`dask scheduler`, then `dask worker ADDRESS`), "
        "correct `executor.address` (or `--address`), or leave the address out to start a "
        "local cluster for the run"
    )
    refused = _refused(address)
    if refused is not None:
        raise PipeflowError(f"no Dask scheduler answers at `{address}` ({refused}); {what_to_do}")
    if address.startswith("tls://"):
        what_to_do = (
            "give this machine Dask's TLS settings for it (`distributed.comm.tls.*` in the "
            f"Dask config: CA file and client certificate and key), or {what_to_do}"
        )
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except Exception as error:  # a TLS address without TLS settings is a TypeError in Dask
        raise PipeflowError(
            f"could not connect to a Dask scheduler at `{address}` within "
            f"{CONNECT_TIMEOUT:g}s ({type(error).__name__}: {error}); {what_to_do}"
        ) from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except (OSError, TimeoutError) as error:
        client.close()
        raise PipeflowError(
            f"the Dask scheduler at `{address}` has no workers ({error}); start some "
            f"(`dask worker {address}`)"
        ) from None
    return client


def _refused(address: str) -> str | None:
    """Why nothing can listen at a `tcp://host:port` address (refused, no such host), or None."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp":
        return None
    try:
        host, port = parts.hostname, parts.port
    except ValueError as error:
        return str(error)
    if not host or port is None:
        return None
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            return None
    except ConnectionRefusedError:
        return "connection refused"
    except socket.gaierror as error:
        return f"unknown host `{host}`: {error}"
    except OSError:
        return None  # a timeout, say: let the client try and report


def start_cluster(cluster: ClusterConfig) -> Any:
    """A cluster of the configured class, started and scaled, or a PipeflowError.

    Validation has checked the class's package (`CLUSTER_MODULES` or `allow_imports`); the
    module is imported only here, so `validate` needs no dask-jobqueue."""
    import importlib

    module_name, _, class_name = cluster.class_path.rpartition(".")
    top = module_name.split(".")[0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        hint = f"pip install {top.replace('_', '-')}" if top in CLUSTER_MODULES else "install it"
        raise PipeflowError(
            f"executor.cluster: cannot import `{module_name}` ({error}); {hint} on this machine"
        ) from None
    factory = getattr(module, class_name, None)
    if not isinstance(factory, type):
        raise PipeflowError(f"executor.cluster: `{cluster.class_path}` is not a class")
    try:
        with main_unseen():  # a class that spawns local processes (LocalCluster) too
            started = tolerate_unknown_removals(factory(**dict(cluster.options)))
    except Exception as error:
        raise PipeflowError(
            f"executor.cluster: starting `{cluster.class_path}` failed: {_with_causes(error)}; "
            "check `executor.cluster.options` against the class's arguments"
        ) from None
    if cluster.scale is not None:
        try:
            started.scale(cluster.scale)
        except Exception as error:
            started.close()
            raise PipeflowError(
                f"executor.cluster: scaling `{cluster.class_path}` to {cluster.scale} workers "
                f"failed: {_with_causes(error)}"
            ) from None
    return started


def _with_causes(error: BaseException) -> str:
    """`Type: message` of the error and of each error it was raised from or during: Dask
    wraps what went wrong on starting ("Nanny failed to start.") and chains the cause (a
    keyword argument no part of the cluster takes)."""
    said: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{type(current).__name__}: {current}" if str(current) else type(current).__name__
        if text not in said:
            said.append(text)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return said[0] + "".join(f" (from {text})" for text in said[1:])


@dataclass
class Opened:
    client: Any
    cluster: Any  # started for the run (closed after it), or None for one at an address
    packer: Packer | None  # what sends the run's code and files, for workers apart


def open_cluster(
    *,
    workers: int | None,
    address: str | None,
    threads_per_worker: int | None,
    shared_filesystem: bool,
    project: Project | None,
    cluster: ClusterConfig | None,
) -> Opened:
    """The client of the run's cluster: at `address`, started from `cluster`, or a local
    cluster of `workers` processes; with the run's code sent (`project`) to a cluster at an
    address or of a class, unless `shared_filesystem`."""
    try:
        import distributed
    except ImportError:
        from pipeflow.execute.executors import ExecutorUnavailable

        raise ExecutorUnavailable(MISSING) from None
    started: Any = None
    packer: Packer | None = None
    if address or cluster is not None:
        if address:
            client = connect(distributed, address)
        else:
            assert cluster is not None
            started = start_cluster(cluster)
            try:
                client = distributed.Client(started)  # type: ignore[no-untyped-call]
            except BaseException:
                started.close()
                raise
        where = (
            f"the Dask workers at `{address}`"
            if address
            else f"the Dask workers of `{cluster.class_path if cluster else ''}`"
        )
        try:
            if project is not None and not shared_filesystem:
                packer = _ship(client, project, where)
            else:  # the same files there, but maybe another Python or pipeflow (or none)
                check_workers(client, {}, where)
        except BaseException:
            client.close()
            if started is not None:
                started.close()
            raise
    else:
        from pipeflow.execute.executors.dask.ctrl_c import held

        # Its worker processes are started (spawned) before it returns: they must not run
        # the script that started the run again (`main_module`), nor die of a Ctrl-C before
        # they leave it to the run (`ctrl_c.py`).
        with main_unseen(), held():
            local = distributed.LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=threads_per_worker or 1,
                processes=True,
                dashboard_address=None,
                # Without this the scheduler's HTTP server (metrics) wants port 8787, and
                # warns when another cluster has it.
                scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,  # not a warning per cancelled task or restart
            )
        started = tolerate_unknown_removals(local)
        client = distributed.Client(started)  # type: ignore[no-untyped-call]
    if started is not None:  # its workers may share this terminal's Ctrl-C
        from pipeflow.execute.executors.dask.ctrl_c import CtrlCLeftToTheRun

        try:
            client.register_plugin(CtrlCLeftToTheRun())
        except Exception as error:  # no pipeflow on its workers: they will say so
            logger.debug("the Ctrl-C plugin could not be registered: %s", error)
    return Opened(client, started, packer)


def close_cluster(client: Any, cluster: Any, topic: str) -> None:
    """Close the run's client, and the cluster started for the run (None: one at an address,
    which stays), with the claims of the run's tasks (`worker.run_task`) dropped."""
    try:
        with contextlib.suppress(Exception):  # a None stays
            client.set_metadata([CLAIMS, topic], None)
        # Unsubscribe first: the scheduler would report this client's own leaving to it.
        for name in (topic, "all"):
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(name)
        client.close(timeout=10)
    finally:
        if cluster is not None:
            cluster.close(timeout=10)


def dashboard_link(client: Any) -> str | None:
    """The link to the scheduler's dashboard, or None when it has none (`--no-dashboard`, a
    local cluster of pipeflow's, no bokeh where the scheduler runs).

    A scheduler always runs an HTTP server (metrics, health), which its services list as
    "dashboard": whether the dashboard itself (bokeh's) is served is asked of the scheduler;
    one that cannot tell (no pipeflow there) is taken at its word."""
    try:
        if "dashboard" not in client.scheduler_info().get("services", {}):
            return None
        link = client.dashboard_link
    except Exception:  # no answer: no link, the run goes on
        return None
    try:
        served = bool(client.run_on_scheduler(_serves_dashboard))
    except Exception:
        served = True
    return str(link) if link and served else None


def _serves_dashboard(dask_scheduler: Any) -> bool:
    """On the scheduler (`Client.run_on_scheduler`): whether its HTTP server has the bokeh
    dashboard application (`distributed.dashboard.scheduler.connect` adds it)."""
    application = getattr(dask_scheduler, "http_application", None)
    return bool(getattr(application, "applications", None))


def _ship(client: Any, project: Project, workers: str) -> Packer:
    """The run's code checked against the workers' versions, then sent (what is new)."""
    packer = Packer(project)
    check_workers(client, packer.versions, workers)
    packer.send_code()
    return packer
