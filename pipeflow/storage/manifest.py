"""The manifest written beside a stored result, last: what the result is and which bytes make it up.

A result whose manifest is missing, unreadable or does not match its payload does not exist for
pipeflow (SPEC section 5), so `Manifest.from_json` is strict: anything off is a ValueError, which
the store turns into "no result". Its JSON is written by `manifest_text.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from typing import Any

from pipeflow.model import jsontext
from pipeflow.records import record
from pipeflow.storage.manifest_text import direct_text, stand_in
from pipeflow.storage.written import WrittenFiles, files_document, files_from_document

MANIFEST_VERSION = 1

_CHECKSUM = re.compile(r"^sha256:[0-9a-f]{64}$")


@record
class PartRecord:
    """One stored payload: where it is, how it is encoded, and the bytes it must have."""

    path: str  # relative to the store root
    format: str
    size: int
    checksum: str  # "sha256:<hex>"
    # What the store said about the object just after writing it (its ETag or md5 on an object
    # store), so that a later listing can tell whether the payload was replaced without reading
    # it. None where the store has no such stamp (a local path), and in manifests written before.
    stamp: str | None = None
    # For a payload whose format runs code when loaded (pickle, joblib): an HMAC of the fields
    # above made with the project's key (`signing.py`). Without a valid one it is never loaded.
    signature: str | None = None
    # A copy of the payload kept by its checksum (`.pipeflow/files/sha256/...`), for a payload
    # at a `target`, which a run with other inputs overwrites: the blob restores it.
    blob: str | None = None
    # For a small payload kept in a run's journal (`journal.py`): where its bytes start in
    # the file at `path` (they are `size` bytes long). None for a payload that is a file.
    offset: int | None = None
    # For a small payload kept inside its own manifest on an object store (`inline.py`): its
    # bytes, base64-encoded; `path` is then the manifest's own path. None for any other.
    inline: str | None = None


@record
class Manifest:
    """Everything about one stored step result; written after all of its parts are complete."""

    key: str  # the step's cache key
    pipeline: str
    step: str
    run_id: str
    created: str  # ISO 8601, UTC
    params: Mapping[str, Any]  # the params the step consumed
    parts: Mapping[str, PartRecord]  # part name -> record; "value" for a single value
    version: int = MANIFEST_VERSION
    # What the cache key was made of (code, values, files, upstream versions), so that a later
    # run can say what changed. Opaque to the store.
    components: Mapping[str, Any] = field(default_factory=dict)
    # What the step's `writes:` held when it finished (see `written.py`); empty without any.
    files: Mapping[str, WrittenFiles] = field(default_factory=dict)
    # Per part, the strings of its value that look like paths (`locations.value_paths`):
    # a step that takes the value counts the files they name. Empty for most values.
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The signature of `files` (`signing.sign_files`): without a valid one, none is restored.
    files_signature: str | None = None

    def to_json(self) -> bytes:
        """The manifest's JSON as stored, one line: the same bytes as `reference_json`, written
        without building its document first (a manifest is written for every stored step)."""
        text = direct_text(self)
        if text is None:  # a value the direct writing does not take as it is: the generic way
            return self.reference_json()
        return jsontext.utf8(text) + b"\n"

    def reference_json(self) -> bytes:
        """The manifest's JSON from its whole document, which `to_json` writes the same."""
        document = {
            "version": self.version,
            "key": self.key,
            "pipeline": self.pipeline,
            "step": self.step,
            "run_id": self.run_id,
            "created": self.created,
            "params": dict(self.params),
            "components": dict(self.components),
            "parts": {name: _part_document(record) for name, record in self.parts.items()},
        }
        if self.files:  # absent rather than empty: manifests without writes stay as they were
            document["files"] = files_document(self.files)
        if self.files_signature is not None:
            document["files_signature"] = self.files_signature
        if self.paths:  # absent rather than empty, as `files`
            document["paths"] = {name: list(found) for name, found in self.paths.items()}
        # One line: without `indent` json encodes in C, several times faster than its Python
        # encoder, and a manifest is written for every stored step (manifests written indented
        # by earlier pipeflows read the same).
        text = jsontext.dumps(document, sort_keys=True, default=stand_in, ensure_ascii=False)
        return jsontext.utf8(text) + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """The manifest in `data`; ValueError naming the first thing that is wrong."""
        document = _parsed(data)  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        quick = _quick(document)  # read for every stored step a plan finds: most are quick
        return quick if quick is not None else cls.from_document(document)

    @classmethod
    def from_document(cls, document: Any) -> Manifest:
        """The manifest of a parsed JSON document, every field checked one by one."""
        if not isinstance(document, dict):
            raise ValueError("a manifest must be a JSON object")
        version = _field(document, "version", int)
        if version != MANIFEST_VERSION:
            raise ValueError(
                f"manifest version {version} is not supported (this pipeflow reads version "
                f"{MANIFEST_VERSION}); it was probably written by another pipeflow version"
            )
        created = _field(document, "created", str)
        try:
            datetime.fromisoformat(created)
        except ValueError as error:
            raise ValueError(f"manifest `created` is not an ISO 8601 time: {created!r}") from error
        parts_document = _field(document, "parts", dict)
        parts = {str(name): _part(name, part) for name, part in parts_document.items()}
        return cls(
            key=_field(document, "key", str),
            pipeline=_field(document, "pipeline", str),
            step=_field(document, "step", str),
            run_id=_field(document, "run_id", str),
            created=created,
            params=_field(document, "params", dict),
            parts=parts,
            version=version,
            components=_optional(document, "components", dict),
            files=files_from_document(document["files"]) if "files" in document else {},
            paths=_paths(document["paths"]) if "paths" in document else {},
            files_signature=_optional_string(document, "files_signature"),
        )


def _parsed(data: bytes) -> Any:
    """`json.loads(data)`, without its look for the encoding of a text that starts with `{`
    and a byte other than zero (it says UTF-8 then), and without its second look for spaces
    before the text; anything else, and every error, is `json.loads`'s own."""
    if data[:1] != b"{" or data[1:2] == b"\0":
        return json.loads(data)
    try:
        text = data.decode("utf-8", "surrogatepass")  # as json.loads decodes it
        document, end = _RAW_DECODE(text)
    except ValueError:
        return json.loads(data)  # fails the same way, saying why
    if end != len(text) and text[end:].strip(" \t\n\r"):  # json's spaces
        return json.loads(data)  # "Extra data"
    return document


_RAW_DECODE = json.JSONDecoder().raw_decode  # json.loads's decoder (no option given)


def _quick(document: Any) -> Manifest | None:
    """`Manifest.from_document(document)` for a manifest as this pipeflow writes it (no
    `files`), its fields checked all at once; None for anything else (missing, of another
    type or out of range, `files`): the field-by-field way then reads it, or says what is
    wrong. It takes nothing that way refuses (tests/storage/test_manifest_quick.py)."""
    get = document.get if type(document) is dict else None
    if get is None or "files" in document or "paths" in document or "files_signature" in document:
        return None
    key, pipeline, step, run_id = get("key"), get("pipeline"), get("step"), get("run_id")
    created, version, params, parts = get("created"), get("version"), get("params"), get("parts")
    components = get("components")
    if not (
        type(key) is str
        and type(pipeline) is str
        and type(step) is str
        and type(run_id) is str
        and type(created) is str
        and type(version) is int
        and version == MANIFEST_VERSION
        and type(params) is dict
        and type(components) is dict
        and type(parts) is dict
    ):
        return None
    try:
        datetime.fromisoformat(created)
    except ValueError:
        return None
    records = {}
    for name, part in parts.items():
        if type(part) is not dict:
            return None
        get = part.get
        path, format, size, checksum = get("path"), get("format"), get("size"), get("checksum")
        stamp, signature, blob = get("stamp"), get("signature"), get("blob")
        offset, inline = get("offset"), get("inline")
        if not (
            type(path) is str
            and type(format) is str
            and type(size) is int
            and size >= 0
            and type(checksum) is str
            and _CHECKSUM.match(checksum)
            and (stamp is None or type(stamp) is str)
            and (signature is None or type(signature) is str)
            and (blob is None or type(blob) is str)
            and (offset is None or (type(offset) is int and offset >= 0))
            and (inline is None or type(inline) is str)
        ):
            return None
        records[name] = PartRecord(
            path, format, size, checksum, stamp, signature, blob, offset, inline
        )
    return Manifest(key, pipeline, step, run_id, created, params, records, version, components, {})


def _paths(document: Any) -> dict[str, tuple[str, ...]]:
    """A manifest's `paths`: part name -> the path-like strings of its value."""
    if not isinstance(document, dict) or not all(
        isinstance(found, list) and all(isinstance(text, str) for text in found)
        for found in document.values()
    ):
        raise ValueError("manifest `paths` must map each part to a list of strings")
    return {str(name): tuple(found) for name, found in document.items()}


def _part(name: str, document: Any) -> PartRecord:
    if not isinstance(document, dict):
        raise ValueError(f"manifest part {name!r} must be a JSON object")
    size = _field(document, "size", int, where=f"part {name!r}")
    if size < 0:
        raise ValueError(f"manifest part {name!r} has a negative size")
    checksum = _field(document, "checksum", str, where=f"part {name!r}")
    if not _CHECKSUM.match(checksum):
        raise ValueError(f"manifest part {name!r} checksum is not 'sha256:<64 hex digits>'")
    stamp = document.get("stamp")
    if stamp is not None and not isinstance(stamp, str):
        raise ValueError(
            f"manifest part {name!r} `stamp` must be a str, got {type(stamp).__name__}"
        )
    signature = document.get("signature")
    if signature is not None and not isinstance(signature, str):
        raise ValueError(
            f"manifest part {name!r} `signature` must be a str, got {type(signature).__name__}"
        )
    blob = document.get("blob")
    if blob is not None and not isinstance(blob, str):
        raise ValueError(f"manifest part {name!r} `blob` must be a str, got {type(blob).__name__}")
    offset = document.get("offset")
    if offset is not None and (
        not isinstance(offset, int) or isinstance(offset, bool) or offset < 0
    ):
        raise ValueError(f"manifest part {name!r} `offset` must be a non-negative int")
    inline = document.get("inline")
    if inline is not None and not isinstance(inline, str):
        raise ValueError(f"manifest part {name!r} `inline` must be a str (base64)")
    return PartRecord(
        path=_field(document, "path", str, where=f"part {name!r}"),
        format=_field(document, "format", str, where=f"part {name!r}"),
        size=size,
        checksum=checksum,
        stamp=stamp,
        signature=signature,
        blob=blob,
        offset=offset,
        inline=inline,
    )


def _part_document(record: PartRecord) -> dict[str, Any]:
    document: dict[str, Any] = {
        "path": record.path,
        "format": record.format,
        "size": record.size,
        "checksum": record.checksum,
    }
    if record.stamp is not None:  # older pipeflows wrote none: absent rather than null
        document["stamp"] = record.stamp
    if record.signature is not None:  # only payloads that run code when loaded have one
        document["signature"] = record.signature
    if record.blob is not None:
        document["blob"] = record.blob
    if record.offset is not None:  # a payload in a journal; files have none
        document["offset"] = record.offset
    if record.inline is not None:  # a payload inside its manifest (object stores)
        document["inline"] = record.inline
    return document


def _optional_string(document: dict[str, Any], name: str) -> str | None:
    """An optional text field: None when absent, but a str when present."""
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"manifest `{name}` must be a str, got {type(value).__name__}")
    return value


def _optional(document: dict[str, Any], name: str, kind: type[Any]) -> Any:
    """An optional field: its default when absent, but of the right kind when present."""
    if name not in document:
        return kind()
    return _field(document, name, kind)


def _field(document: dict[str, Any], name: str, kind: type[Any], *, where: str = "") -> Any:
    """`document[name]`, which must exist and be a `kind` (a bool is not an int here)."""
    place = f"manifest {where} " if where else "manifest "
    if name not in document:
        raise ValueError(f"{place}has no `{name}`")
    value = document[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{place}`{name}` must be a {kind.__name__}, got {type(value).__name__}")
    return value
