"""Files between steps: the paths each step reads and writes, and the dependencies they make.

A step that reads a path (a path among its inputs, a `foreach` item that is a path, or an
entry of `reads:`) that another step `writes` (the same path, or one inside the other)
depends on that writer, as if it listed it in `after:`. Paths are matched by their text
(see `model/locations.py`): the file may not exist before the writer runs.

What is known before the run counts: literal paths, params, environment variables, and the
items of a `foreach` list given in the config or by a param. A path made from a step's value
is only known during the run: such a reader needs `after:`. An item known only during the
run stands as `*` in a path (`counts/${item}.json` -> `counts/*.json`).
"""

from __future__ import annotations

import bisect
import contextlib
import os
import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field, replace
from typing import Any

from pipeflow.cache.consumed import step_target
from pipeflow.model.locations import (
    UNKNOWN,
    Location,
    NotAPath,
    declared_keys,
    item_lookup,
    locate,
    names_place,
    path_texts,
    resolved_key,
    strings_in,
)
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, lookup_path, resolve
from pipeflow.model.target_match import target_meets
from pipeflow.plan.roots import store_url
from pipeflow.records import record
from pipeflow.storage.templates import target_pattern


class Unknown(Exception):
    """A reference whose value is not known yet."""


@record
class StepFiles:
    """The locations one step reads and writes, as far as they are known before the run."""

    reads: tuple[Location, ...] = ()  # `reads:`, path inputs and path items, minus own writes
    writes: tuple[Location, ...] = ()
    # Per written location, the `writes:` entry it came from (its index), for messages.
    write_entries: tuple[int, ...] = field(default=(), compare=False)
    # Where its `result.target` lands in a local folder (a glob where fields are): a write of
    # the step too, for its readers' order (`file_upstream`), not a declared one.
    targets: tuple[Location, ...] = ()


_NO_FILES = StepFiles()  # frozen: shared by every step that names no file


def base_dir(pipeline: Pipeline, step: Step) -> str:
    """The folder a step's relative paths resolve against: its own config's."""
    return pipeline.folder_of(step)


def load_time_lookup(params: Mapping[str, Any]) -> Callable[[Ref], Any]:
    """Resolves what is known before a run: params, and environment variables (else UNKNOWN);
    a step's value raises Unknown."""

    def lookup(ref: Ref) -> Any:
        if ref.scope == "params":
            try:
                return lookup_path(params, ref.path)
            except KeyError:
                raise Unknown(ref.text) from None
        if ref.scope == "env":
            return os.environ.get(ref.path[0], ref.default if ref.default is not None else "")
        if ref.scope == "run":
            return UNKNOWN
        raise Unknown(ref.text)

    return lookup


def step_files(
    pipeline: Pipeline,
    step: Step,
    lookup: Callable[[Ref], Any],
    *,
    items: Any = None,
    declared_only: bool = False,
) -> StepFiles:
    """What `step` reads and writes; `items`: its `foreach` list when known (else None);
    `declared_only`: what its `reads:` and `writes:` name, its inputs and items left out."""
    folder = base_dir(pipeline, step)
    places = pipeline.places
    item_values: list[tuple[Any, bool]] = (
        [(item, True) for item in items] if isinstance(items, list) else [(None, False)]
    )
    if step.foreach is None:
        # Without `reads:`, `writes:` or items there is nothing to walk per item.
        item_values = [(None, False)] if step.reads or step.writes else []
    writes: list[Location] = []
    entries: list[int] = []
    reads: list[Location] = []
    for item, known in item_values:
        find = item_lookup(lookup, item, known)
        for index, value in enumerate(step.writes):
            try:
                texts = path_texts([value], find)
            except (Unknown, KeyError, NotAPath):  # NotAPath: `validate` says it
                continue
            for text in texts:
                writes.append(locate(text, folder))
                entries.append(index)
        with contextlib.suppress(Unknown, KeyError, NotAPath):
            reads += [locate(text, folder) for text in path_texts(step.reads, find, "reads")]
        if known and not declared_only:
            reads += [locate(t, folder) for t in strings_in(item) if names_place(t, folder, places)]
    for value in () if declared_only else step.inputs.values():
        if type(value) is Ref and value.scope == "steps":
            continue  # a step's value: not known before the run (`lookup` raises Unknown)
        try:
            resolved = resolve(value, lookup)
        except (Unknown, KeyError):
            continue
        reads += [locate(t, folder) for t in strings_in(resolved) if names_place(t, folder, places)]
    if not reads and not writes:
        return _NO_FILES
    # A path the step writes is its output, never its input (`save(df, path)`).
    reads = [r for r in reads if not any(r.inside(w) for w in writes)]
    return StepFiles(
        reads=tuple(dict.fromkeys(reads)),
        writes=tuple(writes),
        write_entries=tuple(entries),
    )


def pipeline_files(pipeline: Pipeline, params: Mapping[str, Any]) -> dict[str, StepFiles]:
    """What every step reads and writes, as known before the run (a bare name counts as a
    path where `pipeline.places` has it: see `pipeline_places`)."""
    lookup = load_time_lookup(params)
    found: dict[str, StepFiles] = {}
    for name, step in pipeline.steps.items():
        files = step_files(pipeline, step, lookup, items=_items(step, lookup))
        target = _local_target(pipeline, step, lookup)
        found[name] = files if target is None else replace(files, targets=(target,))
    return found


def _with_resolved(locations: tuple[Location, ...]) -> tuple[Location, ...]:
    """The locations, and each local one again where it really is when a symlink leads there."""
    found = list(locations)
    for location in locations:
        if location.remote:
            continue
        real = resolved_key(location.key)
        if real != location.key:
            found.append(replace(location, key=real))
    return tuple(found)


def _local_target(pipeline: Pipeline, step: Step, lookup: Callable[[Ref], Any]) -> Location | None:
    """Where a step's `result.target` lands when that is a local folder known before the run."""
    spec = step.result
    if spec.target is None or not spec.persist:
        return None
    if spec.root is None and not pipeline.results.persist:
        return None
    try:
        root = resolve(pipeline.results.root if spec.root is None else spec.root, lookup)
    except (Unknown, KeyError, TypeError, ValueError):
        return None
    if not isinstance(root, str | os.PathLike) or UNKNOWN in str(root):
        return None
    url = store_url(root, pipeline.project_dir)
    if "://" in url and not url.startswith("file://"):
        return None
    target = step_target(step, lookup)
    pattern = target_pattern(target) if target is not None else None
    if pattern is None:
        return None
    folder = url.removeprefix("file://")
    return locate(pattern, folder)  # its text: the part under the root


def pipeline_places(pipeline: Pipeline, params: Mapping[str, Any]) -> frozenset[str]:
    """The local places the steps declare in `writes:` and `reads:`, as known before the
    run, for `Pipeline.places`."""
    declared: list[Location] = []
    for step in pipeline.steps.values():
        if step.writes or step.reads:
            found = declared_files(pipeline, step, params)
            declared += [*found.writes, *found.reads]
    return declared_keys(declared)


def declared_files(pipeline: Pipeline, step: Step, params: Mapping[str, Any]) -> StepFiles:
    """What a step's `reads:` and `writes:` name, as known before the run."""
    lookup = load_time_lookup(params)
    return step_files(pipeline, step, lookup, items=_items(step, lookup), declared_only=True)


def _items(step: Step, lookup: Callable[[Ref], Any]) -> Any:
    """A `foreach` step's list when it is known before the run, else None."""
    if step.foreach is None:
        return None
    try:
        return resolve(step.foreach, lookup)
    except (Unknown, KeyError):
        return None


class WriteIndex:
    """Who writes where, for finding the writers of a read location without a scan per pair."""

    def __init__(self, files: Mapping[str, StepFiles]) -> None:
        self.exact: dict[str, list[tuple[str, Location]]] = {}
        self.patterns: list[tuple[str, Location]] = []
        for name, step in files.items():
            for location in step.writes:
                if location.pattern:
                    self.patterns.append((name, location))
                else:
                    self.exact.setdefault(location.key.rstrip("/"), []).append((name, location))
        self.keys = sorted(self.exact)

    def writers(self, read: Location) -> Iterator[tuple[str, Location]]:
        """The (step, location) written that overlaps `read`."""
        if read.pattern:
            for key in self.keys:
                for entry in self.exact[key]:
                    if entry[1].overlaps(read):
                        yield entry
        else:
            key = read.key.rstrip("/")
            # The read itself, or a folder it is in.
            parent = key
            while True:
                yield from self.exact.get(parent, ())
                cut = parent.rfind("/")
                if cut <= 0 or parent.endswith("://"):
                    break
                parent = parent[:cut]
            # Locations inside the read folder.
            start = bisect.bisect_left(self.keys, key + "/")
            for other in self.keys[start:]:
                if not other.startswith(key + "/"):
                    break
                yield from self.exact[other]
        for entry in self.patterns:
            if entry[1].overlaps(read):
                yield entry


def file_upstream(
    files: Mapping[str, StepFiles],
    targets_read: dict[str, set[str]] | None = None,
    *,
    steps: Mapping[str, Step] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Per step, the steps that write what it reads (itself left out); a read and a write
    also meet where they lead through symlinks (`current/x.txt`, `current -> data`).
    `targets_read` gets, per step, the steps whose `result.target` it reads. `steps`: the
    pipeline's steps, whose own dependencies tell which readers of a whole results root may
    wait for its targets (`_around_targets`); without them, none waits."""
    index = WriteIndex(
        {
            name: replace(step, writes=_with_resolved((*step.writes, *step.targets)))
            for name, step in files.items()
        }
    )
    # A target is read by what lies inside its results root (the file, a glob, a subfolder),
    # and by a step that takes the whole root or a folder around it, where it can wait.
    targets = {
        target: target.key.removesuffix(posixpath.normpath(target.text)).rstrip("/") + "/"
        for step in files.values()
        for target in step.targets
    }
    upstream: dict[str, tuple[str, ...]] = {}
    around: dict[str, dict[str, None]] = {}  # reader of a whole root -> the target writers
    for name, step in files.items():
        writers: dict[str, None] = {}
        for read in _with_resolved(step.reads):
            for writer, written in index.writers(read):
                if writer == name:
                    continue
                if written in targets:  # a result target
                    if not read.key.startswith(targets[written]):
                        if targets[written].startswith(read.key.rstrip("/") + "/"):
                            around.setdefault(name, {})[writer] = None  # the root, or around
                        continue
                    if not read.pattern and not target_meets(read, written):
                        continue  # another file of the root (`model/target_match.py`)
                    if targets_read is not None:
                        targets_read.setdefault(name, set()).add(writer)
                writers[writer] = None
        if writers:
            upstream[name] = tuple(writers)
    if around and steps is not None:
        for name, waited in _around_targets(steps, upstream, around).items():
            upstream[name] = tuple(dict.fromkeys((*upstream.get(name, ()), *waited)))
            if targets_read is not None:
                targets_read.setdefault(name, set()).update(waited)
    return upstream


def _around_targets(
    steps: Mapping[str, Step],
    upstream: Mapping[str, tuple[str, ...]],
    around: Mapping[str, Mapping[str, None]],
) -> dict[str, list[str]]:
    """Per reader of a whole results root (or a folder around it), the target writers it
    waits for: each one that does not itself come after the reader (through values,
    `after:`, files or another such wait), which would be a cycle. One of those reads the
    root before the writer stores there, as it always did (`load` reading all of `data/`,
    upstream of a step storing in `data/processed`)."""
    downstream: dict[str, list[str]] = {name: [] for name in steps}
    for name, step in steps.items():
        for dep in (*step.upstream(), *upstream.get(name, ())):
            if dep in downstream:
                downstream[dep].append(name)
    waits: dict[str, list[str]] = {}
    for reader, writers in around.items():
        if reader not in downstream:
            continue
        # What comes after the reader, walked once: a wait added for it below makes the
        # reader come after a writer, never a writer after the reader.
        after = {reader}
        todo = [reader]
        while todo:
            for later in downstream[todo.pop()]:
                if later not in after:
                    after.add(later)
                    todo.append(later)
        for writer in writers:
            if writer in downstream and writer not in after:
                waits.setdefault(reader, []).append(writer)
                downstream[writer].append(reader)
    return waits
