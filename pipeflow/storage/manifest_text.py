"""A manifest's JSON as it is stored, written field by field (`Manifest.to_json`): a manifest
is written for every stored step, and building its whole document for json to write cost more
than the step. `Manifest.reference_json` writes the same bytes the generic way; and `created_now`,
the time a manifest records.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pipeflow.storage.written import files_document

if TYPE_CHECKING:
    from pipeflow.storage.manifest import Manifest, PartRecord

_second: tuple[int, str] = (-1, "")  # the last second `created_now` wrote, and its text


def created_now() -> str:
    """The current time as a manifest's `created` holds it, UTC to the microsecond:
    `datetime.now(timezone.utc).isoformat(timespec="microseconds")`'s text, the date and time
    of day written once per second rather than for every stored step."""
    global _second
    seconds, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
    second, text = _second
    if second != seconds:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = (seconds, text)
    return f"{text}.{nanoseconds // 1000:06d}+00:00"


def direct_text(manifest: Manifest) -> str | None:
    """`reference_json`'s text, written field by field in its order (sorted keys, json's
    separators); None when a field is not of its declared type, or a param or component is
    not finite (jsontext's fallback) or refers to itself, so that the generic way writes it."""
    key, pipeline, step, run_id = manifest.key, manifest.pipeline, manifest.step, manifest.run_id
    created, version, records = manifest.created, manifest.version, manifest.parts
    if not (
        type(key) is str
        and type(pipeline) is str
        and type(step) is str
        and type(run_id) is str
        and type(created) is str
        and type(version) is int
    ):
        return None
    parts = []
    for name in sorted(records) if len(records) > 1 else records:
        part = _part_text(records[name]) if type(name) is str else None
        if part is None:
            return None
        parts.append(f"{_string(name)}: {part}")
    try:
        components = _nested(dict(manifest.components))
        params = _nested(dict(manifest.params)) if manifest.params else "{}"
        files = f'"files": {_nested(files_document(manifest.files))}, ' if manifest.files else ""
        signature = manifest.files_signature
        if signature is not None:
            if type(signature) is not str:
                return None
            files += f'"files_signature": {_string(signature)}, '
        paths = (
            f'"paths": {_nested({name: list(found) for name, found in manifest.paths.items()})}, '
            if manifest.paths
            else ""
        )
    except (ValueError, RecursionError):  # NaN or infinity; a value that contains itself
        return None
    return (
        f'{{"components": {components}, "created": {_string(created)}, {files}'
        f'"key": {_string(key)}, "params": {params}, '
        f'"parts": {{{", ".join(parts)}}}, {paths}'
        f'"pipeline": {_string(pipeline)}, "run_id": {_string(run_id)}, '
        f'"step": {_string(step)}, "version": {version!r}}}'
    )


def _part_text(record: PartRecord) -> str | None:
    """`_part_document(record)`'s JSON, or None when a field is not of its declared type."""
    path, format, size, checksum = record.path, record.format, record.size, record.checksum
    if not (
        type(path) is str and type(format) is str and type(size) is int and type(checksum) is str
    ):
        return None
    stamp, signature, blob, offset = record.stamp, record.signature, record.blob, record.offset
    text = ""
    if blob is not None:
        if type(blob) is not str:
            return None
        text = f'"blob": {_string(blob)}, '
    text += f'"checksum": {_string(checksum)}, "format": {_string(format)}, '
    if record.inline is not None:  # a payload inside its manifest (object stores)
        if type(record.inline) is not str:
            return None
        text += f'"inline": {_string(record.inline)}, '
    if offset is not None:
        if type(offset) is not int:
            return None
        text += f'"offset": {offset!r}, '
    text += f'"path": {_string(path)}, '
    if signature is not None:
        if type(signature) is not str:
            return None
        text += f'"signature": {_string(signature)}, '
    text += f'"size": {size!r}'
    if stamp is not None:
        if type(stamp) is not str:
            return None
        text += f', "stamp": {_string(stamp)}'
    return "{" + text + "}"


def stand_in(value: Any) -> Any:
    """A JSON stand-in for a param value json cannot write, so a manifest can always be written.

    The manifest records params for people and for status reasons; cache keys are computed
    elsewhere from the values themselves, so a lossy form here changes nothing.
    """
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass  # an array of several items: its repr will do
    return repr(value)


# What `reference_json` writes with (jsontext.dumps's options), made once: `to_json` writes
# the manifest's params, components and files with it, and each str as json writes one.
_ENCODER = json.JSONEncoder(sort_keys=True, default=stand_in, ensure_ascii=False, allow_nan=False)
_string = json.encoder.encode_basestring  # in C where json has it, as the encoder's own


def _nested(value: dict[str, Any]) -> str:
    """`value`'s JSON as `_ENCODER` writes it: with json's C encoder made once (what each
    `encode` call would make again), without its check for values that contain themselves
    (a RecursionError instead, which sends the manifest the generic way)."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


_make = getattr(json.encoder, "c_make_encoder", None)  # None where json has no C encoder
# The arguments JSONEncoder.iterencode gives it for `_ENCODER`, but no markers (see above).
_C_ENCODE = (
    None if _make is None else _make(None, stand_in, _string, None, ": ", ", ", True, False, False)
)
