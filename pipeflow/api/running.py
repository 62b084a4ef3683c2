"""Running a loaded pipeline once its options are checked: the executor opened, the steps
planned, the engine run with the subscribers and the history recorder listening."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from os import PathLike
from typing import TYPE_CHECKING

from pipeflow.api import unstarted
from pipeflow.api.listeners import Listeners, Subscriber
from pipeflow.api.preparing import MissingResults, for_store, is_stale, prepared, stale_results
from pipeflow.api.unstarted import recorded_if_unstarted
from pipeflow.config.worker_roots import OUT_OF_PROCESS, workers_of
from pipeflow.errors import Interrupted
from pipeflow.execute import ctrl_c
from pipeflow.execute.context import RunSettings
from pipeflow.execute.engine import Engine
from pipeflow.execute.outcome import Run
from pipeflow.execute.starting import RunStart, executor_options, open_executor
from pipeflow.importing import refresh_projects, remember_imported
from pipeflow.model.run import Action

if TYPE_CHECKING:
    from pipeflow.api.pipeline import Pipeline


def execute(
    pipeline: Pipeline,
    *,
    executor: str | None,
    workers: int | None,
    address: str | None,
    results: str | PathLike[str] | None,
    keep_going: bool,
    force: Iterable[str] | str | bool | None,
    no_cache: bool,
    only: Iterable[str] | str | None,
    start: str | None,
    until: str | None,
    tags: Iterable[str] | str | None,
    frozen: bool,
    subscribers: Sequence[Subscriber],
    trigger: str,
    history: bool,
    on_dashboard: Callable[[str], None] | None,
) -> Run:
    """`Pipeline.run` with its options checked and its params already applied."""
    # SIGTERM stops the run as Ctrl-C does from here on, the executor's start included.
    with ctrl_c.noting():
        # A step module edited since this process imported it (a notebook) is imported afresh:
        # the code that runs is the code the keys are computed from.
        refresh_projects()
        pipeline = for_store(pipeline, results)
        definition = pipeline.definition
        secrets = pipeline.loaded.secrets
        context = RunStart.now(pipeline.loaded.params)
        kind = definition.executor.type if executor is None else executor  # "" is no type
        configured = definition.executor
        options = executor_options(kind, configured, workers=workers, address=address)
        # A run that fails before its first step is recorded (`unstarted.py`).
        with recorded_if_unstarted(
            pipeline, context, trigger=trigger, history=history, subscribers=subscribers
        ):
            # A process pool starts its workers in the background: start it first, so they are
            # ready when planning ends. A Dask cluster takes seconds to start and would hold
            # back the report of a mistake found while planning: it starts after, and only if a
            # step is to run or a task needs a worker.
            runner = open_executor(kind, options) if kind != "dask" else None
            try:
                try:
                    planner, hashes, decisions = prepared(
                        pipeline,
                        context,
                        force=force,
                        no_cache=no_cache,
                        only=only,
                        start=start,
                        until=until,
                        tags=tags,
                        results=results,
                        frozen=frozen,
                    )
                except MissingResults as missing:
                    if frozen:  # results the selection needs are stale: --frozen's exit 3
                        raise stale_results(pipeline.name, missing.reasons) from None
                    raise
                if kind in OUT_OF_PROCESS:  # their runs only: a sequential run does not load it
                    from pipeflow.api.cluster import refuse_memory_stores

                    refuse_memory_stores(definition, planner, kind, options, results=results)
                hashes.save()
                if frozen:
                    stale = {d.step: d.reason for d in decisions if is_stale(d)}
                    if stale:
                        raise stale_results(pipeline.name, stale, decisions)
            except BaseException:
                if runner is not None:
                    runner.shutdown(cancel=True)
                raise
            settings = RunSettings(
                run_id=context.run_id,
                started=context.started,
                params=context.params,
                keep_going=keep_going,
                secrets=secrets,
                frozen=frozen,
            )
            if runner is None:
                remote = options.get("address") or options.get("cluster")
                if kind == "dask" and remote and not configured.shared_filesystem:
                    from pipeflow.api.cluster import cluster_project  # a remote cluster's runs only

                    named = workers_of(options["address"], options["cluster"])
                    options["project"] = cluster_project(
                        definition, planner, named, results=results
                    )
                options["on_dashboard"] = on_dashboard
                runner = open_executor(kind, options)
                opening = getattr(runner, "open", None)
                if opening is not None and any(d.action is Action.RUN for d in decisions):
                    # A step is to run: a cluster nobody answers at stops the run before it
                    # starts. With nothing to run it is reached only if a task needs it
                    # (`dask/deferred.py`). Ctrl-C or SIGTERM meanwhile lets it finish (a cluster
                    # cut short while it starts prints tracebacks, or swallows the interrupt),
                    # then stops the run.
                    with ctrl_c.held() as came:
                        try:
                            opening()
                        except BaseException:
                            runner.shutdown(cancel=True)
                            if not came:  # interrupted, it may have failed for that: the run stops
                                raise
                    settings = replace(settings, interrupted=bool(came))

        listeners = list(subscribers)
        recorder = unstarted.recorder(pipeline, trigger) if history else None
        if recorder is not None:
            listeners.append(recorder)

        # A step's small result may still be held in memory when it finishes (`storage/journal.py`):
        # it is written before a subscriber learns of it, unless every subscriber writes it itself
        # before it tells anyone (`settles_results`: the reporters and the history do).
        settling = any(not getattr(s, "settles_results", False) for s in listeners)
        # A subscriber that raises is reported and the run goes on (`listeners.py`).
        emit = Listeners(listeners, settling=settling)

        engine = Engine(
            definition,
            pipeline.graph,
            planner,
            decisions,
            settings,
            executor=runner,
            emit=emit,
        )
        try:
            result = engine.run()
        finally:
            remember_imported()  # a module a step imported itself, with the file it came from
            if recorder is not None:
                recorder.close()
            emit.close(context.run_id)
        hashes.save()
        if result.interrupted:
            raise Interrupted(f"run {result.run_id} was interrupted; re-run to resume")
        if engine.stale:  # found as it ran: a stored result that could not be restored or read
            raise stale_results(pipeline.name, engine.stale)
        return Run(pipeline, result, context.params)
