"""The validated pipeline: what a config means once it has been read and checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from pipeflow.errors import Problem, did_you_mean
from pipeflow.model.durations import LONGEST
from pipeflow.model.once import computed_once
from pipeflow.model.refs import Ref, references_in
from pipeflow.records import record

SINGLE_PART = "value"  # the part name of a step that returns one value
EXECUTOR_TYPES = ("sequential", "threads", "processes", "dask")


def given_executor_problem(kind: str) -> Problem | None:
    """What is wrong with the executor given for a run (`--executor`, `executor=` in
    Python), which `load` and `run` both check: none when pipeflow has one of that name."""
    if kind in EXECUTOR_TYPES:
        return None
    return Problem(
        message=f"unknown executor `{kind}` (given for the run: `--executor`, `executor=` "
        "in Python)",
        hint=did_you_mean(kind, EXECUTOR_TYPES)
        or "use " + " or ".join(f"`{name}`" for name in EXECUTOR_TYPES),
    )


# Worker processes a run starts on this machine (`processes`, a local Dask cluster): each is
# started with the run, so a number past what a machine holds hangs the run as it starts.
MOST_PROCESSES = 1024


def too_many_processes(kind: str, workers: int | None, *, cluster_elsewhere: bool) -> bool:
    """Whether `workers` asks the executor `kind` for more worker processes than pipeflow
    starts on this machine; threads start only as steps need them, and a cluster at an
    address or of a `cluster` class starts its workers itself."""
    local = kind == "processes" or (kind == "dask" and not cluster_elsewhere)
    return local and workers is not None and workers > MOST_PROCESSES


def too_many_processes_said(kind: str, workers: int) -> tuple[str, str]:
    """The message and the hint for `too_many_processes`, after what asked for them."""
    started = "worker processes," if kind == "processes" else "workers of a local Dask cluster,"
    return (
        f"asks for {workers} {started} all started with the run; pipeflow starts "
        f"at most {MOST_PROCESSES} worker processes on one machine",
        "give about the number of CPUs for steps that compute (more for steps that wait on "
        "the network), or use `--executor threads`, whose threads start only as steps need them",
    )


AVAILABLE_EXECUTORS = ("sequential", "threads", "processes", "dask")
# Packages whose cluster classes `executor.cluster` may name without `allow_imports`.
CLUSTER_MODULES = frozenset(
    {"distributed", "dask_jobqueue", "dask_kubernetes", "dask_cloudprovider", "dask_gateway"}
)


@record
class ResultSpec:
    """Where and how a step's value is persisted."""

    persist: bool = True
    target: str | None = None
    format: str | None = None
    root: Any = None  # parsed: may hold references
    storage_options: Mapping[str, Any] = field(default_factory=dict)


@record
class RetryPolicy:
    """How often, and after how long, a failed step is tried again."""

    retries: int = 0
    delay: float = 1.0
    backoff: float = 1.0

    def delay_before(self, attempt: int, *, jitter: float = 0.0) -> float:
        """Seconds to wait before `attempt` (2 for the first retry).

        `jitter` (0 to 1, drawn by the caller) spreads retries of many steps that failed
        together by up to a tenth of the delay, so they do not all hit a service at once.
        """
        try:
            base = self.delay * self.backoff ** max(attempt - 2, 0)
        except OverflowError:
            base = LONGEST
        # Grown by the backoff, never past the longest duration a config may give.
        return min(base * (1 + 0.1 * jitter), LONGEST)


@record
class Origin:
    """Where an inlined sub-pipeline step comes from: its own pipeline and name there.

    The step is called `prefix + step` in the pipeline that runs it (`data/load_data`); its
    results are stored, and its key computed, as the sub-pipeline's step `step`, so the
    sub-pipeline shares one cache whether it runs alone or as a step of another pipeline.
    """

    pipeline: str  # the sub-pipeline's name
    step: str  # the step's name in the sub-pipeline
    prefix: str  # what the running pipeline puts before the names of the sub-pipeline's steps
    project_dir: str = ""  # the sub-pipeline's folder, where its step modules import from
    allow_imports: tuple[str, ...] = ()  # the sub-pipeline's, which its `run:` paths obey
    # The sub-pipeline's params the step consumed (filled in when it was inlined), as the
    # sub-pipeline shows them (from the environment: `***`): what its manifests record and
    # its reasons name ("param factor changed (2 -> 4)"), as when it runs alone.
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # Its result's `target` as the sub-pipeline writes it (filled in when inlined), and the
    # sub-pipeline's params it is rendered with: its key has them as when it runs alone.
    target: str | None = None
    target_values: Mapping[str, Any] = field(default_factory=dict, hash=False, repr=False)
    persist: bool = True  # the sub-pipeline's `results.persist`: false stores none of its steps
    source: str = ""  # the sub-pipeline's config file (absolute), which no result may replace

    def local(self, name: str) -> str:
        """A step name of the running pipeline as the sub-pipeline calls it."""
        return name[len(self.prefix) :] if name.startswith(self.prefix) else name


@record
class Step:
    """One node of the pipeline; its values are parsed (strings hold Ref or Template)."""

    name: str
    run: str | None = None
    pipeline: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    after: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    result: ResultSpec = field(default_factory=ResultSpec)
    cache: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float | None = None
    foreach: Any = None
    item_name: str | None = None  # `as:` in the config
    when: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)  # for a sub-pipeline step
    code_version: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    origin: Origin | None = None  # set on the steps inlined from a sub-pipeline
    # Files and folders (paths or URLs) the step reads and writes: parsed, so they may hold
    # references, and `${item}` (scope ITEM) on a `foreach` step.
    reads: tuple[Any, ...] = ()
    writes: tuple[Any, ...] = ()

    # What a step references never changes (a Step is frozen and its values are not changed
    # after it is built), yet the graph, the checks, the keys, the planner and the engine all
    # ask: each is worked out once per Step. computed_once writes to the instance's
    # __dict__ directly, so it works on a frozen dataclass; it takes no part in ==, hash, repr.

    @computed_once
    def _references(self) -> tuple[Ref, ...]:
        return references_in(
            dict(self.inputs),
            self.foreach,
            self.when,
            dict(self.params),
            list(self.reads),
            list(self.writes),
        )

    @computed_once
    def _value_upstream(self) -> tuple[str, ...]:
        names: dict[str, None] = {}
        for ref in self._references:
            if ref.scope == "steps":
                names[ref.step] = None
        return tuple(names)

    @computed_once
    def _parts_taken(self) -> Mapping[str, frozenset[str] | None]:
        taken: dict[str, frozenset[str] | None] = {}
        for ref in self._references:
            if ref.scope == "steps":
                before = taken.get(ref.step, frozenset())
                part = ref.part
                taken[ref.step] = None if before is None or part is None else before | {part}
        return taken

    @computed_once
    def _upstream(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self._value_upstream, *self.after)))

    def references(self) -> list[Ref]:
        """Every `${...}` this step's values use."""
        return list(self._references)

    def upstream(self) -> tuple[str, ...]:
        """The steps this one depends on: those whose values it uses, then `after`."""
        return self._upstream

    def value_upstream(self) -> tuple[str, ...]:
        """The steps whose values this step consumes (not `after`-only)."""
        return self._value_upstream

    def parts_taken(self, step: str) -> frozenset[str] | None:
        """The named parts of `step`'s value this step takes (`${steps.split.train}`), or
        None when it takes the whole value (`${steps.split}`) somewhere."""
        return self._parts_taken.get(step)

    @property
    def parts(self) -> tuple[str, ...]:
        """The names under which this step's value is stored."""
        return self.outputs or (SINGLE_PART,)


@record
class ResultsConfig:
    """The store for persisted results."""

    root: Any = "data/processed"  # parsed: may hold references
    storage_options: Mapping[str, Any] = field(default_factory=dict)
    persist: bool = True


@record
class ClusterConfig:
    """A Dask cluster started for the run: its class by dotted path, its options, its size."""

    class_path: str
    options: Mapping[str, Any] = field(default_factory=dict)
    scale: int | None = None


@record
class ExecutorConfig:
    """Which executor runs the steps, and with how many workers."""

    type: str = "sequential"
    workers: int | None = None
    address: str | None = None
    threads_per_worker: int | None = None
    # With `address` or `cluster`: the workers see this machine's files at the same paths.
    shared_filesystem: bool = False
    cluster: ClusterConfig | None = None


@record
class Schedule:
    """One trigger: a cron expression in a zone, or a fixed interval."""

    cron: str | None = None
    timezone: str | None = None
    interval: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    start: str | None = None
    end: str | None = None
    catch_up: bool = False  # after downtime, run once for missed fires (never a burst)


@record
class Pipeline:
    """A validated pipeline definition; `params` are the defaults from the file."""

    name: str
    steps: Mapping[str, Step]
    source: str  # the config file's absolute path
    project_dir: str  # the folder relative paths resolve against
    description: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    params_schema: Mapping[str, Any] | None = None
    results: ResultsConfig = field(default_factory=ResultsConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    schedules: tuple[Schedule, ...] = ()
    allow_imports: tuple[str, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)
    # The top-level `outputs:` of each sub-pipeline it inlined, by the name of the step that ran
    # it here (a nested one's: `data/prep`): output name -> what it reads, in the names here.
    subpipelines: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    config_hash: str = ""
    # The local places its steps declare in `writes:` and `reads:` (their keys, no trailing
    # `/`), as loaded: a bare name such as `models` in an input is a path when it names one.
    places: frozenset[str] = frozenset()

    def config_files(self) -> tuple[str, ...]:
        """Its config file and those of the sub-pipelines it inlined: what a result's target
        may never replace (the next run would read a step's value as the pipeline)."""
        found = dict.fromkeys([self.source])
        found.update(
            (step.origin.source, None)
            for step in self.steps.values()
            if step.origin is not None and step.origin.source
        )
        return tuple(found)

    def folder_of(self, step: Step) -> str:
        """The folder a step's relative paths resolve against: its own config's."""
        if step.origin is not None and step.origin.project_dir:
            return step.origin.project_dir
        return self.project_dir
