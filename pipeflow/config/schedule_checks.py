"""Checks of when and where a pipeline runs: its `schedules:` and its `executor:` (its type,
its cluster class, and no size given to a cluster that a run does not start).

Cron expressions, time zones, intervals and `start`/`end` windows are judged by the
`schedule` package's own rules (so `validate` and `serve` agree). A schedule's params are
checked where params are merged (`loader.py`), as the runs it starts get them.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pipeflow.config.cluster_options import check_cluster_options
from pipeflow.config.reader import Fail
from pipeflow.config.suggest import did_you_mean, listing
from pipeflow.importing.classes import CLUSTER_EXAMPLES, cluster_class_problem
from pipeflow.model.addresses import EXAMPLE, address_problem
from pipeflow.model.durations import FIRST_YEAR, LAST_YEAR
from pipeflow.model.pipeline import (
    AVAILABLE_EXECUTORS,
    CLUSTER_MODULES,
    EXECUTOR_TYPES,
    Pipeline,
    too_many_processes,
    too_many_processes_said,
)


def check_schedules(pipeline: Pipeline, fail: Fail) -> None:
    """Every schedule fires (cron, interval), in a known zone, in a window that is open."""
    if not pipeline.schedules:
        return
    # The schedule package only for a config with schedules, and of it only what each needs:
    # a cron alone needs no time zone (zoneinfo), a plain one not even croniter.
    from pipeflow.schedule.cron import cron_problem

    for index, schedule in enumerate(pipeline.schedules):
        path: list[str | int] = ["schedules", index]
        if schedule.cron is not None:
            cron_found = cron_problem(schedule.cron)
            if cron_found:
                fail([*path, "cron"], *cron_found)
        zone = None
        if schedule.timezone is not None:
            from pipeflow.schedule.triggers import timezone_problem

            zone_problem = timezone_problem(schedule.timezone)
            if zone_problem:
                fail([*path, "timezone"], *zone_problem)
            zone = None if zone_problem else schedule.timezone
        moments: dict[str, datetime] = {}
        for field in ("start", "end"):
            text = getattr(schedule, field)
            if text is None:
                continue
            from pipeflow.schedule.zones import parse_moment, zone_for

            try:  # a time without an offset is read in the schedule's zone
                moment = parse_moment(text, zone_for(zone))
            except (ValueError, OverflowError):
                fail(
                    [*path, field],
                    f"`{field}` must be an ISO 8601 date or time, got {text!r}",
                    "e.g. `2026-01-01` or `2026-01-01T06:00:00+01:00`",
                )
                continue
            try:
                year = moment.astimezone(timezone.utc).year
            except OverflowError:  # its UTC time is past the first or the last year there is
                year = LAST_YEAR + 1 if moment.year > LAST_YEAR else FIRST_YEAR - 1
            if year < FIRST_YEAR:
                fail(
                    [*path, field],
                    f"`{field}` must be in the year {FIRST_YEAR} or later (in UTC), got {text!r}",
                    f"write a moment in {FIRST_YEAR} or later (fire times before it are "
                    "out of range)",
                )
                continue
            if year > LAST_YEAR:
                fail(
                    [*path, field],
                    f"`{field}` must be before the year {LAST_YEAR + 1}, got {text!r}",
                    f"write a moment in {LAST_YEAR} or earlier (fire times after it are "
                    "out of range)",
                )
                continue
            moments[field] = moment
        if "start" in moments and "end" in moments:
            from pipeflow.schedule.triggers import window_problem

            window = window_problem(moments["start"], moments["end"])
            if window:
                fail([*path, "end"], window)


def check_executor(pipeline: Pipeline, fail: Fail) -> None:
    """The executor is one pipeflow knows and this version ships."""
    kind = pipeline.executor.type
    if kind not in EXECUTOR_TYPES:
        fail(
            ["executor", "type"],
            f"unknown executor `{kind}`",
            did_you_mean(kind, EXECUTOR_TYPES) or listing("executors", EXECUTOR_TYPES),
        )
    elif kind not in AVAILABLE_EXECUTORS:
        fail(
            ["executor", "type"],
            f"executor `{kind}` is not available in this version of pipeflow",
            "use " + ", ".join(f"`{name}`" for name in AVAILABLE_EXECUTORS),
        )
    address = pipeline.executor.address
    if address is not None and "${" in address:
        fail(
            ["executor", "address"],
            "`executor.address` is used as written: it takes no `${...}` reference",
            "give the scheduler's address itself, or give it for the run from the environment: "
            '`pipeflow run CONFIG --address "$DASK_ADDRESS"` (in Python, `run(address=...)`)',
        )
    elif address and address_problem(address):
        fail(
            ["executor", "address"],
            f"`{address}` is no Dask scheduler address: {address_problem(address)}",
            f"write it as `PROTOCOL://HOST:PORT`, e.g. `{EXAMPLE}`",
        )
    check_cluster(pipeline, fail)
    check_sizes(pipeline, fail)


def check_sizes(pipeline: Pipeline, fail: Fail) -> None:
    """`workers` past what pipeflow starts as processes on one machine; `workers` and
    `threads_per_worker` size the local Dask cluster a run starts: beside an
    `address` (a running cluster) or a `cluster` class (sized by its `scale`) they would
    silently do nothing."""
    executor = pipeline.executor
    elsewhere = bool(executor.address or executor.cluster)
    if too_many_processes(executor.type, executor.workers, cluster_elsewhere=elsewhere):
        assert executor.workers is not None
        message, hint = too_many_processes_said(executor.type, executor.workers)
        fail(["executor", "workers"], f"`workers: {executor.workers}` {message}", hint)
    _check_local_cluster(pipeline, fail)
    if executor.type != "dask" or not elsewhere:
        return
    for field in ("workers", "threads_per_worker"):
        if getattr(executor, field) is None:
            continue
        if executor.address:
            fail(
                ["executor", field],
                f"`{field}` sizes a local Dask cluster started for the run; the cluster at "
                f"`{executor.address}` has the workers started there",
                f"remove `{field}` (or `address`, to start a local cluster for the run)",
            )
        elif field == "workers":
            fail(
                ["executor", field],
                "`workers` sizes a local Dask cluster started for the run; a `cluster` class "
                "is sized by its `scale`",
                "remove `workers` and set `cluster.scale` to the number of workers",
            )
        else:
            fail(
                ["executor", field],
                "`threads_per_worker` sizes a local Dask cluster started for the run; a "
                "`cluster` class takes its own keyword arguments in `options`",
                "remove it, and give the class its option for threads in `cluster.options` "
                "(e.g. `threads_per_worker` for `distributed.LocalCluster`, `cores` for "
                "`dask_jobqueue` classes)",
            )


# `executor.cluster` classes whose workers are processes of this machine.
LOCAL_CLUSTERS = frozenset({"distributed.LocalCluster", "distributed.deploy.local.LocalCluster"})


def _check_local_cluster(pipeline: Pipeline, fail: Fail) -> None:
    """A local cluster class sized past what pipeflow starts as processes on one machine (its
    `scale`, or its `n_workers` option), as `workers` is checked."""
    cluster = pipeline.executor.cluster
    if pipeline.executor.type != "dask" or cluster is None:
        return
    if cluster.class_path not in LOCAL_CLUSTERS:
        return
    sizes = {("scale",): cluster.scale, ("options", "n_workers"): cluster.options.get("n_workers")}
    for where, size in sizes.items():
        if isinstance(size, int) and too_many_processes("dask", size, cluster_elsewhere=False):
            message, hint = too_many_processes_said("dask", size)
            fail(["executor", "cluster", *where], f"`{where[-1]}: {size}` {message}", hint)


def check_cluster(pipeline: Pipeline, fail: Fail) -> None:
    """`executor.cluster`: only for dask, not beside an address, and a class pipeflow may start."""
    executor = pipeline.executor
    cluster = executor.cluster
    if cluster is None:
        return
    if executor.type != "dask":
        fail(["executor", "cluster"], "a cluster is for the `dask` executor")
    if executor.address:
        fail(
            ["executor", "cluster"],
            "`address` connects to a running cluster and `cluster` starts one: give one",
        )
    check_cluster_options(pipeline, fail)
    path = cluster.class_path
    allowed = path.split(".")[0] in CLUSTER_MODULES or any(
        path == entry or path.startswith(entry + ".") for entry in pipeline.allow_imports
    )
    if not allowed:
        fail(
            ["executor", "cluster", "class"],
            f"`{path}` is not a cluster class pipeflow starts without being told to",
            "use a class of "
            + ", ".join(f"`{name}`" for name in sorted(CLUSTER_MODULES))
            + f", or list `{path}` in `allow_imports`",
        )
        return
    # Decided from the package's source: nothing the config names is imported to check it.
    problem = cluster_class_problem(path)
    if problem is not None:
        fail(
            ["executor", "cluster", "class"],
            problem,
            f"name a Dask cluster class by its module and name, e.g. {CLUSTER_EXAMPLES}",
        )
