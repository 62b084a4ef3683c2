"""Small results inside their manifest, on an object store: one object per result.

On an object store, a result without a `target` and without recorded writes whose parts
encode to at most LIMIT bytes in all is not a payload object beside a manifest object but the
manifest alone: each part's record carries its bytes, base64-encoded, in `inline`, with
their `size` and `checksum` as for any payload, and its `path` is the manifest's own path
(what a pickle's signature names). One PUT publishes the result whole (SPEC section 5's
atomic publish), the manifest index (`cache/index.py`) holds the bytes with the manifest's
text, and the store's listing has one key per result. The bytes count, as any payload's, only
when they hash to the recorded checksum; a pickle's only with a valid signature.
(On a local store such results go to the run's journal instead: `journal.py`.)

LIMIT is well below the journal's 64 KiB: every run reads the manifest index whole, and a
manifest's text is in it (a manifest without inline bytes is under 1 KiB), so values of tens of
KiB inside manifests would make a no-op re-run download every one of them, where a payload
object costs it only a line of the listing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from pipeflow.storage.checksums import content_checksum
from pipeflow.storage.formats import Format
from pipeflow.storage.manifest import Manifest, PartRecord
from pipeflow.storage.signing import sign, signing_key

LIMIT = 4 * 1024  # the most bytes (encoded, all parts) a result keeps inside its manifest

if TYPE_CHECKING:
    from pipeflow.storage.store import ResultStore


def store_inline(
    store: ResultStore,
    path: str,
    parts: Mapping[str, tuple[Format, bytes]],
    build: Callable[[dict[str, PartRecord]], Manifest],
) -> Manifest:
    """Store encoded `parts` inside the manifest `build` makes of their records, at `path`
    (the manifest's place under its key), in one write; the manifest."""
    key = signing_key(create=True) if any(f.executes_code for f, _ in parts.values()) else None
    records: dict[str, PartRecord] = {}
    for name, (format, data) in parts.items():
        record = PartRecord(
            path=path,
            format=format.name,
            size=len(data),
            checksum=content_checksum(data),
            inline=base64.b64encode(data).decode("ascii"),
        )
        # The signature covers what a file's does (path, format, size, checksum).
        records[name] = record if key is None else replace(record, signature=sign(record, key))
    manifest = build(records)
    store.write_manifest(path, manifest)
    return manifest


def inline_bytes(record: PartRecord) -> bytes | None:
    """The bytes an inline record carries; None when they are not base64 (tampered with)."""
    assert record.inline is not None
    try:
        return base64.b64decode(record.inline, validate=True)
    except (binascii.Error, ValueError):
        return None


def inline_problem(record: PartRecord) -> str | None:
    """What is wrong with the bytes of an inline record (said after "it"), or None."""
    data = inline_bytes(record)
    if data is None:
        return "holds bytes that are not base64"
    if len(data) != record.size:
        return f"has {len(data)} bytes instead of {record.size}"
    if content_checksum(data) != record.checksum:
        return "no longer matches its checksum"
    return None
