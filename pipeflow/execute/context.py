"""A run's context: resolving references, and turning steps into tasks for the executor."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime
from typing import Any

from pipeflow.cache.consumed import shown_params, step_target
from pipeflow.cache.loading import PARALLEL_LOADS
from pipeflow.execute.persisting import Persist
from pipeflow.execute.remotes import Remote, fill, no_part, pick, remotes_in
from pipeflow.execute.step_files import ReferenceFailure, StepFiles
from pipeflow.execute.task import Task
from pipeflow.model.pipeline import SINGLE_PART, Pipeline, Step
from pipeflow.model.refs import Ref, lookup_path, resolve
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.plan.planner import Planner
from pipeflow.records import record
from pipeflow.storage import Manifest, TargetFields
from pipeflow.storage.blobs import Restoration, local_root


@record
class RunSettings:
    run_id: str
    started: datetime
    params: Mapping[str, Any]
    keep_going: bool = False
    secrets: Secrets = NO_SECRETS  # never stored or shown: events and manifests are masked
    # `--frozen`: a step found at run time to need running (its stored result could not be
    # restored or read) fails instead of running (`Engine.stale` names it and why).
    frozen: bool = False
    # Ctrl-C or SIGTERM came while the executor opened (a Dask cluster starting): the run
    # starts interrupted, so that it is reported and recorded as one.
    interrupted: bool = False


class RunContext:
    """What steps see of a run: params, env, run fields and the values of other steps."""

    def __init__(self, pipeline: Pipeline, planner: Planner, settings: RunSettings) -> None:
        self.pipeline = pipeline
        self.planner = planner
        self.settings = settings
        self.values: dict[str, Any] = {}
        planner.values.run_values = self.values  # the files they name count in keys
        # Set by an executor that keeps values where they were made (dask): brings the
        # values of these keys here.
        self.fetch: Callable[[Sequence[str]], list[Any]] | None = None
        self._fingerprinted: dict[str, bool] = {}  # `_fingerprints_value`, once per step
        self._any_cache = planner.policy.use and any(c is not None for c in planner.caches.values())
        self.files = StepFiles(pipeline, planner, settings.secrets, self.concrete_lookup)

    # -- references -----------------------------------------------------------------------

    def lookup(self, ref: Ref) -> Any:
        if ref.scope == "params":
            try:
                return lookup_path(self.settings.params, ref.path)
            except KeyError as missing:
                raise ReferenceFailure(f"no param `{missing.args[0]}`") from None
        if ref.scope == "env":
            return env_lookup(ref)
        if ref.scope == "run":
            return self.settings.run_id if ref.path[0] == "id" else self.settings.started
        return self.step_value(ref)

    def step_value(self, ref: Ref) -> Any:
        value = self.value_of(ref.step)
        part = ref.part
        if part is None:
            return value
        step = self.pipeline.steps[ref.step]
        if step.outputs:
            return declared_part(step, value, part)
        if isinstance(value, Remote):
            return value.part(part)
        if isinstance(value, Mapping) and part in value:
            return value[part]
        raise ReferenceFailure(no_part(ref.step, part, value))

    def concrete_lookup(self, ref: Ref) -> Any:
        """What a reference stands for, as a value here (fetched if it stayed elsewhere)."""
        return self.concrete(self.lookup(ref))

    def concrete(self, value: Any) -> Any:
        """The value with every Remote in it fetched."""
        if self.fetch is None:
            return value
        remotes = remotes_in(value)
        if not remotes:
            return value
        keys = list(dict.fromkeys(remote.key for remote in remotes))
        try:
            fetched = dict(zip(keys, self.fetch(keys), strict=True))
            return fill(value, lambda remote: pick(fetched[remote.key], remote))
        except Exception as error:
            steps = ", ".join(sorted({f"`{remote.step}`" for remote in remotes}))
            raise ReferenceFailure(
                f"the value of {steps} could not be brought from where it was made "
                f"({type(error).__name__}: {error})"
            ) from None

    def value_of(self, name: str) -> Any:
        """A step's value, read from the cache if it was not needed until now."""
        if name not in self.values:
            manifest = self.planner.manifests.get(name)
            items = self.planner.item_manifests.get(name)
            cache = self.planner.caches.get(name)
            outputs = self.pipeline.steps[name].outputs  # the order of its parts
            if cache is not None and items is not None:
                self.values[name] = cache.load_all(items, outputs)
            elif manifest is None or cache is None:
                raise ReferenceFailure(f"the value of `{name}` is not available")
            else:
                self.values[name] = cache.load(manifest, outputs)
        return self.values[name]

    def _read_stored(self, step: Step) -> None:
        """The stored values `step` needs that were not needed until now (of cached steps),
        read at once rather than one after the other; a value that cannot be read is left
        for `value_of` to say so when the step's inputs are resolved."""
        wanted = [name for name in step.value_upstream() if name not in self.values]
        if len(wanted) < 2:
            return

        def read(name: str) -> None:
            with suppress(Exception):
                self.value_of(name)

        with ThreadPoolExecutor(min(PARALLEL_LOADS, len(wanted))) as pool:
            list(pool.map(read, wanted))

    # -- tasks ----------------------------------------------------------------------------

    def run_task(
        self,
        step: Step,
        key: str,
        *,
        item: tuple[int, Any] | None = None,
    ) -> Task:
        """The task that runs a step, or one item of a `foreach` step."""
        if item is None:  # a `foreach` step's items are checked before the first starts
            self.files.check_reads(step, None)
        self._read_stored(step)
        writes = self.files.writes(step, item[1] if item is not None else None)
        folder = self.pipeline.folder_of(step)
        inputs = {
            name: self.files.input_value(value, self._resolved, writes, folder)
            for name, value in step.inputs.items()
        }
        if item is not None:
            # An item naming a file of the project is a path input like any other.
            inputs[step.item_name or "item"] = self.files.absolute_within(item[1], writes, folder)
        stamps = self.planner.stamps_of(step)
        task = Task(
            run_id=self.settings.run_id,
            step=step.name,
            function=step.run or "",
            inputs=inputs,
            outputs=step.outputs,
            retry=step.retry,
            timeout=step.timeout,
            persist=self._persist(step, key, item=item),
            key=key,
            consumed_params=self._consumed_params(step),
            project_dir=self._project_dir(step),
            allow_imports=self._allow_imports(step),
            item=item[0] if item is not None else None,
            writes=tuple(self.files.write_specs(step, writes)),
            reads=self.files.local_reads(step, item[1] if item is not None else None),
            fingerprint=self._fingerprints_value(step),
            sources=self.planner.sources_of(step),
            stamps=stamps,
            stores=self._stores() if stamps else (),
        )
        if writes:  # what earlier versions left there goes: the step's output starts afresh
            if item is None:  # (a `foreach` step's are locked as one: `claim_items`)
                self.files.claim(step, None, writes, f"run {self.settings.run_id}")
            store = task.persist.store if task.persist is not None else None
            self.files.prepare(step, item[1] if item is not None else None, writes, inputs, store)
            self.files.begin(step.name, task.item, task.writes)
        return task

    def _stores(self) -> tuple[str, ...]:
        """The run's results stores on this machine's disk, absolute."""
        roots = {local_root(cache.store) for cache in self.planner.caches.values() if cache}
        return tuple(sorted(os.path.abspath(root) for root in roots if root is not None))

    def _resolved(self, value: Any) -> Any:
        return resolve(value, self.lookup, text_lookup=self.concrete_lookup)

    def load_item_task(
        self, step: Step, index: int, manifest: Manifest, restore: Restoration | None = None
    ) -> Task:
        """The task that reads one stored item of a `foreach` step (restoring it first)."""
        cache = self.planner.caches[step.name]
        assert cache is not None
        return Task(
            run_id=self.settings.run_id,
            step=step.name,
            function=step.run or "",
            inputs={},
            outputs=step.outputs,  # read back as its named parts, as it was returned
            stored=manifest,
            store=cache.store,
            project_dir=self._project_dir(step),
            item=index,
            restore=restore,
        )

    def load_task(
        self, step: Step, *, restore: Restoration | None = None, load: bool = True
    ) -> Task:
        """The task that reads a cached step's value, or restores its files, or both."""
        cache = self.planner.caches[step.name]
        assert cache is not None
        if restore is not None:
            self.files.claim(step, None, self.files.writes(step), f"run {self.settings.run_id}")
        return Task(
            run_id=self.settings.run_id,
            step=step.name,
            function=step.run or "",
            inputs={},
            outputs=step.outputs,
            stored=self.planner.manifests[step.name],
            store=cache.store,
            project_dir=self._project_dir(step),
            restore=restore,
            load=load,
        )

    def _project_dir(self, step: Step) -> str:
        """The folder a step's module imports from: its own config's (a sub-pipeline's, for
        its steps), which a worker puts on its path."""
        if step.origin is not None and step.origin.project_dir:
            return step.origin.project_dir
        return self.pipeline.project_dir

    def _allow_imports(self, step: Step) -> tuple[str, ...]:
        """The `allow_imports` of the config a step came from, which the worker applies."""
        if step.origin is not None:
            return step.origin.allow_imports
        return self.pipeline.allow_imports

    def _persist(
        self, step: Step, key: str, *, item: tuple[int, Any] | None = None
    ) -> Persist | None:
        cache = self.planner.caches.get(step.name)
        if cache is None or not self.planner.policy.use:
            return None
        components = self.planner.components(step.name, key) if item is None else None
        if components is None:
            upstream = self.planner.upstream_versions(step) or {}
            fingerprint = self.planner.fingerprints[step.name]
            components = (
                fingerprint.item_components(upstream, item[1])
                if item is not None
                else fingerprint.components(upstream)
            )
        manifest, copies = cache.manifest_paths(step.name, key)
        target = step_target(step, self.lookup)
        return Persist(
            store=cache.store,
            manifest_paths=(manifest, *copies),
            pipeline=self.pipeline.name,
            target=target,
            default_prefix=cache.payload_prefix(step.name, key),
            format=step.result.format,
            # Only a target's template names them: not made for every other result.
            fields=None
            if target is None
            else TargetFields(
                pipeline=self.pipeline.name,
                step=step.name,
                output=SINGLE_PART,
                run_id=self.settings.run_id,
                date=self.settings.started,
                params=self.settings.params,
                key=key,
                ext="",
                item=item[1] if item is not None else None,
                item_name=(step.item_name or "item") if item is not None else None,
            ),
            components=components,
            # A step's declared writes are recorded in its manifest, beside files: not journaled.
            journal=cache.journal_folder(step.name, key) if not step.writes else None,
            inline=cache.inlines and not step.writes,
            frozen=self.settings.frozen,
            stored=cache.find_manifest(step.name, key) if self.settings.frozen else None,
        )

    def _fingerprints_value(self, step: Step) -> bool:
        """Whether a step's value is hashed where it is made (`value_version`): its result is
        not stored, and a step after it may come from the cache, keyed by that value."""
        if not self._any_cache:
            return False  # nothing is stored: no step after it comes from the cache
        found = self._fingerprinted.get(step.name)
        if found is None:
            caches, steps = self.planner.caches, self.pipeline.steps
            found = self._fingerprinted[step.name] = (
                self.planner.policy.use
                and caches.get(step.name) is None  # stored: its checksums stand for it
                and any(
                    caches.get(name) is not None
                    and steps[name].cache
                    and step.name in steps[name].value_upstream()  # not `after:` alone
                    for name in self.planner.graph.downstream[step.name]
                )
            )
        return found

    def _consumed_params(self, step: Step) -> dict[str, Any]:
        return shown_params(step, self.lookup, self.settings.secrets)


def env_lookup(ref: Ref) -> str:
    name = ref.path[0]
    value = os.environ.get(name)
    if value is None:
        if ref.default is None:
            raise ReferenceFailure(f"environment variable `{name}` is not set")
        return ref.default
    return value


def declared_part(step: Step, value: Any, part: str) -> Any:
    """One of a step's declared `outputs` in its value, which is kept as the dict of its parts;
    a `foreach` step's, the list of each item's part."""
    if step.foreach is not None:
        return [item.part(part) if isinstance(item, Remote) else item[part] for item in value]
    return value.part(part) if isinstance(value, Remote) else value[part]
