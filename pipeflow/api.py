"""The Python API: `pipeflow.load(...)` and `Pipeline.run(...)`; wires the parts, owns no logic."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeflow.cache.keys import step_keys
from pipeflow.config.loader import Loaded
from pipeflow.config.loader import load as load_config
from pipeflow.errors import ConfigError, Interrupted, Problem
from pipeflow.execute.engine import Engine, ReferenceFailure, RunResult, RunSettings, env_lookup
from pipeflow.execute.engine import store_url as resolve_store_url
from pipeflow.execute.executors import ExecutorUnavailable, create_executor
from pipeflow.model.events import Event
from pipeflow.model.pipeline import SINGLE_PART, Step
from pipeflow.model.refs import Ref, lookup_path, resolve
from pipeflow.model.run import Decision, StepOutcome, StepState
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import Selection, plan
from pipeflow.storage import ResultStore

Subscriber = Callable[[Event], None]


def new_run_id(started: datetime) -> str:
    """Sortable and unique: `20261122-014501-3fa2c1`."""
    return f"{started:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class Run:
    """A finished run: `ok`, each step's state, and the values of the steps that ran."""

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
        """The value a step returned, or one named part of it."""
        definition = self.pipeline.step(step)
        if step not in self.result.values:
            state = self.result.outcomes[step].state
            raise KeyError(f"step `{step}` has no value in this run (it is {state})")
        value = self.result.values[step]
        if part is None or (part == SINGLE_PART and not definition.outputs):
            return value
        if definition.outputs and part not in definition.outputs:
            raise KeyError(f"step `{step}` has no output `{part}`; it has {definition.outputs}")
        return value[part]

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else "failed"
        return f"<Run {self.id} of {self.pipeline.name}: {verdict}>"


class Pipeline:
    """A loaded, validated pipeline, ready to plan and run."""

    def __init__(self, loaded: Loaded, *, source: str | Path, options: Mapping[str, Any]) -> None:
        self._loaded = loaded
        self._source = source
        self._options = dict(options)
        self.definition = loaded.pipeline
        self.graph = StepGraph(self.definition.steps)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def params(self) -> dict[str, Any]:
        """The merged params this pipeline was loaded with."""
        return dict(self._loaded.params)

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
        param_files: Sequence[str | Path] = (),
        param_options: Sequence[str] = (),
        allow_extra_params: bool | None = None,
    ) -> Pipeline:
        """The same pipeline with more overrides on top of the ones it was loaded with."""
        if not (params or param_files or param_options):
            return self
        options = dict(self._options)
        options["param_files"] = [*options.get("param_files", ()), *param_files]
        options["param_options"] = [*options.get("param_options", ()), *param_options]
        merged = {**(options.get("params") or {}), **(params or {})}
        options["params"] = merged
        if allow_extra_params is not None:
            options["allow_extra_params"] = allow_extra_params
        return load(self._source, **options, check_code=False)

    # -- running --------------------------------------------------------------------------

    def plan(self, *, started: datetime | None = None, run_id: str | None = None) -> list[Decision]:
        """What a run would do now, and why, without running anything."""
        started = started or datetime.now().astimezone()
        context = _Context(run_id or new_run_id(started), started, self._loaded.params)
        keys = step_keys(self.definition, self.graph.order(), context.lookup)
        return plan(
            self.definition, self.graph, lookup=context.lookup, selection=Selection(), keys=keys
        )

    def run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        param_files: Sequence[str | Path] = (),
        param_options: Sequence[str] = (),
        executor: str | None = None,
        workers: int | None = None,
        results: str | None = None,
        keep_going: bool = False,
        subscribers: Sequence[Subscriber] = (),
    ) -> Run:
        """Run the pipeline; step failures show in `run.ok`, Ctrl-C raises Interrupted."""
        target = self.with_params(params, param_files=param_files, param_options=param_options)
        if target is not self:
            return target.run(
                executor=executor,
                workers=workers,
                results=results,
                keep_going=keep_going,
                subscribers=subscribers,
            )
        started = datetime.now().astimezone()
        context = _Context(new_run_id(started), started, self._loaded.params)
        resolved_params = context.params
        keys = step_keys(self.definition, self.graph.order(), context.lookup)
        decisions = plan(self.definition, self.graph, lookup=context.lookup, keys=keys)
        store = self._store(results, context)
        settings = RunSettings(
            run_id=context.run_id,
            started=started,
            params=resolved_params,
            keys=keys,
            store=store,
            keep_going=keep_going,
            secrets=self._loaded.secrets,
        )
        kind = executor or self.definition.executor.type
        try:
            runner = create_executor(kind, workers=workers or self.definition.executor.workers)
        except ExecutorUnavailable as error:
            raise ConfigError([Problem(message=str(error), path="executor.type")]) from None

        def emit(event: Event) -> None:
            for subscriber in subscribers:
                subscriber(event)

        engine = Engine(
            self.definition, self.graph, decisions, settings, executor=runner, emit=emit
        )
        result = engine.run()
        if result.interrupted:
            raise Interrupted(f"run {result.run_id} was interrupted; re-run to resume")
        return Run(self, result, resolved_params)

    def _store(self, results: str | None, context: _Context) -> ResultStore | None:
        definition = self.definition
        if not definition.results.persist and results is None:
            return None
        if results is not None:
            url = resolve_store_url(results, os.getcwd())
        else:
            url = resolve_store_url(
                resolve(definition.results.root, context.lookup), definition.project_dir
            )
        options = resolve(dict(definition.results.storage_options), context.lookup)
        return ResultStore(url, options)


class _Context:
    """Resolves `${params.*}`, `${env.*}` and `${run.*}` for one run."""

    def __init__(self, run_id: str, started: datetime, params: Mapping[str, Any]) -> None:
        self.run_id = run_id
        self.started = started
        self.params: dict[str, Any] = {}
        self.params = self._resolve_params(params)

    def _resolve_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Fill the `${run.*}` left in param defaults (the loader filled `${env.*}`)."""
        resolved: dict[str, Any] = resolve(dict(params), self.lookup)
        return resolved

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


def load(
    config: str | Path,
    *,
    param_files: Sequence[str | Path] = (),
    param_options: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    allow_extra_params: bool = False,
    check_code: bool = True,
) -> Pipeline:
    """Read and validate a config; raises ConfigError listing every problem."""
    options = {
        "param_files": list(param_files),
        "param_options": list(param_options),
        "params": dict(params or {}),
        "allow_extra_params": allow_extra_params,
    }
    loaded = load_config(
        config,
        param_files=param_files,
        param_options=param_options,
        params=params,
        allow_extra_params=allow_extra_params,
        check_code=check_code,
    )
    return Pipeline(loaded, source=config, options=options)
