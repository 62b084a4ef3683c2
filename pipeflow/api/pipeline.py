"""`Pipeline`, a loaded and validated config, and `load`, which makes one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pipeflow.api.accepting import accepted
from pipeflow.api.entry import entry
from pipeflow.api.listeners import Subscriber
from pipeflow.api.listeners import console as shown_on
from pipeflow.api.named_here import named_here
from pipeflow.api.preparing import prepared
from pipeflow.api.results import stored_result
from pipeflow.api.running import execute
from pipeflow.cache.accepting import Acceptance
from pipeflow.cache.files import FileFingerprints
from pipeflow.config.loader import Loaded, ParamLayer
from pipeflow.config.loader import load as load_config
from pipeflow.config.overrides import copied, nested_overrides
from pipeflow.errors import PipeflowError
from pipeflow.execute.outcome import Run, StoredResult
from pipeflow.execute.starting import RunStart
from pipeflow.history.recorder import TRIGGERS
from pipeflow.model import options as run_options
from pipeflow.model.pipeline import Step
from pipeflow.model.run import Decision
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import Planner
from pipeflow.plan.selecting import check_steps, inner_steps
from pipeflow.report.ci_files import ReportFiles, Target

if TYPE_CHECKING:
    from pipeflow.cache.retention import Report as GcReport

# The keywords `plan` and `status` take beside the params: those of `prepared`.
_PLAN_OPTIONS = ("force", "no_cache", "only", "start", "until", "tags", "results", "frozen")
_PLAN_KEYWORDS = ("params", "param_files", "param_options", *_PLAN_OPTIONS)


class Pipeline:
    """A loaded, validated pipeline, ready to plan and run."""

    def __init__(
        self,
        loaded: Loaded,
        *,
        source: str | Path,
        options: Mapping[str, Any],
        layers: Sequence[ParamLayer] = (),
        folder: str | None = None,
    ) -> None:
        self._loaded = loaded
        self._source = source
        self._options = dict(copied(options))
        # The overrides of `with_params` (and so of `run`) after those of `load`, in order.
        self._layers = tuple(layers)
        # The folder the relative paths above are relative to: the current one when they
        # were given. A later call that loads the config again names them from its own.
        self._folder = folder if folder is not None else os.getcwd()
        self.definition = loaded.pipeline
        # The loader's checks built the graph already; a hand-made Loaded may lack it.
        self.graph = loaded.graph if loaded.graph is not None else StepGraph(self.definition.steps)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def params(self) -> dict[str, Any]:
        """The merged params this pipeline was loaded with (a copy: changing it changes
        nothing)."""
        return dict(copied(self._loaded.params))

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
            inner = inner_steps(self.definition, name)
            more = f" ({inner})" if inner else ""
            raise KeyError(f"pipeline `{self.name}` has no step `{name}`{more}") from None

    @entry("Pipeline.with_params()")
    def with_params(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        param_files: Sequence[str | PathLike[str]] | str | PathLike[str] = (),
        param_options: Sequence[str] | str = (),
    ) -> Pipeline:
        """The same pipeline with one more layer of overrides on top of the ones it has:
        `param_files` in order, then `param_options`, then `params`, each winning over what
        came before (this pipeline is not changed). Each takes one item or a list."""
        return self._with_layer(params, param_files, param_options, "with_params()")

    def _with_layer(
        self,
        params: Mapping[str, Any] | None,
        param_files: Sequence[str | PathLike[str]] | str | PathLike[str],
        param_options: Sequence[str] | str,
        called: str,
    ) -> Pipeline:
        files = run_options.paths(param_files, "param_files")
        assignments = run_options.assignments(param_options, "param_options")
        params = run_options.mapping(params, "params")
        if not (params or files or assignments):
            return self
        layer = ParamLayer(
            files=tuple(Path(file) for file in files),
            options=tuple(assignments),
            params=nested_overrides(params),
            label=f"the params passed to {called}",
        )
        source, options, layers = self._named_here()
        return _loaded(source, options, (*layers, layer), check_code=False)

    def _named_here(self) -> tuple[str | Path, dict[str, Any], tuple[ParamLayer, ...]]:
        """The config, the options of `load` and the layers, named from the current folder."""
        return named_here(self._folder, self._source, self._options, self._layers)

    # -- planning ---------------------------------------------------------------------------

    @property
    def loaded(self) -> Loaded:
        """What the config loader gave: the model, the params, the secrets."""
        return self._loaded

    @property
    def options(self) -> dict[str, Any]:
        """The options this pipeline was loaded with (those of `load`; a copy)."""
        return dict(copied(self._options))

    def reloaded(self, **options: Any) -> Pipeline:
        """The config loaded again with these options of `load` changed, the layers of
        `with_params` kept on top (the code is not checked again)."""
        source, named, layers = self._named_here()
        return _loaded(source, {**named, **options}, layers, check_code=False)

    def _prepare(
        self, context: RunStart, **options: Any
    ) -> tuple[Planner, FileFingerprints, list[Decision]]:
        return prepared(self, context, **options)

    @entry("Pipeline.plan()")
    def plan(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        param_files: Sequence[str | PathLike[str]] | str | PathLike[str] = (),
        param_options: Sequence[str] | str = (),
        **options: Any,
    ) -> list[Decision]:
        """What a run would do now, and why, without running anything: the params and the
        options that choose steps as `run` takes them (`force`, `no_cache`, `only`, `start`,
        `until`, `tags`, `results`), and `frozen`: the plan of a `run(frozen=True)`."""
        run_options.unknown("Pipeline.plan()", options, _PLAN_KEYWORDS)
        target = self._with_layer(params, param_files, param_options, "plan()")
        context = RunStart.now(target._loaded.params)
        _, hashes, decisions = target._prepare(context, **options)
        hashes.save()
        return [target._loaded.secrets.decision(decision) for decision in decisions]

    @entry("Pipeline.status()")
    def status(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        param_files: Sequence[str | PathLike[str]] | str | PathLike[str] = (),
        param_options: Sequence[str] | str = (),
        **options: Any,
    ) -> list[Decision]:
        """`plan`, under the CLI's name (`pipeflow status`)."""
        run_options.unknown("Pipeline.status()", options, _PLAN_KEYWORDS)
        return self.plan(params, param_files=param_files, param_options=param_options, **options)

    @entry("Pipeline.accept()")
    def accept(self, step: str, *, results: str | None = None) -> Acceptance:
        """Count a step's stored result (each item's, for a `foreach` step) for its current
        params and inputs as current after a change of its code declared harmless."""
        check_steps(self.definition, [step])
        planner, hashes, _ = self._prepare(RunStart.now(self._loaded.params), results=results)
        acceptance = accepted(planner, step)
        hashes.save()
        return acceptance

    @entry("Pipeline.result()")
    def result(self, step: str, *, results: str | None = None) -> StoredResult:
        """The up-to-date stored result of a step; PipeflowError when there is none."""
        check_steps(self.definition, [step])
        context = RunStart.now(self._loaded.params)
        planner, hashes, decisions = self._prepare(context, results=results)
        hashes.save()
        return stored_result(self, planner, next(d for d in decisions if d.step == step))

    @entry("Pipeline.gc()")
    def gc(
        self,
        *,
        keep_last: int = 3,
        older_than: str | float | timedelta | None = None,
        grace: str | float | timedelta = "1h",
        dry_run: bool = False,
        results: str | None = None,
        now: datetime | None = None,
        removed_steps: bool = False,
    ) -> GcReport:
        """Delete stored results that neither the current keys (with this pipeline's params)
        nor the last `keep_last` runs of each step need, nor younger than `older_than`;
        nothing written in the last `grace` (a run in progress writes objects before its
        manifest). Refuses while the history shows a run of this pipeline going on. Returns
        what was deleted (`dry_run`: what would be). `now` stands for the current time.
        `removed_steps`: the results of a step the config no longer has go too, its latest
        included (by default they stay, for a branch or a copy of the config that has it)."""
        from pipeflow.api.collecting import collect, retention

        kept = retention(
            keep_last=keep_last,
            older_than=older_than,
            grace=grace,
            now=now,
            removed_steps=removed_steps,
        )
        planner, hashes, _ = self._prepare(RunStart.now(self._loaded.params), results=results)
        hashes.save()
        return collect(planner, kept, project_dir=self.definition.project_dir, dry_run=dry_run)

    # -- running ----------------------------------------------------------------------------

    @entry("Pipeline.run()")
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
        subscribers: Sequence[Subscriber] | Subscriber = (),
        console: bool | TextIO = False,
        trigger: str = "manual",
        history: bool = True,
        on_dashboard: Callable[[str], None] | None = None,
        json: Target | None = None,
        junit: Target | None = None,
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
        the first step starts. `json` and `junit` write the CI reports of `--json` and
        `--junit` to a file path, `-` (stdout) or a text stream; a run refused before it
        starts (params it cannot take, `frozen` finding stale steps) is reported too.
        `console=True` shows the run as `pipeflow run` does (on stdout, or a text stream
        given); by default `run()` prints nothing.
        """
        param_files = run_options.paths(param_files, "param_files")
        param_options = run_options.assignments(param_options, "param_options")
        executor = run_options.text(executor, "executor")
        if executor is None:  # the one `load` was given, if any (an empty one is refused)
            executor = self._options.get("executor")
        workers = run_options.count(workers, "workers")
        address = run_options.text(address, "address")
        keep_going = run_options.flag(keep_going, "keep_going")
        frozen = run_options.flag(frozen, "frozen")
        history = run_options.flag(history, "history")
        trigger = run_options.choice(trigger, "trigger", TRIGGERS)  # recorded or not
        subscribers = run_options.callables(subscribers, "subscribers")
        fans = [name for name, step in self.definition.steps.items() if step.foreach is not None]
        subscribers = (*shown_on(console, fans), *subscribers)
        run_options.selection(
            force=force, no_cache=no_cache, only=only, start=start, until=until, results=results
        )  # checked before the params are read; `_prepare` normalises them
        run_options.frozen_alone(frozen, force=force, no_cache=no_cache)
        reports = ReportFiles(str(self._source), json, junit)
        if reports.collector is not None:
            subscribers = (*subscribers, reports.collector)
        target: Pipeline | None = None
        try:
            # With more params, the pipeline loaded with them runs (the options are checked).
            target = self._with_layer(params, param_files, param_options, "run()")
            reports.steps_are(target.definition.steps)
            return execute(
                target,
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
        except PipeflowError as error:
            self._loaded.secrets.error(error)  # the report shows what the caller will see
            merged = None if target is None else target.loaded.secrets.redact(target.params)
            reports.not_run(self.name, error, params=merged)
            raise
        finally:
            reports.finish()  # also after Ctrl-C: the engine reported the interrupted run


@run_options.keywords_checked("pipeflow.load()")
def load(
    config: str | Path,
    *,
    param_files: Sequence[str | PathLike[str]] | str | PathLike[str] = (),
    param_options: Sequence[str] | str = (),
    params: Mapping[str, Any] | None = None,
    allow_extra_params: bool = False,
    check_code: bool = True,
    results: str | PathLike[str] | None = None,
    schedule: int | None = None,
    executor: str | None = None,
) -> Pipeline:
    """Read and validate a config; raises ConfigError listing every problem. `results`: the
    store the runs will use instead of `results.root` (as `--results`): steps may write
    under it too. `schedule`: the number (from 1) of the config's schedule whose `params`
    come first over the defaults, as `pipeflow serve` runs it. `executor`: the one the runs
    use unless `run()` names another, instead of `executor.type` (as `--executor`)."""
    config = run_options.path(config, "config")
    options = {
        "param_files": list(run_options.paths(param_files, "param_files")),
        "param_options": list(run_options.assignments(param_options, "param_options")),
        "params": nested_overrides(run_options.mapping(params, "params")),
        "allow_extra_params": run_options.flag(allow_extra_params, "allow_extra_params"),
        "results": run_options.text(results, "results"),
        "schedule": run_options.count(schedule, "schedule"),
        "executor": run_options.text(executor, "executor"),
    }
    return _loaded(config, options, (), check_code=run_options.flag(check_code, "check_code"))


def _loaded(
    config: str | Path,
    options: Mapping[str, Any],
    layers: Sequence[ParamLayer],
    *,
    check_code: bool,
) -> Pipeline:
    """The `Pipeline` of `config` loaded with `options` (those of `load`, checked) and then
    the overrides of `layers`."""
    loaded = load_config(
        config,
        param_files=[Path(file) for file in options["param_files"]],
        param_options=options["param_options"],
        params=options["params"],
        schedule=options.get("schedule"),
        layers=layers,
        allow_extra_params=options["allow_extra_params"],
        check_code=check_code,
        results=options["results"],
        executor=options.get("executor"),
    )
    return Pipeline(loaded, source=config, options=options, layers=layers)
