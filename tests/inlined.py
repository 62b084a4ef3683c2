"""Test helpers for results stored inside their manifest on an object store
(`pipeflow/storage/inline.py`): turn them into the layout earlier pipeflows wrote (a payload
object, its manifest, and a `latest.json` copy per step), as an old store holds them."""

from __future__ import annotations

import base64
from dataclasses import replace

from pipeflow.storage import Manifest, ResultStore, get_format
from pipeflow.storage.signing import sign, signing_key


def keyed_manifests(store: ResultStore, pipeline: str) -> dict[str, Manifest]:
    """Every manifest under its key of `pipeline`: path -> manifest."""
    found = {}
    for path in store.list(f".pipeflow/manifests/{pipeline}"):
        if not path.endswith("/latest.json"):
            manifest = store.read_manifest(path)
            assert manifest is not None, path
            found[path] = manifest
    return found


def to_objects(store: ResultStore, pipeline: str) -> None:
    """Store every inline part of `pipeline` as a payload object of its own (re-signed where it
    was signed: a signature names the path), each manifest without them, and per step a
    `latest.json` copy of its newest manifest: the store as pipeflow wrote it before."""
    newest: dict[str, tuple[str, Manifest]] = {}
    for path, manifest in keyed_manifests(store, pipeline).items():
        parts = {}
        for name, record in manifest.parts.items():
            if record.inline is None:
                parts[name] = record
                continue
            extension = get_format(record.format).extension
            step = path.split("/")[-2]
            payload = f".pipeflow/results/{pipeline}/{step}/{manifest.key}.{name}.{extension}"
            store.write_bytes(payload, base64.b64decode(record.inline), internal=True)
            # With the stamp (ETag, md5) the store gives it, as `ResultStore.write` records.
            _, stamp = store.stamps(payload)[payload]
            moved = replace(record, path=payload, inline=None, signature=None, stamp=stamp)
            if record.signature is not None:
                key = signing_key(create=False)
                assert key is not None
                moved = replace(moved, signature=sign(moved, key))
            parts[name] = moved
        filed = replace(manifest, parts=parts)
        store.write_manifest(path, filed)
        folder = path.rsplit("/", 1)[0]
        if folder not in newest or filed.created > newest[folder][1].created:
            newest[folder] = path, filed
    for folder, (_, manifest) in newest.items():
        store.write_manifest(f"{folder}/latest.json", manifest)
