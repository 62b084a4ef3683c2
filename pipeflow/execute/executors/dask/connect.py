"""Reaching a Dask scheduler at an address (a client, or a clear error within seconds), or
starting a cluster from its class (`executor.cluster`)."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

from pipeflow.errors import PipeflowError
from pipeflow.model.pipeline import CLUSTER_MODULES, ClusterConfig

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
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
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
        started = factory(**dict(cluster.options))
    except Exception as error:
        raise PipeflowError(
            f"executor.cluster: starting `{cluster.class_path}` failed: "
            f"{type(error).__name__}: {error}"
        ) from None
    if cluster.scale is not None:
        try:
            started.scale(cluster.scale)
        except Exception as error:
            started.close()
            raise PipeflowError(
                f"executor.cluster: scaling `{cluster.class_path}` to {cluster.scale} workers "
                f"failed: {type(error).__name__}: {error}"
            ) from None
    return started
