"""The Python API: `pipeflow.load(...)` and `Pipeline.run(...)`; wires the parts, owns no logic."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pipeflow.cache.files import FileFingerprints
from pipeflow.config.loader import Loaded
from pipeflow.config.loader import load as load_config
from pipeflow.errors import ConfigError, Interrupted, PipeflowError, Problem, StaleResults
from pipeflow.execute.context import ReferenceFailure, RunSettings, env_lookup
from pipeflow.execute.engine import Engine, RunResult
from pipeflow.execute.executors import Executor, ExecutorUnavailable, create_executor
from pipeflow.model import options as run_options
from pipeflow.model.events import Event
from pipeflow.model.pipeline import SINGLE_PART, Step
from pipeflow.model.refs import Ref, lookup_path, resolve
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import ALL, CachePolicy, Planner, Selection
from pipeflow.plan.prepare import prepare
from pipeflow.storage import Manifest

if TYPE_CHECKING:
    from pipeflow.history import Recorder

Subscriber = Callable[[Event], None]
Method = TypeVar("Method", bound=Callable[..., Any])

__all__ = ["ALL", "Pipeline", "Run", "load"]


def _masked(method: Method) -> Method:
    """A PipeflowError leaving the method has the pipeline's secrets masked in its message."""

    @functools.wraps(method)
    def masked(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        with self._loaded.secrets.masking():
            return method(self, *args, **kwargs)

    return cast(Method, masked)


def new_run_id(started: datetime) -> str:
    """Sortable and unique: `20261122-014501-3fa2c1`."""
    return f"{started:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _executor(kind: str, options: Mapping[str, Any]) -> Executor:
    try:
        return create_executor(kind, **options)
    except ExecutorUnavailable as error:
        raise ConfigError([Problem(message=str(error), path="executor.type")]) from None


class Run:
    """A finished run: `ok`, each step's state, and each step's value."""

    def __init__(self, pipeline: Pipeline, result: RunResult, params: Mapping[str, Any]) -> None:
        self.pipeline = pipeline
        self.result = result
        self.params = dict(params)

    @property
    def id(self) -> str:
        return self.result.run_id

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def outcomes(self) -> dict[str, StepOutcome]:
        return dict(self.result.outcomes)

    def state(self, step: str) -> StepState:
        self.pipeline.step(step)
        return self.result.outcomes[step].state

    def output(self, step: str, part: str | None = None) -> Any:
        """The value a step returned (read from the store if it was cached), or one part."""
        definition = self.pipeline.step(step)
        state = self.result.outcomes[step].state
        if state not in (StepState.DONE, StepState.CACHED):
            raise KeyError(f"step `{step}` has no value in this run (it is {state})")
        try:
            value = self.result.context.value_of(step)
        except ReferenceFailure as error:
            raise KeyError(str(error)) from None
        if part is None or (part == SINGLE_PART and not definition.outputs):
            return value
        if definition.outputs and part not in definition.outputs:
            raise KeyError(f"step `{step}` has no output `{part}`; it has {definition.outputs}")
        return value[part]

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else "failed"
        return f"<Run {self.id} of {self.pipeline.name}: {verdict}>"


@dataclass(frozen=True)
class StoredResult:
    """Where the current result of a step is, for `pipeflow result` and `pipeflow.read`.

    `current` is False for a `cache: false` step, which is never up to date: its result is the
    latest one stored (`manifest.run_id` made it, at `manifest.created`)."""

    step: str
    manifest: Manifest
    locations: Mapping[str, str]  # part -> URL or path, for people (secrets masked)
    planner: Planner
    current: bool = True

    def load(self, part: str | None = None) -> Any:
        cache = self.planner.caches[self.step]
        assert cache is not None
        value = cache.load(self.manifest)
        return value if part is None or part == SINGLE_PART else value[part]


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
        context: _Context,
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
        forced: tuple[str, ...] = chosen["force"]
        wanted: tuple[str, ...] = chosen["tags"]
        selection = Selection(
            only=chosen["only"], start=chosen["start"], until=chosen["until"], tags=wanted
        )
        names = [*selection.only, *(n for n in (selection.start, selection.until) if n)]
        names += [n for n in forced if n != ALL]
        self._check_names(names)
        self._check_tags(wanted)
        planner, hashes = prepare(
            self.definition,
            self.graph,
            lookup=context.lookup,
            secrets=self._loaded.secrets,
            selection=selection,
            policy=CachePolicy(use=not chosen["no_cache"], force=forced),
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

    def _check_names(self, names: Iterable[str]) -> None:
        problems = []
        for name in names:
            if name not in self.definition.steps:
                from pipeflow.errors import did_you_mean

                problems.append(
                    Problem(
                        message=f"pipeline `{self.name}` has no step `{name}`",
                        hint=did_you_mean(name, self.definition.steps),
                    )
                )
        if problems:
            raise ConfigError(problems)

    def _check_tags(self, tags: Iterable[str]) -> None:
        from pipeflow.errors import did_you_mean

        known = self.graph.tags()
        listing = ", ".join(f"`{tag}`" for tag in known)
        problems = [
            Problem(
                message=f"no step of pipeline `{self.name}` is tagged `{tag}`",
                hint=did_you_mean(tag, known)
                or (f"known tags: {listing}" if known else "no step has `tags:` yet"),
            )
            for tag in tags
            if tag not in known
        ]
        if problems:
            raise ConfigError(problems)

    @_masked
    def plan(self, **options: Any) -> list[Decision]:
        """What a run would do now, and why, without running anything (same options as run)."""
        started = datetime.now().astimezone()
        context = _Context(new_run_id(started), started, self._loaded.params)
        _, hashes, decisions = self._prepare(context, **options)
        hashes.save()
        return [self._loaded.secrets.decision(decision) for decision in decisions]

    status = plan

    @_masked
    def accept(self, step: str, *, results: str | None = None) -> Manifest:
        """Count a step's last stored result as current after a change declared harmless."""
        self.step(step)
        started = datetime.now().astimezone()
        context = _Context(new_run_id(started), started, self._loaded.params)
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
        hashes.save()
        return stamped

    @_masked
    def result(self, step: str, *, results: str | None = None) -> StoredResult:
        """The up-to-date stored result of a step; PipeflowError when there is none."""
        self.step(step)
        started = datetime.now().astimezone()
        context = _Context(new_run_id(started), started, self._loaded.params)
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
        says what started it: manual, schedule or ci.
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
            )
        started = datetime.now().astimezone()
        context = _Context(new_run_id(started), started, self._loaded.params)
        kind = executor or self.definition.executor.type
        configured = self.definition.executor
        options: dict[str, Any] = {"workers": workers or configured.workers}
        if kind == "dask":
            options["address"] = address or configured.address
            options["threads_per_worker"] = configured.threads_per_worker
        elif address:
            raise ConfigError(
                [
                    Problem(
                        message=f"an address is for the `dask` executor, not `{kind}`",
                        hint="add `--executor dask` (or set `executor.type: dask`)",
                    )
                ]
            )
        # A process pool starts its workers in the background: start it first, so they are
        # ready when planning ends. A Dask cluster takes seconds to start and would hold
        # back the report of a mistake found while planning: it starts after.
        runner = _executor(kind, options) if kind != "dask" else None
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
            started=started,
            params=context.params,
            keep_going=keep_going,
            secrets=self._loaded.secrets,
        )
        if runner is None:
            runner = _executor(kind, options)

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


class _Context:
    """Resolves `${params.*}`, `${env.*}` and `${run.*}` before the run starts."""

    def __init__(self, run_id: str, started: datetime, params: Mapping[str, Any]) -> None:
        self.run_id = run_id
        self.started = started
        self.params: dict[str, Any] = {}
        # The loader filled `${env.*}` in param defaults; `${run.*}` is filled here.
        self.params = resolve(dict(params), self.lookup)

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
