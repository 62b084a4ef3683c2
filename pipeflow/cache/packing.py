"""Packs: an object store's small results gathered into one object (issue 13, object stores).

On an object store a small result is its manifest alone, its bytes inside (`storage/inline.py`):
one PUT publishes it whole while the run goes on. But every run lists the store (to check the
manifest index and the payloads), and a listing costs by the key: 10,000 small results are
10,000 keys to list on every no-op re-run. So once a run finds PACK_AT or more of them in hand
(the index vouched for them, or the run stored or read them), it packs them at its end:

1. one journal object, `.pipeflow/journal/PIPELINE/pack-MOMENT-UUID.log`, in the run journal's
   format (`storage/journal.py`): a record per result, without payload, its manifest's text
   exactly as stored. The parts keep their `path` (the manifest's place, which a pickle's
   signature names) and their bytes inside, so nothing is re-signed and nothing re-encoded;
2. the manifest index is published without them (the journal holds them now);
3. their manifest objects are deleted.

Every run reads a pipeline's journals whole (`cache/journal.py`), on an object store as on a
local disk; a record counts as any journaled result does (its bytes hashed to its checksum, a
pickle's signature checked), and a key both in a journal and a manifest object is the newer
(the object on a tie). So a crash before 3 leaves the same result twice, harmlessly; a run
that read the index before 3 holds the manifests' text already; and one that lists the store
after 3 finds the journal, published before. A manifest written again meanwhile at the same
path (the same key by another run at once) may be deleted by 3: the packed record of that key
stays, and counts. `pipeflow gc` judges the records as it judges a local journal's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timezone

from pipeflow.cache.layout import LATEST
from pipeflow.storage import Manifest, ResultStore
from pipeflow.storage.journal import EXTENSION, journal_folder, packed

PACK_AT = 1000  # small results in hand, one object each, that a run packs into one (a page)


def pack(store: ResultStore, pipeline: str, entries: Mapping[str, bytes]) -> list[str]:
    """Pack the small results among `entries` (manifest path -> its text as stored, each
    checked against the store's listing or stored by this run) into one journal of the
    pipeline when there are PACK_AT of them or more; the paths of the manifests packed, to
    leave out of the index and then delete. StorageError when the journal cannot be written
    (nothing is lost: the manifests stay)."""
    # A quick look first: most runs have no more than a handful of small results to pack.
    candidates = [
        path
        for path, text in entries.items()
        if b'"inline"' in text and not path.endswith(f"/{LATEST}.json")
    ]
    if len(candidates) < PACK_AT:
        return []
    chosen = {path: entries[path] for path in sorted(candidates) if _small(entries[path])}
    if len(chosen) < PACK_AT:
        return []
    moment = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    name = f"{journal_folder(pipeline)}/pack-{moment}-{uuid.uuid4().hex}{EXTENSION}"
    store.write_bytes(name, packed(chosen.values()), internal=True)
    return list(chosen)


def _small(text: bytes) -> bool:
    """Whether a manifest's text is a result whose every byte is inside it."""
    try:
        manifest = Manifest.from_json(text)
    except ValueError:
        return False
    parts = manifest.parts.values()
    return bool(parts) and not manifest.files and all(part.inline is not None for part in parts)
