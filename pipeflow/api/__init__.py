"""The Python API: `pipeflow.load(...)` and `Pipeline.run(...)`; wires the parts, owns no logic."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pipeflow.api.cluster import cluster_project
from pipeflow.cache.files import FileFingerprints
from pipeflow.config.collecting import collector_paused
from pipeflow.config.loader import Loaded
from pipeflow.config.loader import load as load_config
from pipeflow.config.targets import workers_of
from pipeflow.errors import (
    ConfigError,
    Interrupted,
    PipeflowError,
    Problem,
    StaleResults,
)
from pipeflow.execute.context import RunSettings
from pipeflow.execute.engine import Engine
from pipeflow.execute.outcome import Run, StoredResult
from pipeflow.execute.starting import RunStart, executor_options, open_executor
from pipeflow.model import options as run_options
from pipeflow.model.events import Event
from pipeflow.model.pipeline import Step
from pipeflow.model.run import Action, Decision
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import ALL, Planner
from pipeflow.plan.prepare import prepare
from pipeflow.plan.selecting import checked_selection
from pipeflow.storage import Manifest

if TYPE_CHECKING:
    from pipeflow.cache.collect import Report as GcReport
    from pipeflow.history import Recorder

Subscriber = Callable[[Event], None]
Method = TypeVar("Method", bound=Callable[..., Any])

__all__ = ["ALL", "Pipeline", "Run", "StoredResult", "load"]


def _masked(method: Method) -> Method:
    """A PipeflowError leaving the method has the pipeline's secrets masked in its message."""

    @functools.wraps(method)
    def masked(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        with self._loaded.secrets.masking():
            return method(self, *args, **kwargs)

    return cast(Method, masked)


class Pipeline:
    """A loaded, validated pipeline, ready to plan and run."""

    def __init__(self, loaded: Loaded, *, source: str | Path, options: Mapping[str, Any]) -> None:
        self._loaded = loaded
        self._source = source
        self._options = dict(options)
        self.definition = loaded.pipeline
        # The loader's checks built the graph already; a hand-made Loaded may lack it.
        self.graph = loaded.graph if loaded.graph is not None else StepGraph(self.definition.steps)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def params(self) -> dict[str, Any]:
        """The merged params this pipeline was loaded with."""
        return dict(self._loaded.params)

    @property
    def secret_params(self) -> frozenset[str]:
        """Dotted names of the params whose values came from the environment: never show them."""
        return self._loaded.secrets.params

    def mask(self, text: str) -> str:
        """`text` with every secret value this pipeline knows (from the environment, storage
        credentials) replaced by `***`: for what a caller shows beyond pipeflow's own output."""
        return self._loaded.secrets.mask(text)

    @property
    def steps(self) -> list[str]:
        return self.graph.order()

    def step(self, name: str) -> Step:
        try:
            return self.definition.steps[name]
        except KeyError:
            raise KeyError(f"pipeline `{self.name}` has no step `{name}`") from None

    def with_params(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        param_files: Sequence[str | PathLike[str]] = (),
        param_options: Sequence[str] = (),
    ) -> Pipeline:
        """The same pipeline with more overrides on top of the ones it was loaded with."""
        if not (params or param_files or param_options):
            return self
        options = dict(self._options)
        options["param_files"] = [*options.get("param_files", ()), *param_files]
        options["param_options"] = [*options.get("param_options", ()), *param_options]
        options["params"] = {**(options.get("params") or {}), **(params or {})}
        return load(self._source, **options, check_code=False)

    # -- planning ---------------------------------------------------------------------------

    def _prepare(
        self,
        context: RunStart,
        *,
        force: Iterable[str] | str | bool | None = (),
        no_cache: bool = False,
        only: Iterable[str] | str | None = (),
        start: str | None = None,
        until: str | None = None,
        tags: Iterable[str] | str | None = (),
        results: str | PathLike[str] | None = None,
    ) -> tuple[Planner, FileFingerprints, list[Decision]]:
        chosen = run_options.selection(
            force=force,
            no_cache=no_cache,
            only=only,
            start=start,
            until=until,
            tags=tags,
            results=results,
        )
        if chosen["results"] is not None and chosen["results"] != self._options.get("results"):
            # Another store than the one the config was checked with: steps may write under
            # it, and not inside its `.pipeflow/`; the config is checked again for it.
            load(self._source, **{**self._options, "results": chosen["results"]}, check_code=False)
        selection, policy = checked_selection(self.definition, self.graph, chosen)
        with collector_paused():  # many small objects that stay: keys, fingerprints, decisions
            planner, hashes = prepare(
                self.definition,
                self.graph,
                lookup=context.lookup,
                secrets=self._loaded.secrets,
                selection=selection,
                policy=policy,
                results=chosen["results"],
            )
            decisions = planner.plan()
        if planner.missing:
            raise ConfigError(
                Problem(
                    message=f"`{user}` needs the result of `{step}`, which is not selected and "
                    "has no up-to-date stored result",
                    hint=f"run `{step}` first, or add it to the selection (e.g. --only {step})",
                )
                for step, user in planner.missing
            )
        return planner, hashes, decisions

    @_masked
    def plan(self, **options: Any) -> list[Decision]:
        """What a run would do now, and why, without running anything (same options as run)."""
        context = RunStart.now(self._loaded.params)
        _, hashes, decisions = self._prepare(context, **options)
        hashes.save()
        return [self._loaded.secrets.decision(decision) for decision in decisions]

    status = plan

    @_masked
    def accept(self, step: str, *, results: str | None = None) -> Manifest:
        """Count a step's last stored result as current after a change declared harmless."""
        self.step(step)
        context = RunStart.now(self._loaded.params)
        planner, hashes, _ = self._prepare(context, results=results)
        cache = planner.caches[step]
        if cache is None:
            raise PipeflowError(
                f"step `{step}` stores no result (`result: false`): nothing to accept"
            )
        upstream = planner.upstream_versions(self.step(step))
        if upstream is None:
            pending = [d for d in self.step(step).value_upstream() if d not in planner.versions]
            raise PipeflowError(
                f"cannot accept `{step}`: the results it takes from "
                + ", ".join(f"`{p}`" for p in pending)
                + " are not up to date; run or accept those first"
            )
        latest = cache.latest(step)
        if latest is None or cache.damaged_part(latest) is not None:
            raise PipeflowError(f"step `{step}` has no intact stored result to accept; run it")
        fingerprint = planner.fingerprints[step]
        stamped = cache.restamp(latest, fingerprint.key(upstream), fingerprint.components(upstream))
        cache.publish_index()
        hashes.save()
        return stamped

    @_masked
    def result(self, step: str, *, results: str | None = None) -> StoredResult:
        """The up-to-date stored result of a step; PipeflowError when there is none."""
        self.step(step)
        context = RunStart.now(self._loaded.params)
        planner, hashes, decisions = self._prepare(context, results=results)
        hashes.save()
        decision = next(d for d in decisions if d.step == step)
        cache = planner.caches[step]
        if cache is None:
            raise PipeflowError(
                f"step `{step}` of pipeline `{self.name}` never stores its result "
                "(`result: false`, or `results.persist: false`), so there is none to read"
            )
        manifest = planner.manifests.get(step)
        restoration = planner.restorations.get(step)
        usable = decision.action is Action.CACHED or (
            decision.action is Action.RESTORE and restoration is not None and not restoration.parts
        )
        current = True
        if not self.definition.steps[step].cache:
            # Never up to date by design: its latest intact stored result is the one there is.
            manifest, current = cache.latest_intact(step), False
            if manifest is None:
                raise PipeflowError(
                    f"step `{step}` of pipeline `{self.name}` has `cache: false` and no stored "
                    f"result yet{_ignored(cache.ignored(step))}; run the pipeline first"
                )
        elif not usable or manifest is None:
            raise PipeflowError(
                f"step `{step}` of pipeline `{self.name}` has no up-to-date stored result "
                f"({decision.reason}); run the pipeline first"
            )
        locations = {
            name: self._loaded.secrets.mask(cache.store.location(part.path))
            for name, part in manifest.parts.items()
        }
        return StoredResult(
            step=step, manifest=manifest, locations=locations, planner=planner, current=current
        )

    @_masked
    def gc(
        self,
        *,
        keep_last: int = 3,
        older_than: str | float | timedelta | None = None,
        grace: str | float | timedelta = "1h",
        dry_run: bool = False,
        results: str | None = None,
        now: datetime | None = None,
    ) -> GcReport:
        """Delete stored results that neither the current keys (with this pipeline's params)
        nor the last `keep_last` runs of each step need, nor younger than `older_than`;
        nothing written in the last `grace` (a run in progress writes objects before its
        manifest). Refuses while the history shows a run of this pipeline going on. Returns
        what was deleted (`dry_run`: what would be). `now` stands for the current time."""
        from pipeflow.api.collecting import collect, retention

        kept = retention(keep_last=keep_last, older_than=older_than, grace=grace, now=now)
        planner, hashes, _ = self._prepare(RunStart.now(self._loaded.params), results=results)
        hashes.save()
        return collect(planner, kept, project_dir=self.definition.project_dir, dry_run=dry_run)

    # -- running ----------------------------------------------------------------------------

    @_masked
    def run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        param_files: Sequence[str | PathLike[str]] | str | PathLike[str] = (),
        param_options: Sequence[str] | str = (),
        executor: str | None = None,
        workers: int | None = None,
        address: str | None = None,
        results: str | PathLike[str] | None = None,
        keep_going: bool = False,
        force: Iterable[str] | str | bool | None = (),
        no_cache: bool = False,
        only: Iterable[str] | str | None = (),
        start: str | None = None,
        until: str | None = None,
        tags: Iterable[str] | str | None = (),
        frozen: bool = False,
        subscribers: Sequence[Subscriber] = (),
        trigger: str = "manual",
        history: bool = True,
        on_dashboard: Callable[[str], None] | None = None,
    ) -> Run:
        """Run the pipeline; step failures show in `run.ok`, Ctrl-C raises Interrupted.

        The options are the CLI's, as natural keywords (`pipeflow.model.options` checks
        them): `force=True` runs every step whatever the cache holds, `force="train"` (or a
        list of names) those steps and all after them; `only`, `start`, `until` and `tags`
        (steps with any of these tags) select steps as `--only`, `--from`, `--until` and
        `--tag` do, each narrowing the others (`only` and `tags` a name or a list, `start` and
        `until` one name each); what the selection needs comes from the cache.
        `param_files` and `param_options` take one item or a list. The run is recorded in the
        history beside the config (or under $PIPEFLOW_HOME) unless `history=False`; `trigger`
        says what started it: manual, schedule or ci. `on_dashboard` is called with the link
        to the Dask cluster's dashboard, when the executor is `dask` and it has one, before
        the first step starts.
        """
        param_files = run_options.paths(param_files, "param_files")
        param_options = run_options.assignments(param_options, "param_options")
        executor = run_options.text(executor, "executor")
        workers = run_options.count(workers, "workers")
        address = run_options.text(address, "address")
        keep_going = run_options.flag(keep_going, "keep_going")
        frozen = run_options.flag(frozen, "frozen")
        history = run_options.flag(history, "history")
        run_options.selection(
            force=force, no_cache=no_cache, only=only, start=start, until=until, results=results
        )  # checked before the params are read; `_prepare` normalises them
        target = self.with_params(params, param_files=param_files, param_options=param_options)
        if target is not self:
            return target.run(
                executor=executor,
                workers=workers,
                address=address,
                results=results,
                keep_going=keep_going,
                force=force,
                no_cache=no_cache,
                only=only,
                start=start,
                until=until,
                tags=tags,
                frozen=frozen,
                subscribers=subscribers,
                trigger=trigger,
                history=history,
                on_dashboard=on_dashboard,
            )
        context = RunStart.now(self._loaded.params)
        kind = executor or self.definition.executor.type
        configured = self.definition.executor
        options = executor_options(kind, configured, workers=workers, address=address)
        # A process pool starts its workers in the background: start it first, so they are
        # ready when planning ends. A Dask cluster takes seconds to start and would hold
        # back the report of a mistake found while planning: it starts after.
        runner = open_executor(kind, options) if kind != "dask" else None
        try:
            planner, hashes, decisions = self._prepare(
                context,
                force=force,
                no_cache=no_cache,
                only=only,
                start=start,
                until=until,
                tags=tags,
                results=results,
            )
            hashes.save()
            if frozen:
                stale = [d for d in decisions if d.action is Action.RUN]
                if stale:
                    raise StaleResults(
                        f"--frozen: {len(stale)} step(s) of `{self.name}` would run:\n"
                        + "\n".join(f"  {d.step}: {d.reason}" for d in stale)
                    )
        except BaseException:
            if runner is not None:
                runner.shutdown(cancel=True)
            raise
        settings = RunSettings(
            run_id=context.run_id,
            started=context.started,
            params=context.params,
            keep_going=keep_going,
            secrets=self._loaded.secrets,
        )
        if runner is None:
            remote = options.get("address") or options.get("cluster")
            if kind == "dask" and remote and not configured.shared_filesystem:
                named = workers_of(options["address"], options["cluster"])
                options["project"] = cluster_project(self.definition, planner, named)
            runner = open_executor(kind, options)
        link = getattr(runner, "dashboard", None)
        if on_dashboard is not None and link:
            on_dashboard(str(link))

        listeners = list(subscribers)
        recorder = self._recorder(trigger) if history else None
        if recorder is not None:
            listeners.append(recorder)

        def emit(event: Event) -> None:
            for subscriber in listeners:
                subscriber(event)

        engine = Engine(
            self.definition,
            self.graph,
            planner,
            decisions,
            settings,
            executor=runner,
            emit=emit,
        )
        try:
            result = engine.run()
        finally:
            if recorder is not None:
                recorder.close()
        hashes.save()
        if result.interrupted:
            raise Interrupted(f"run {result.run_id} was interrupted; re-run to resume")
        return Run(self, result, context.params)

    def _recorder(self, trigger: str) -> Recorder:
        from pipeflow.history import Recorder

        return Recorder(
            self.definition.project_dir,
            trigger=trigger,
            config_path=self.definition.source,
            config_hash=self.definition.config_hash,
        )


def _ignored(why: str | None) -> str:
    return f" that may be read (the latest was ignored: {why})" if why else ""


def load(
    config: str | Path,
    *,
    param_files: Sequence[str | PathLike[str]] | str | PathLike[str] = (),
    param_options: Sequence[str] | str = (),
    params: Mapping[str, Any] | None = None,
    allow_extra_params: bool = False,
    check_code: bool = True,
    results: str | PathLike[str] | None = None,
) -> Pipeline:
    """Read and validate a config; raises ConfigError listing every problem. `results`: the
    store the runs will use instead of `results.root` (as `--results`): steps may write
    under it too."""
    param_files = run_options.paths(param_files, "param_files")
    param_options = run_options.assignments(param_options, "param_options")
    store = run_options.text(results, "results")
    options = {
        "param_files": list(param_files),
        "param_options": list(param_options),
        "params": dict(params or {}),
        "allow_extra_params": allow_extra_params,
        "results": store,
    }
    loaded = load_config(
        config,
        param_files=[Path(file) for file in param_files],
        param_options=param_options,
        params=params,
        allow_extra_params=allow_extra_params,
        check_code=check_code,
        results=store,
    )
    return Pipeline(loaded, source=config, options=options)
