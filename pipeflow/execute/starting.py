"""What a run needs before it starts: its id, its params resolved, and its executor.

`${run.*}` is filled here and a missing `${env.*}` is a config error (exit 2) rather than a
failed step; an executor that cannot be made (a missing extra) is a config error too, as is an
address given to an executor that takes none, and a number of workers given for a run on a Dask
cluster it does not start (one at an address, or of a `cluster` class), or for a sequential
run (more than one: a usage error).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pipeflow.errors import ConfigError, Problem, UsageError
from pipeflow.execute.context import env_lookup
from pipeflow.execute.executors import Executor, ExecutorUnavailable, create_executor
from pipeflow.execute.step_files import ReferenceFailure
from pipeflow.model.addresses import EXAMPLE, address_problem
from pipeflow.model.pipeline import (
    ClusterConfig,
    ExecutorConfig,
    given_executor_problem,
    too_many_processes,
    too_many_processes_said,
)
from pipeflow.model.refs import Ref, lookup_path, resolve


def new_run_id(started: datetime) -> str:
    """Sortable and unique: `20261122-014501-3fa2c1`."""
    return f"{started:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class RunStart:
    """Resolves `${params.*}`, `${env.*}` and `${run.*}` before the run starts."""

    def __init__(self, run_id: str, started: datetime, params: Mapping[str, Any]) -> None:
        self.run_id = run_id
        self.started = started
        self.params: dict[str, Any] = {}
        # The loader filled `${env.*}` in param defaults; `${run.*}` is filled here.
        self.params = resolve(dict(params), self.lookup)

    @classmethod
    def now(cls, params: Mapping[str, Any]) -> RunStart:
        """A start at this moment, with a new run id."""
        started = datetime.now().astimezone()
        return cls(new_run_id(started), started, params)

    def lookup(self, ref: Ref) -> Any:
        if ref.scope == "params":
            return lookup_path(self.params, ref.path)
        if ref.scope == "run":
            return self.run_id if ref.path[0] == "id" else self.started
        if ref.scope == "env":
            try:
                return env_lookup(ref)
            except ReferenceFailure as error:
                raise ConfigError(
                    [
                        Problem(
                            message=str(error),
                            hint=f"set it, or give a default: `${{env.{ref.path[0]}:-VALUE}}`",
                        )
                    ]
                ) from None
        return ref.text


def executor_options(
    kind: str, configured: ExecutorConfig, *, workers: int | None, address: str | None
) -> dict[str, Any]:
    """The options to make a `kind` executor with: the run's, else the config's."""
    unknown = given_executor_problem(kind)  # the config's is validated: this is the run's
    if unknown is not None:
        raise UsageError(unknown.message, hint=unknown.hint)
    if address is not None and not address.strip():  # `--address "$ADDR"`, ADDR unset
        raise UsageError(
            "`--address` is empty: it names no Dask scheduler",
            hint="give the scheduler's address, e.g. `--address tcp://scheduler:8786`, or "
            "leave it out to use the config's `executor`",
        )
    problem = address_problem(address) if address else None
    if problem is not None:
        raise UsageError(
            f"`--address {address}` (`address=` in Python) is no Dask scheduler address: {problem}",
            hint=f"write it as `PROTOCOL://HOST:PORT`, e.g. `--address {EXAMPLE}`",
        )
    if kind == "sequential" and workers is not None and workers > 1:
        raise UsageError(
            f"`--workers {workers}` (`workers=` in Python) asks for {workers} steps at once, "
            "and the `sequential` executor runs one step at a time",
            hint="add `--executor threads` (or `processes`, `dask`), or leave `--workers` out",
        )
    options: dict[str, Any] = {"workers": workers or configured.workers}
    elsewhere = False
    if kind == "dask":
        options["address"] = address or configured.address
        # An address given for the run wins over a cluster the config would start.
        options["cluster"] = None if address else configured.cluster
        options["threads_per_worker"] = configured.threads_per_worker
        elsewhere = bool(options["address"] or options["cluster"])
        if workers is not None and elsewhere:
            raise UsageError(*_unsized(options["address"], options["cluster"]))
    elif address:
        raise ConfigError(
            [
                Problem(
                    message=f"an address is for the `dask` executor, not `{kind}`",
                    hint="add `--executor dask` (or set `executor.type: dask`)",
                )
            ]
        )
    if too_many_processes(kind, options["workers"], cluster_elsewhere=elsewhere):
        # The config's own number is refused by `validate` for its own executor: here it
        # meets an executor given for the run.
        asked = (
            f"`--workers {workers}` (`workers=` in Python)"
            if workers
            else f"`executor.workers`, with `{kind}` given for the run,"
        )
        message, hint = too_many_processes_said(kind, options["workers"])
        raise UsageError(f"{asked} {message}", hint=hint)
    return options


def _unsized(address: str | None, cluster: ClusterConfig | None) -> tuple[str, str]:
    """What to say of a number of workers given for a run on a cluster it does not start."""
    said = "`--workers` (`workers=` in Python) sizes a local Dask cluster started for the run"
    if address:
        return (
            f"{said}; the cluster at `{address}` has the workers started there",
            f"leave it out; to have more workers, start them there (`dask worker {address}`)",
        )
    assert cluster is not None
    return (
        f"{said}; `{cluster.class_path}` of `executor.cluster` is sized by its `scale`",
        "leave it out, and set the number of workers in `executor.cluster.scale`",
    )


def open_executor(kind: str, options: Mapping[str, Any]) -> Executor:
    """The executor, or a config error saying what to install."""
    try:
        return create_executor(kind, **options)
    except ExecutorUnavailable as error:
        raise ConfigError([Problem(message=str(error), path="executor.type")]) from None
