"""Digests and data versions: the hashing vocabulary of cache keys (see `keys.py`).

A step's key hashes its fingerprint with the data versions of the steps it takes values from.
This module holds the pieces both sides use: the short digest of some strings, the canonical
JSON a value enters a key as, and the data version of a stored result (one value, or a
`foreach` step's items in order).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from typing import IO, Any, BinaryIO, cast

from pipeflow.records import record
from pipeflow.storage import Manifest

KEY_LENGTH = 24  # hex digits of sha256 kept: collisions stay negligible, paths stay short


def digest(*parts: str) -> str:
    """A short, stable hash of some strings."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()[:KEY_LENGTH]


def canonical_json(value: Any) -> str:
    """A value as JSON with sorted keys; what JSON cannot hold is written by its repr."""
    # One encoder for every call (what json.dumps with these options would make each time).
    try:
        return _ENCODER.encode(value)
    except TypeError:  # a mapping whose keys mix numbers and texts (`{0: a, x: b}`)
        return _ENCODER.encode(_keys_as_text(value))


def _keys_as_text(value: Any) -> Any:
    """`value` with every mapping's keys as texts that sort, a key that is no text tagged with
    its type (`{0: a}` stays apart from `{"0": a}`)."""
    if isinstance(value, Mapping):
        return {
            key if isinstance(key, str) else f"{_TAG}{type(key).__name__}:{key!r}": (
                _keys_as_text(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_keys_as_text(item) for item in value]
    return value


@record
class StepValue:
    """Stands for another step's value in a fingerprint: that value enters the key through the
    step's data version, so here only its reference counts, written as its text.

    Not a string, so it is never taken for a file name (`${steps.x}` "has an extension").
    """

    text: str  # `${steps.NAME}` or `${steps.NAME.PART}`

    def __str__(self) -> str:  # inside a template: the reference's text, as before
        return self.text


def _fallback(value: Any) -> Any:
    if isinstance(value, StepValue):
        return value.text  # the JSON is the same as when the reference was the text itself
    # What JSON cannot hold is written tagged with its type, so that it never reads as a value
    # JSON holds: a date and its ISO text (what a JSON params file gives), bytes and their
    # repr, a set and a list are different inputs, with different keys.
    if hasattr(value, "isoformat"):
        return {_TAG + type(value).__name__: value.isoformat()}
    if isinstance(value, set | frozenset):
        return {_TAG + "set": sorted(map(repr, value))}
    return {_TAG + type(value).__name__: repr(value)}


_TAG = "\0"  # a key no config or params file writes but on purpose


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_fallback)


def data_version(manifest: Manifest, taken: Collection[str] | None = None) -> str:
    """What downstream keys see of a stored result: the checksums of its parts, and of the
    files it wrote (so a step taking its value sees a change in its files too).

    `taken`: the only parts a step takes (`${steps.split.train}`), so that a change of
    another part (`test`) leaves its key as it was; None, or every part, for all of them."""
    if len(manifest.parts) == 1 and not manifest.files:  # most results: nothing to sort
        ((name, part),) = manifest.parts.items()
        return digest(f"{name}={part.checksum}")
    names = sorted(manifest.parts)
    # Marked apart, so a version of some parts never equals one of all (they hash alike).
    if taken is not None and set(taken) < set(names):
        names, parts = sorted(taken), ["parts"]
    else:
        parts = []
    parts += [f"{name}={manifest.parts[name].checksum}" for name in names]
    for label, written in sorted(manifest.files.items()):
        parts += [f"{label}:{name}={e.checksum}" for name, e in sorted(written.entries.items())]
    return digest(*parts)


def taken_version(version: str, manifest: Manifest | None, taken: Collection[str] | None) -> str:
    """The data version a step sees of an upstream result whose data version is `version`:
    with `taken`, the named outputs it takes of it alone, when `manifest` holds them."""
    if taken is None or manifest is None or data_version(manifest) != version:
        return version  # the whole value, or one not stored (its hash, a `foreach` list's)
    return data_version(manifest, taken)


def value_version(parts: Mapping[str, Any]) -> str | None:
    """What the steps after a step whose result is not stored see of its value: the sha256
    of each part as it would be stored (in the format `format_for_value` picks), as a stored
    result's `data_version` is made of its checksums. Taken where the step ran, as the value
    is made; None when a part has no format that holds it (a connection, a lock): such a value
    counts by its step's key."""
    from pipeflow.storage.checksums import HashingWriter
    from pipeflow.storage.formats import format_for_value

    checksums = []
    for name, part in sorted(parts.items()):
        try:
            with HashingWriter(cast(IO[bytes], _Discard())) as sink:
                format_for_value(part).write(part, cast(BinaryIO, sink))
        except Exception:  # pickle cannot hold it, or a writer refused: no bytes to compare
            return None
        checksums.append(f"{name}={sink.checksum}")
    return digest("value", *checksums)


class _Discard:
    """A file that keeps nothing: `value_version` wants the bytes' hash alone."""

    def write(self, data: Any) -> int:
        return memoryview(data).nbytes

    def flush(self) -> None:
        pass


def fan_out_version(item_versions: list[str]) -> str:
    """The data version of a `foreach` step: its items' versions, in order."""
    return digest("foreach", *item_versions)


class FanOutHasher:
    """`fan_out_version` taken one item version at a time, in order: `hexdigest()[:KEY_LENGTH]`
    of it is `fan_out_version` of the versions given to `update`."""

    def __init__(self) -> None:
        self._hasher = hashlib.sha256(b"foreach\0")

    def update(self, version: str) -> None:
        self._hasher.update(version.encode("utf-8"))
        self._hasher.update(b"\0")

    def hexdigest(self) -> str:
        return self._hasher.hexdigest()
