"""Cache keys: what a step's result depends on, hashed; and, when it changed, what changed.

A key is the hash of two halves:

1. the step's own fingerprint, known before the run: its code (see `code.py`), the values
   of the params and literals it consumes, the content of files its inputs name, and its
   result settings;
2. the data versions of the steps it takes values from: the checksums of their stored
   results (or, for a value that is never stored, that step's key).

Using upstream *data* rather than upstream keys means a step whose upstream re-ran but
produced the same bytes is still cached, and `pipeflow accept` can re-stamp one step without
re-running everything after it. Every part is kept by name in the manifest, so a later run
can say "param test_data_ratio changed (0.2 -> 0.3)" rather than "the key changed".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import field
from typing import Any

from pipeflow.cache.code import CodeFingerprinter
from pipeflow.cache.consumed import run_values, shown_params, target_param_refs
from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.fingerprint import Fingerprint, ItemPart
from pipeflow.cache.own_writes import OwnWrites
from pipeflow.cache.project_paths import local_path
from pipeflow.cache.source import Source
from pipeflow.cache.unchanged import FileStamp
from pipeflow.cache.versions import StepValue, canonical_json, digest
from pipeflow.cache.workspace import Override, Workspace
from pipeflow.model.locations import (
    Location,
    has_item,
    is_pattern,
    item_lookup,
    locate,
    names_place,
    path_texts,
    strings_in,
)
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, references, resolve
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.records import record


@record(frozen=False)
class Fingerprinter:
    """Computes the fingerprints of a pipeline's steps; shares parsed code and file hashes."""

    pipeline: Pipeline
    files: FileFingerprints
    secrets: Secrets = NO_SECRETS  # never part of a manifest: what is shown of a key's parts
    # The files (absolute paths, URLs) the stored versions of a step wrote, less those that
    # were there before each ran: tells its output below a folder it writes from a read.
    written: Callable[[Step], frozenset[str]] = lambda step: frozenset()
    code: CodeFingerprinter = field(init=False)

    def __post_init__(self) -> None:
        self.code = CodeFingerprinter(self.pipeline.project_dir)
        # Per config folder: a sub-pipeline's code is named as when it runs alone (`cst/m.py`).
        self._coders: dict[str, CodeFingerprinter] = {self.pipeline.project_dir: self.code}
        self._codes: dict[tuple[str, str], Mapping[str, str]] = {}
        self._sources: dict[tuple[str, str], tuple[Source, ...]] = {}
        # Per step, the local files its key was last computed from: by its own fingerprint,
        # its items' and the files other steps' values name (`stamps`).
        self._stamps: dict[str, dict[str, frozenset[FileStamp]]] = {}
        self._settings: dict[tuple[Any, ...], str] = {}
        self.own = OwnWrites(self.written)

    def fingerprint(
        self,
        step: Step,
        lookup: Callable[[Ref], Any],
        *,
        overrides: tuple[Override, ...] = (),
    ) -> Fingerprint:
        """The step's fingerprint, the stamps of the files it was computed from kept."""
        with self.files.recording() as seen:
            found = self._fingerprint(step, lookup, overrides)
        self._keep(step, "own", seen, lookup)
        return found

    def _keep(
        self, step: Step, part: str, seen: set[FileStamp], lookup: Callable[[Ref], Any]
    ) -> None:
        """Keep what `part` of the key of `step` was computed from, less its own output."""
        kept = self._stamps.setdefault(step.name, {})
        if step.writes and seen:
            folder = self.pipeline.folder_of(step)
            any_item = item_lookup(lookup, None, False)
            writes = [w.key for w in self._locations(list(step.writes), any_item, folder)]
            seen = {
                s
                for s in seen
                if not any(_overlap(s[0], write) for write in writes) or self.own.read(step, s[0])
            }
        kept[part] = frozenset(seen) | (kept.get(part, frozenset()) if part == "items" else set())

    def stamps(self, step: Step) -> tuple[FileStamp, ...]:
        """The local files and folders the step's key was computed from, as they were hashed."""
        return tuple(sorted(set().union(*self._stamps.get(step.name, {}).values())))

    def _fingerprint(
        self, step: Step, lookup: Callable[[Ref], Any], overrides: tuple[Override, ...]
    ) -> Fingerprint:
        """`lookup` resolves params, env and run references; step references stay as text.

        `overrides`: writes of upstream steps about to be restored, read as they will be
        (Unpredictable when a read cannot be computed before the restore)."""

        origin = step.origin
        workspace = Workspace(self.files, lambda url: self.options_for(url, lookup))
        writes: list[Location] = []
        own: list[Location] = []
        if step.writes or step.reads:
            folder = self.pipeline.folder_of(step)
        if step.writes:
            static_writes = [value for value in step.writes if not has_item(value)]
            item_writes = [value for value in step.writes if has_item(value)]
            writes = self._locations(static_writes, lookup, folder)
            # What the step writes is its output: never fingerprinted as what it reads, and an
            # input folder holding one of its writes neither (an item's writes: any item's).
            own = writes + self._locations(item_writes, item_lookup(lookup, None, False), folder)

        def consumed(ref: Ref) -> Any:
            # A step's value enters the key through its data version, not here.
            if ref.scope != "steps":
                return lookup(ref)
            if origin is not None:  # named as in the sub-pipeline: the same key as run alone
                ref = Ref("steps", (origin.local(ref.step), *ref.path[1:]))
            return StepValue(ref.text)

        values: dict[str, str] = {}
        paths: dict[str, str] = {}
        for name, value in step.inputs.items():
            if type(value) is Ref and value.scope == "steps" and origin is None:
                # Another step's whole value (most inputs of a chain): the JSON of its text,
                # as `consumed` makes it below; it names no file.
                values[f"inputs.{name}"] = digest(canonical_json(value.text))
                continue
            resolved = resolve(value, consumed)
            if type(resolved) is StepValue:  # the JSON of its text; it names no file
                values[f"inputs.{name}"] = digest(canonical_json(resolved.text))
                continue
            values[f"inputs.{name}"] = digest(canonical_json(resolved))
            paths.update(self._files(step, resolved, workspace, own, overrides))
        if step.reads or step.writes:
            static_reads = [value for value in step.reads if not has_item(value)]
            reads = self._locations(static_reads, lookup, folder, "reads")
            paths.update(self._read_files(step, reads, workspace, own, overrides))
            values["reads"] = digest(canonical_json([read.text for read in reads]))
            values["writes"] = digest(canonical_json([write.text for write in writes]))
        item_part = None
        if step.foreach is not None:
            item_part = self._item_part(step, lookup, workspace, own, overrides)
        if step.foreach is not None:
            values["foreach"] = digest(canonical_json(resolve(step.foreach, consumed)))
            values["as"] = step.item_name or "item"
        if step.params:
            values["params"] = digest(canonical_json(resolve(dict(step.params), consumed)))
        target_params = target_param_refs(step)
        target = step.result.target
        if target_params:  # where its result goes: another place is another result
            values["target.params"] = digest(
                canonical_json({".".join(ref.path): lookup(ref) for ref in target_params})
            )
        elif origin is not None and origin.target is not None:  # filled in when inlined
            target = origin.target  # as the sub-pipeline writes it: its key when run alone
            if origin.target_values:  # a `${run.*}` passed to it: filled in for this run
                filled = run_values(origin.target_values, lookup)
                values["target.params"] = digest(canonical_json(filled))
        params = shown_params(step, lookup, self.secrets, target_params)
        shape = (step.outputs, step.result.format, target)
        settings = self._settings.get(shape)
        if settings is None:  # most steps share one: written once
            settings = digest(
                canonical_json(
                    {
                        "outputs": list(step.outputs),
                        "format": step.result.format,
                        "target": target,
                    }
                )
            )
            self._settings[shape] = settings
        return Fingerprint(
            code=self._code(step),
            values=values,
            params=params,
            files=self._shown(paths) if paths else {},
            settings=settings,
            upstream_names={name: origin.local(name) for name in step.value_upstream()}
            if origin is not None
            else {},
            item_part=item_part,
            items_from=_items_only_from(step),
        )

    def _item_part(
        self,
        step: Step,
        lookup: Callable[[Ref], Any],
        workspace: Workspace,
        own: list[Location],
        overrides: tuple[Override, ...],
    ) -> ItemPart:
        """What one item of a `foreach` step adds to its key: the files the item names (a
        path item is read like a path input), and the reads and writes naming the item."""
        folder = self.pipeline.folder_of(step)
        item_reads = [value for value in step.reads if has_item(value)]
        item_writes = [value for value in step.writes if has_item(value)]

        def part(item: Any) -> tuple[dict[str, str], dict[str, str]]:
            with self.files.recording() as seen:
                found = files_of(item)
            self._keep(step, "items", seen, lookup)
            return found

        def files_of(item: Any) -> tuple[dict[str, str], dict[str, str]]:
            find = item_lookup(lookup, item, True)
            writes = self._locations(item_writes, find, folder)
            paths = self._files(step, item, workspace, [*own, *writes], overrides)
            values: dict[str, str] = {}
            if item_reads:
                reads = self._locations(item_reads, find, folder, "reads")
                paths.update(self._read_files(step, reads, workspace, own, overrides))
                values["reads.item"] = digest(canonical_json([read.text for read in reads]))
            if item_writes:
                values["writes.item"] = digest(canonical_json([write.text for write in writes]))
            return self._shown(paths), values

        return part

    def value_files(
        self,
        step: Step,
        lookup: Callable[[Ref], Any],
        paths_of: Callable[[Ref], Sequence[str]],
    ) -> dict[str, str]:
        """Fingerprints of the files named by the values of other steps that `step` takes
        whole, in an input or a list or mapping of one (a step that returns `data/x.txt`):
        `paths_of` gives the paths of a step's value (`value_paths`), LookupError where they
        are not known (such a value is left out)."""
        found: list[str] = []
        for input_value in step.inputs.values():
            for ref in _whole_step_refs(input_value):
                try:
                    found += paths_of(ref)
                except LookupError:
                    continue
        if not found:
            return {}
        workspace = Workspace(self.files, lambda url: self.options_for(url, lookup))
        folder = self.pipeline.folder_of(step)
        static_writes = [text for text in step.writes if not has_item(text)]
        own = self._locations(static_writes, lookup, folder) if step.writes else []
        with self.files.recording() as seen:
            paths = self._files(step, found, workspace, own, ())
        self._keep(step, "values", seen, lookup)
        return self._shown(paths) if paths else {}

    @staticmethod
    def _locations(
        values: list[Any], lookup: Callable[[Ref], Any], folder: str, field: str = "writes"
    ) -> list[Location]:
        return [locate(text, folder) for text in path_texts(values, lookup, field)]

    def _read_files(
        self,
        step: Step,
        reads: list[Location],
        workspace: Workspace,
        own: list[Location],
        overrides: tuple[Override, ...],
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        for read in reads:
            exclude = self.own.exclusion(step, read, own) or frozenset()  # a read all the same
            fingerprint = workspace.fingerprint(read, overrides, exclude)
            if fingerprint is not None:
                found[read.text] = fingerprint
        return found

    def _shown(self, paths: Mapping[str, str]) -> dict[str, str]:
        """File fingerprints by path with secrets masked (they are stored in the manifest).
        Paths that only differ in a secret share one entry, which fingerprints them all:
        the key still changes when any of the files does."""
        files: dict[str, str] = {}
        for path, fingerprint in sorted(paths.items()):
            shown = self.secrets.mask(path)
            files[shown] = fingerprint if shown not in files else digest(files[shown], fingerprint)
        return files

    def sources(self, step: Step) -> tuple[Source, ...]:
        """The source files the step's code key was computed from, as they were read."""
        if step.run is None or step.code_version is not None:
            return ()
        folder = self.pipeline.folder_of(step)
        if (folder, step.run) not in self._sources:
            self._sources[folder, step.run] = self._coder(folder).sources(self._code(step))
        return self._sources[folder, step.run]

    def _code(self, step: Step) -> Mapping[str, str]:
        if step.code_version is not None:
            return {"code_version": step.code_version}
        if step.run is None:
            return {"pipeline": str(step.pipeline)}
        folder = self.pipeline.folder_of(step)
        if (folder, step.run) not in self._codes:
            self._codes[folder, step.run] = self._coder(folder).fingerprint(step.run).parts
        return self._codes[folder, step.run]

    def _coder(self, folder: str) -> CodeFingerprinter:
        """The code fingerprinter of a config's folder, finding modules as this run does."""
        if folder not in self._coders:
            self._coders[folder] = CodeFingerprinter(folder, within=self.pipeline.project_dir)
        return self._coders[folder]

    def _files(
        self,
        step: Step,
        value: Any,
        workspace: Workspace,
        own: list[Location],
        overrides: tuple[Override, ...],
    ) -> dict[str, str]:
        """Fingerprints of the files and folders the strings in an input value name."""
        found: dict[str, str] = {}
        for text in strings_in(value):
            if "://" in text:
                location = locate(text, "/")
            elif names_place(text, self.pipeline.project_dir, self.pipeline.places):
                location = locate(text, self.pipeline.project_dir)
            else:
                continue
            exclude = self.own.exclusion(step, location, own)
            if exclude is None:
                continue  # the step's own output
            path = local_path(text, self.pipeline.project_dir) if location.pattern else None
            if path is not None:  # a file whose own name holds `*`, `?` or `[`: itself
                fingerprint = self.files.fingerprint(path)
            else:  # a glob counts by its matches, as in `reads:`
                fingerprint = workspace.fingerprint(location, overrides, exclude)
            if fingerprint is not None:
                found[text] = fingerprint
        return found

    def options_for(self, url: str, lookup: Callable[[Ref], Any]) -> dict[str, Any]:
        """The results store's options serve input URLs of the same protocol."""
        root = str(resolve(self.pipeline.results.root, lookup))
        if root.split("://")[0] != url.split("://")[0]:
            return {}
        options: dict[str, Any] = resolve(dict(self.pipeline.results.storage_options), lookup)
        return options


def _overlap(path: str, write: str) -> bool:
    """Whether a file the key was computed from is, or holds, a write of the step (an item's
    write with its placeholder: any item's)."""
    if is_pattern(write):
        write = Location(text=write, key=write).prefix.rsplit("/", 1)[0]
    write = write.rstrip("/")
    return path == write or path.startswith(write + "/") or write.startswith(path + "/")


def _whole_step_refs(value: Any) -> Iterator[Ref]:
    """The references to steps' values that stand for a whole value in an input: the input
    itself, or an item of a list or mapping (not a part of a text)."""
    if type(value) is Ref:
        if value.scope == "steps":
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _whole_step_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _whole_step_refs(item)


def _items_only_from(step: Step) -> frozenset[str]:
    """The steps a `foreach` step takes its list of items from and nothing else."""
    if step.foreach is None:
        return frozenset()
    listed = {ref.step for ref in references(step.foreach) if ref.scope == "steps"}
    used = {ref.step for ref in references(dict(step.inputs)) if ref.scope == "steps"}
    return frozenset(listed - used)
