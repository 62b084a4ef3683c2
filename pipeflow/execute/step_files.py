"""A step's files as a run resolves them: where it writes, what it reads, the storage options
of its URLs, and its path inputs made absolute (`RunContext.files`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import IO, Any

from pipeflow.cache.owned import owned_files
from pipeflow.cache.project_paths import local_glob, local_path
from pipeflow.cache.workspace import missing_read
from pipeflow.errors import StorageError
from pipeflow.execute.attempts import Present, clear_attempt, present
from pipeflow.execute.clearing import prepare_writes, remove_empty
from pipeflow.execute.write_locks import WriteBusy, claim, release
from pipeflow.model.locations import (
    MOST_VALUE_STRINGS,
    WALKED,
    Location,
    item_lookup,
    locate,
    looks_like_path,
    path_texts,
)
from pipeflow.model.nesting import DEEPEST
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, Template, resolve
from pipeflow.model.secrets import Secrets
from pipeflow.plan.planner import Planner
from pipeflow.storage.blobs import WriteSpec
from pipeflow.storage.store import ResultStore


class ReferenceFailure(Exception):
    """A reference that cannot be resolved while the run is going on."""


class StepFiles:
    """The files of a run's steps, resolved with the run's values (`lookup`)."""

    def __init__(
        self,
        pipeline: Pipeline,
        planner: Planner,
        secrets: Secrets,
        lookup: Callable[[Ref], Any],
    ) -> None:
        self.pipeline = pipeline
        self.planner = planner
        self.secrets = secrets
        self.lookup = lookup
        self.made: list[Path] = []  # folders made for the writes (`prepare`) during the run
        # (step, item) -> its local writes and what they held as its task was made, until it
        # succeeds: what a step whose worker died or was stopped wrote there goes at the end.
        self.begun: dict[tuple[str, int | None], tuple[Sequence[WriteSpec], Present]] = {}
        # (step, item) -> the locks of its local writes (`write_locks.py`), until it ends
        self.claims: dict[tuple[str, int | None], list[IO[str]]] = {}

    def claim(self, step: Step, item: int | None, writes: Sequence[Location], holder: str) -> None:
        """Before a task of `step` (or of its `item`) clears, writes or restores its local
        `writes`: the lock of each (`write_locks.py`), or ReferenceFailure (the step fails)
        when another run holds one."""
        local = [write for write in writes if not write.remote]
        if not local or (step.name, item) in self.claims:  # held since its restore failed
            return
        labels = self.secrets.labels([write.text for write in local])
        paths = [(write.key.rstrip("/"), label) for write, label in zip(local, labels, strict=True)]
        try:
            self.claims[step.name, item] = claim(paths, self.pipeline.folder_of(step), holder)
        except WriteBusy as error:
            raise ReferenceFailure(str(error)) from None

    def claim_items(self, step: Step, items: Sequence[Any], holder: str) -> None:
        """Before the items of a `foreach` step clear, write or restore their files: one lock
        for them all, held until the end of the run (a lock per item would hold a file open
        per item), or ReferenceFailure (the step fails) when another run holds it."""
        if not any(not write.remote for item in items for write in self.writes(step, item)):
            return
        place = f"foreach {self.pipeline.name} {step.name}"
        label = f"what the items of `foreach` step `{step.name}` write"
        try:
            held = claim([(place, label)], self.pipeline.folder_of(step), holder)
        except WriteBusy as error:
            raise ReferenceFailure(str(error)) from None
        self.claims[step.name, None] = held

    def begin(self, step: str, item: int | None, writes: Sequence[WriteSpec]) -> None:
        """A task of `step` (or of its `item`) that writes `writes` is made: what they hold
        now is not its output."""
        self.begun[step, item] = (writes, present(writes))

    def ended(self, step: str, item: int | None) -> None:
        """A task of `step` (or of its `item`) succeeded: its locks are released. Those of
        one that failed are held until the end of the run (`end`): what it added to its
        writes goes then, and the step may run instead of a restore that failed."""
        self.begun.pop((step, item), None)
        release(self.claims.pop((step, item), []))

    def end(self) -> None:
        """The run is over, no step runs: what each task that did not succeed added to its
        writes goes (`attempts.clear_attempt`; a step that failed in this process did so
        itself, one whose worker process died or was ended by Ctrl-C could not, and its
        half-written files would be stored by the next run as that version's output), then
        the folders made for the writes that are still empty; then every lock is released."""
        for writes, before in self.begun.values():
            clear_attempt(writes, before, self.pipeline.project_dir)
        self.begun = {}
        remove_empty(self.made)
        self.made = []
        for held in self.claims.values():
            release(held)
        self.claims = {}

    def writes(self, step: Step, item: Any = None) -> list[Location]:
        """Where a step (or one item of it) writes, as resolved now."""
        if not step.writes:
            return []
        lookup = item_lookup(self.lookup, item, True)
        folder = self.pipeline.folder_of(step)
        return [locate(text, folder) for text in path_texts(step.writes, lookup)]

    def check_reads(self, step: Step, item: Any) -> None:
        """ReferenceFailure when a declared read is not there as the step starts."""
        if not step.reads:
            return
        lookup = item_lookup(self.lookup, item, True)
        folder = self.pipeline.folder_of(step)
        for text in path_texts(step.reads, lookup, "reads"):
            location = locate(text, folder)
            options = self.storage_options(step, location.key) if location.remote else {}
            problem = missing_read(location, options)
            if problem is not None:
                raise ReferenceFailure(f"{problem}; the step needs it to run")

    def local_reads(self, step: Step, item: Any = None) -> tuple[str, ...]:
        """The local paths (or globs) a step's `reads:` names, absolute, as resolved now."""
        if not step.reads:
            return ()
        lookup = item_lookup(self.lookup, item, True)
        folder = self.pipeline.folder_of(step)
        found = (locate(text, folder) for text in path_texts(step.reads, lookup, "reads"))
        return tuple(location.key for location in found if not location.remote)

    def write_specs(self, step: Step, writes: Sequence[Location]) -> list[WriteSpec]:
        """What a worker checks and stores of a step's writes: plain data."""
        # Named in the manifest with secrets masked: restore finds them again from the
        # step's writes as resolved then (`cache/restore.py`).
        labels = self.secrets.labels([write.text for write in writes])
        return [
            WriteSpec(
                label=label,
                location=write.key,
                folder=write.folder,
                storage_options=self.storage_options(step, write.key) if write.remote else None,
            )
            for label, write in zip(labels, writes, strict=True)
        ]

    def storage_options(self, step: Step, url: str) -> Mapping[str, Any]:
        """The options that reach a URL a step writes: its results store's (a write URL is
        under a results root)."""
        cache = self.planner.caches.get(step.name)
        if cache is not None and cache.store.url.split("://")[0] == url.split("://")[0]:
            return dict(cache.store.storage_options)
        options: Mapping[str, Any] = resolve(
            dict(self.pipeline.results.storage_options), self.lookup
        )
        return options

    def input_value(
        self,
        value: Any,
        resolved: Callable[[Any], Any],
        writes: Sequence[Location],
        folder: str,
    ) -> Any:
        """A step's input as its task takes it: its references `resolved`, and each path in
        it that the step's key counts made absolute (`absolute`), at any depth of a list or
        mapping, of the config's, of a param's value, or of another step's small value (its
        paths are in the key too: `Fingerprinter.value_files`)."""
        if type(value) is Ref:
            found = resolved(value)
            if value.scope == "steps" and not _small(found):
                return found  # a large value (a frame, a long list): as it was made
            return self.absolute_within(found, writes, folder)
        if isinstance(value, Mapping):
            return {
                key: self.input_value(item, resolved, writes, folder) for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.input_value(item, resolved, writes, folder) for item in value]
        if isinstance(value, Template):
            return self.absolute(resolved(value), writes, folder)
        return self.absolute(value, writes, folder)

    def absolute_within(
        self, value: Any, writes: Sequence[Location], folder: str, depth: int = 0
    ) -> Any:
        """`absolute` for every string and `pathlib` path in a value (a path stays a path of
        its type), inside its lists, tuples, dicts, sets and frozensets (DEEPEST levels at
        most, as `strings_in` finds the paths the key counts: see `nesting`)."""
        if isinstance(value, str):
            return self.absolute(value, writes, folder)
        if isinstance(value, PurePath):
            text = os.fspath(value)
            made = self.absolute(text, writes, folder)
            return value if made == text else type(value)(made)
        if depth >= DEEPEST:
            return value
        inner = depth + 1
        if type(value) is list:
            return [self.absolute_within(item, writes, folder, inner) for item in value]
        if type(value) is tuple:
            return tuple(self.absolute_within(item, writes, folder, inner) for item in value)
        if type(value) is dict:
            return {
                key: self.absolute_within(item, writes, folder, inner)
                for key, item in value.items()
            }
        if type(value) in (set, frozenset):
            return type(value)(self.absolute_within(item, writes, folder, inner) for item in value)
        return value

    def absolute(self, value: Any, writes: Sequence[Location] = (), folder: str = "") -> Any:
        """Relative paths (and globs) that name files of the project, or what the step
        writes, made absolute: steps may run from another folder (or on another worker) than
        the one the config is in."""
        if not isinstance(value, str) or os.path.isabs(value) or "://" in value:
            return value
        path = local_path(value, self.pipeline.project_dir)
        if path is not None:
            return str(path)
        pattern = local_glob(value, self.pipeline.project_dir)
        if pattern is not None:
            return pattern
        location = locate(value, folder)
        for write in writes:
            if write.remote:
                continue
            # What it writes, or a folder it writes into (made before it runs, if need be).
            if location.inside(write) or (
                looks_like_path(value) and not location.pattern and write.inside(location)
            ):
                return str(Path(folder) / value)
        if self.pipeline.places and location.key in self.pipeline.places:
            return str(Path(folder) / value)  # a place another step writes or reads
        return value

    def prepare(
        self,
        step: Step,
        item: Any,
        writes: Sequence[Location],
        inputs: Mapping[str, Any],
        store: ResultStore | None,
    ) -> None:
        """Before a step (or an item of it) runs: the folders its writes go into made, what
        earlier versions of it wrote there removed when results are stored (`store`;
        `clearing.py`).
        ReferenceFailure (the step fails) when a write leads out of the project folder
        through a symbolic link."""
        cache = self.planner.caches.get(step.name) if store is not None else None
        folder = self.pipeline.folder_of(step)
        try:
            owned = owned_files(cache, step.name, folder) if cache is not None else None
            self.made += prepare_writes(
                writes,
                owned,
                self.planner.hashes,
                self._read_inside(step, item, writes, inputs),
                lambda url: self.storage_options(step, url),
                folder,
            )
        except StorageError as error:
            raise ReferenceFailure(str(error)) from None

    def _read_inside(
        self, step: Step, item: Any, writes: Sequence[Location], inputs: Mapping[str, Any]
    ) -> list[str]:
        """What a step reads inside the places it writes, which it never loses: its `reads:`,
        and each path input that lies below (not at) one of its writes."""
        folder = self.pipeline.folder_of(step)
        found = []
        if step.reads:
            lookup = item_lookup(self.lookup, item, True)
            found += [locate(text, folder).key for text in path_texts(step.reads, lookup, "reads")]
        for text in _texts(inputs.values()):
            if os.path.isabs(text) or "://" in text:
                location = locate(text, folder)
                if any(location.inside(w) and location.key != w.key for w in writes):
                    found.append(location.key)
        return found


def _texts(values: Iterable[Any], depth: int = 0) -> Iterator[str]:
    """The strings in `values` (a `pathlib` path as its text), and in the lists, tuples,
    sets and dicts among them (DEEPEST levels at most: see `nesting`)."""
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, PurePath):
            yield os.fspath(value)
        elif depth >= DEEPEST:
            continue
        elif isinstance(value, list | tuple | set | frozenset):
            yield from _texts(value, depth + 1)
        elif isinstance(value, dict):
            yield from _texts(value.values(), depth + 1)


def _small(value: Any) -> bool:
    """A text or a `pathlib` path, or a list, tuple, dict, set or frozenset of at most
    MOST_VALUE_STRINGS items: a step's value whose paths count (the rest is passed as it was
    made, not walked)."""
    if isinstance(value, WALKED):
        return len(value) <= MOST_VALUE_STRINGS
    return isinstance(value, str | PurePath)
