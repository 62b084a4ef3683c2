"""Persisting a step's value on the worker: its parts, then its manifest (SPEC 5).

A part is written where its `target` says, or beside the step's other results under the
store's `.pipeflow/`; on a local store a small result without a target is one record of the
run's journal instead (`storage/journal.py`: payload and manifest in one write), and on an
object store its manifest holds it (`storage/inline.py`: one object). Whichever way, the
manifest comes last: until it exists, the payloads do not count as a result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any

from pipeflow.execute.failures import StepError
from pipeflow.model.locations import value_paths
from pipeflow.records import record
from pipeflow.storage import (
    Format,
    Manifest,
    PartRecord,
    ResultStore,
    TargetFields,
    TemplateError,
    format_for_value,
    get_format,
    inline,
    journal,
    render_target,
)
from pipeflow.storage.blobs import write_kept
from pipeflow.storage.formats import unsuitable_value_error
from pipeflow.storage.manifest_text import created_now
from pipeflow.storage.signing import sign_files
from pipeflow.storage.target_formats import target_format
from pipeflow.storage.unwritten import stored_checksum
from pipeflow.storage.written import WrittenFiles

if TYPE_CHECKING:
    from pipeflow.execute.task import Task


@record
class Persist:
    """Where and how a step's parts are stored; rendered on the worker once the value exists."""

    store: ResultStore
    manifest_paths: tuple[str, ...]  # the manifest under its key, then any `latest` copy
    pipeline: str
    target: str | None  # a template, or None for the content-addressed default
    default_prefix: str  # where parts go without a target: PREFIX.PART.EXT
    format: str | None
    fields: TargetFields | None  # what the target's template may name; None without a target
    components: Mapping[str, Any] = field(default_factory=dict)  # what the key is made of
    # Where the run's journal of small results goes (`storage/journal.py`): on a local store,
    # for a result without a target; None to store every part as a file.
    journal: str | None = None
    # On an object store: a small result without a target goes inside its manifest
    # (`storage/inline.py`), one object instead of two.
    inline: bool = False
    # `--frozen`: nothing is written; a value the same as `stored` (the result stored for the
    # key, if any) counts as that stored result, another as a value not stored.
    frozen: bool = False
    stored: Manifest | None = None


def persist_parts(
    task: Task, parts: Mapping[str, Any], files: Mapping[str, WrittenFiles]
) -> Manifest | None:
    """Store a step's parts where `task.persist` says, its manifest last; the manifest (under
    `--frozen`, nothing is stored: the stored manifest when the parts are the stored ones,
    else None)."""
    persist = task.persist
    assert persist is not None
    formats = {name: _format(persist, name, part) for name, part in parts.items()}
    if persist.frozen:
        return _unchanged(persist.stored, parts, formats, files)
    paths = {name: found for name, part in parts.items() if (found := value_paths(part))}
    if len(parts) > 1:  # every part's format is checked before a byte of any is written
        for name, part in parts.items():
            if not formats[name].accepts(part):
                raise unsuitable_value_error(formats[name], part)
    if persist.journal is not None and persist.target is None and not files:
        journaled = _journal(task, persist, parts, formats, paths)
        if journaled is not None:
            return journaled
    elif persist.inline and persist.target is None and not files:
        inlined = _inline(task, persist, parts, formats, paths)
        if inlined is not None:
            return inlined
    records: dict[str, PartRecord] = {}
    for name, part in parts.items():
        chosen = formats[name]
        if persist.target is not None:
            assert persist.fields is not None
            fields = replace(persist.fields, output=name, ext=chosen.extension)
            path = _rendered(task, persist.target, fields)
        else:
            # Beside the other results of the step, not in a folder of their own: a folder
            # per result would cost the filesystem as much again as the file.
            path = f"{persist.default_prefix}.{name}.{chosen.extension}"
        if persist.target is None:
            # Only pipeflow's own layout may write in the store's reserved `.pipeflow/` area.
            records[name] = persist.store.write(path, part, format=chosen, internal=True)
        else:
            # A target is overwritten by the next run with other inputs: keep this version too.
            records[name] = write_kept(persist.store, path, part, chosen)
    manifest = _manifest(task, persist, records, files, paths)
    # The manifest goes last: until it exists, the payloads above do not count as a result.
    first, *copies = persist.manifest_paths
    persist.store.write_manifest(first, manifest, copies=copies)
    return manifest


def _unchanged(
    stored: Manifest | None,
    parts: Mapping[str, Any],
    formats: Mapping[str, Format],
    files: Mapping[str, WrittenFiles],
) -> Manifest | None:
    """`stored` when `parts` are its parts, byte for byte in their formats; else None."""
    if stored is None or files or set(stored.parts) != set(parts):
        return None
    for name, part in parts.items():
        record = stored.parts[name]
        if record.format != formats[name].name:
            return None
        if stored_checksum(part, formats[name]) != record.checksum:
            return None
    return stored


def _rendered(task: Task, target: str, fields: TargetFields) -> str:
    """Where a target puts this result; a StepError naming the step when it cannot say (a
    key the item lacks): pipeflow's words, not its frames, as validation says it when the
    items are known before the run."""
    try:
        return render_target(target, fields)
    except TemplateError as error:
        detail = str(error).removeprefix(f"target template {target!r}: ")
        raise StepError(
            f"target `{target}` of step `{task.step}` (its `result.target`): {detail}"
        ) from None


def _format(persist: Persist, name: str, part: Any) -> Format:
    """The format of part `name`: `format:`, else its target's extension (as rendered: a
    param may give it), else the one that holds the value."""
    if persist.format is not None:
        return get_format(persist.format)
    if persist.target is not None and persist.fields is not None:
        fields = replace(persist.fields, output=name)
        return target_format(persist.target, fields) or format_for_value(part)
    return format_for_value(part)


def _journal(
    task: Task,
    persist: Persist,
    parts: Mapping[str, Any],
    formats: Mapping[str, Format],
    paths: Mapping[str, tuple[str, ...]],
) -> Manifest | None:
    """Store a small result as one record of the run's journal, manifest and payload in one
    write; None, with nothing written, when a part is too large for it (it is then a file)."""
    assert persist.journal is not None
    encoded: dict[str, tuple[Format, bytes]] = {}
    for name, part in parts.items():
        data = journal.encode(part, formats[name])
        if data is None:
            return None
        encoded[name] = formats[name], data
    return journal.append(
        persist.store,
        persist.journal,
        task.run_id,
        encoded,
        lambda records: _manifest(task, persist, records, {}, paths),
    )


def _inline(
    task: Task,
    persist: Persist,
    parts: Mapping[str, Any],
    formats: Mapping[str, Format],
    paths: Mapping[str, tuple[str, ...]],
) -> Manifest | None:
    """Store a small result inside its manifest, in one write; None, with nothing written,
    when a part is too large for it (it is then an object of its own)."""
    encoded: dict[str, tuple[Format, bytes]] = {}
    room = inline.LIMIT
    for name, part in parts.items():
        data = journal.encode(part, formats[name], limit=room)
        if data is None:
            return None
        encoded[name] = formats[name], data
        room -= len(data)
    return inline.store_inline(
        persist.store,
        persist.manifest_paths[0],
        encoded,
        lambda records: _manifest(task, persist, records, {}, paths),
    )


def _manifest(
    task: Task,
    persist: Persist,
    records: Mapping[str, PartRecord],
    files: Mapping[str, WrittenFiles],
    paths: Mapping[str, tuple[str, ...]],
) -> Manifest:
    """The manifest of a step's stored parts. `records` and `files` are made for it alone, by
    the callers here: kept as they are; the task's and the plan's own mappings are copied."""
    return Manifest(
        key=task.key,
        pipeline=persist.pipeline,
        step=task.step,
        run_id=task.run_id,
        created=created_now(),  # orders runs (gc)
        params=dict(task.consumed_params),
        parts=records,
        components=dict(persist.components),
        files=files,
        paths=paths,
        files_signature=(
            sign_files(files, pipeline=persist.pipeline, step=task.step, key=task.key)
            if files
            else None
        ),
    )
