"""Test helpers for the run journals of a local store (`pipeflow/storage/journal.py`): find a
step's record, change its payload or manifest in place, append a forged record, as whoever can
write the store could."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipeflow.storage import Manifest, PartRecord, ResultStore, get_format
from pipeflow.storage.journal import HEADER, MAGIC, Record, records


def journals(root: Path, pipeline: str) -> list[Path]:
    return sorted((root / ".pipeflow" / "journal" / pipeline).glob("*.log"))


def found(root: Path, pipeline: str, step: str) -> tuple[Path, Record, Manifest]:
    """The newest record of `step` in the journals of `pipeline` under the store `root`."""
    candidates = [
        (path, record, manifest)
        for path in journals(root, pipeline)
        for record in records(path.read_bytes())
        if (manifest := _parsed(record)) is not None
    ]
    mine = [item for item in candidates if item[2].step == step]
    assert mine, f"no record of {step} in {journals(root, pipeline)}"
    return max(mine, key=lambda item: item[2].created)


def _parsed(record: Record) -> Manifest | None:
    try:
        return Manifest.from_json(record.manifest)
    except ValueError:
        return None  # made broken on purpose by an earlier change


def part(root: Path, pipeline: str, step: str, name: str = "value") -> tuple[Path, PartRecord]:
    path, _, manifest = found(root, pipeline, step)
    return path, manifest.parts[name]


def rewrite_payload(root: Path, pipeline: str, step: str, data: bytes, name: str = "value") -> None:
    """Put `data` (as long as the payload, or shorter: padded) in place of a payload's bytes."""
    path, record = part(root, pipeline, step, name)
    assert record.offset is not None
    assert len(data) <= record.size, (data, record)
    content = bytearray(path.read_bytes())
    content[record.offset : record.offset + record.size] = data.ljust(record.size, b" ")
    path.write_bytes(bytes(content))


def break_manifest(root: Path, pipeline: str, step: str) -> None:
    """Make the manifest of a step's newest record no JSON (the record's frame stays whole)."""
    path, record, _ = found(root, pipeline, step)
    content = bytearray(path.read_bytes())
    size = len(record.manifest)
    content[record.end : record.end + size] = b"{not json".ljust(size, b" ")
    path.write_bytes(bytes(content))


def append_forged(
    root: Path,
    pipeline: str,
    step: str,
    data: bytes,
    *,
    signer: Callable[[PartRecord], str] | None = None,
) -> PartRecord:
    """Append to the journal a record of `step` for its key whose payload is `data`, with a
    manifest that matches it (size, checksum; signed by `signer`, if given), newer than the
    original."""
    path, _, manifest = found(root, pipeline, step)
    content = path.read_bytes()
    record = replace(
        manifest.parts["value"],
        offset=len(content) + HEADER.size,
        size=len(data),
        checksum="sha256:" + hashlib.sha256(data).hexdigest(),
        signature=None,
    )
    if signer is not None:
        record = replace(record, signature=signer(record))
    created = datetime.fromisoformat(manifest.created) + timedelta(microseconds=1)
    document = replace(
        manifest, parts={"value": record}, created=created.isoformat(timespec="microseconds")
    ).to_json()
    path.write_bytes(content + HEADER.pack(MAGIC, len(data), len(document)) + data + document)
    return record


def latest_document(root: Path, pipeline: str, step: str) -> dict[str, Any]:
    """The newest manifest of `step` as JSON: its `latest.json`, or its newest record."""
    folder = root / ".pipeflow" / "manifests" / pipeline / step
    candidates = []
    if (folder / "latest.json").exists():
        candidates.append(Manifest.from_json((folder / "latest.json").read_bytes()))
    if journals(root, pipeline):
        candidates.append(found(root, pipeline, step)[2])
    newest = max(candidates, key=lambda manifest: manifest.created)
    document: dict[str, Any] = json.loads(newest.to_json())
    return document


def to_files(root: Path, pipeline: str, step: str) -> Manifest:
    """Store the newest journaled result of `step` as a payload file and a manifest file (and
    `latest.json`), as pipeflow stores a large value or stored any value before journals; the
    manifest file is the one read from then on (a file wins over a record of the same time)."""
    store = ResultStore(str(root))
    _, _, manifest = found(root, pipeline, step)
    parts = {}
    for name, record in manifest.parts.items():
        assert record.offset is not None
        data = store.read_range(record.path, record.offset, record.size)
        assert data is not None
        extension = get_format(record.format).extension
        path = f".pipeflow/results/{pipeline}/{step}/{manifest.key}.{name}.{extension}"
        store.write_bytes(path, data, internal=True)
        parts[name] = replace(record, path=path, offset=None)
    filed = replace(manifest, parts=parts)
    folder = f".pipeflow/manifests/{pipeline}/{step}"
    store.write_manifest(f"{folder}/{manifest.key}.json", filed, copies=[f"{folder}/latest.json"])
    return filed


def all_to_files(root: Path, pipeline: str) -> None:
    """Store every journaled result of `pipeline` as files (`to_files`), then remove the
    journals: the store as pipeflow wrote it before journals."""
    steps = {
        Manifest.from_json(record.manifest).step
        for path in journals(root, pipeline)
        for record in records(path.read_bytes())
    }
    for step in steps:
        to_files(root, pipeline, step)
    for path in journals(root, pipeline):
        path.unlink()
