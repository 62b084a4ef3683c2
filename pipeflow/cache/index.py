"""The manifest index: every manifest of a pipeline in a few objects, so that planning a re-run
on an object store reads those instead of one manifest per step (SPEC section 5: O(1) storage
calls per step).

Layout, in the store's reserved area (beside `results.py`'s):

    .pipeflow/index/PIPELINE/SEGMENT.json    {"version": 1, "pipeline": P,
                                              "manifests": {MANIFEST PATH: MANIFEST TEXT}}

A segment holds manifests as the exact text stored at their paths. How it stays true:

1. Nothing in it is believed on its word. An entry counts only when the store's listing (the
   one listing of the store that checks payloads anyway) shows an object at its path with the
   entry's size and content hash: S3's ETag and GCS's md5 are the md5 of the object's bytes.
   A manifest deleted (`pipeflow gc`, by hand) or replaced since, or an entry tampered with,
   does not match and is ignored: the manifest itself is read then, as without an index.
   Where a listing gives no content hash (a local folder, memory://) nothing is believed, and
   the index is neither read nor written (reading a local manifest costs no request).
2. Segments are read before the store is listed. A run publishes its manifests before the
   segment naming them, so any entry read names a manifest the later listing shows, unless it
   has truly gone since.
3. Each run adds one segment (a unique name, published atomically like every stored file)
   with what it learned (manifests it stored, manifests it had to read) and every entry it
   could believe, and then removes the segments it read, never one it did not. Two runs at
   once each publish their own segment: neither loses the other's entries, and a reader merges
   them. A segment that cannot be parsed is ignored and removed with the others.
4. Missing or stale entries are rebuilt as a side effect: a manifest the listing shows but the
   index does not vouch for is read (all of them at once, on the first such step) and goes
   into the run's segment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from pipeflow.model import jsontext
from pipeflow.storage import ResultStore

INDEX = ".pipeflow/index"
INDEX_VERSION = 1

Listing = Mapping[str, tuple[int, str | None]]  # path -> (size, stamp), `ResultStore.stamps`


def content_stamps(data: bytes) -> tuple[str, str]:
    """The stamps an object store lists for an object of exactly these bytes (written in one
    request): S3's ETag and GCS's md5, as `filesystems.object_stamp` spells them."""
    md5 = hashlib.md5(data, usedforsecurity=False).digest()
    return f"etag:{md5.hex()}", f"md5:{base64.b64encode(md5).decode('ascii')}"


def listed_as(listed: tuple[int, str | None] | None, data: bytes) -> bool:
    """Whether the listing's (size, stamp) of an object shows these very bytes."""
    if listed is None:
        return False
    size, stamp = listed
    return size == len(data) and stamp is not None and stamp in content_stamps(data)


class ManifestIndex:
    """The manifest index of one pipeline in one store (see the module's docstring)."""

    def __init__(self, store: ResultStore, pipeline: str) -> None:
        self._store = store
        self._pipeline = pipeline
        self._prefix = f"{INDEX}/{pipeline}"
        self._segments: list[str] = []  # segments read, removed once this run's is published
        self._offered: dict[str, list[bytes]] = {}  # path -> texts the segments hold for it
        self._believed: dict[str, bytes] = {}  # path -> the stored text, checked by a listing
        self._learned: dict[str, bytes] = {}  # path -> text stored or read by this run
        self._doubtful = False  # an entry or segment was not believed: publish without it

    def load(self) -> None:
        """Read every segment (before the store is listed: rule 2)."""
        names = [name for name in self._store.list(self._prefix) if name.endswith(".json")]
        for name, data in self._store.read_many(names).items():
            if data is None:
                continue  # removed meanwhile by another run, which published its entries
            self._segments.append(name)
            manifests = _manifests(data, self._pipeline)
            if manifests is None:
                self._doubtful = True
                continue
            for path, text in manifests.items():
                self._offered.setdefault(path, []).append(text)

    def check(self, listing: Listing) -> None:
        """Believe each entry the listing shows as stored (rule 1); forget the others."""
        for path, texts in self._offered.items():
            found = next((text for text in texts if listed_as(listing.get(path), text)), None)
            if found is None:
                self._doubtful = True
            else:
                self._believed[path] = found
                self._doubtful |= len(texts) > 1
        self._offered = {}

    def get(self, path: str) -> bytes | None:
        """The stored text of the manifest at `path`, when the index vouches for it."""
        return self._believed.get(path)

    def learn(self, path: str, text: bytes) -> None:
        """The manifest at `path` is `text` (this run stored or read it): for the next run."""
        try:
            text.decode("utf-8")  # a segment holds text: anything else stays out of it
        except UnicodeDecodeError:
            return
        if self._believed.get(path) != text:
            self._learned[path] = text

    def forget(self, paths: Iterable[str]) -> None:
        """These manifests are gone (`pipeflow gc`): no entry names them any more."""
        for path in paths:
            believed = self._believed.pop(path, None)
            learned = self._learned.pop(path, None)
            if believed is not None or learned is not None:
                self._doubtful = True

    def publish(self) -> None:
        """One new segment with every entry believed or learned, then the segments read are
        removed (rule 3). Nothing is written when the index is already whole and true."""
        if not self._learned and not self._doubtful and len(self._segments) <= 1:
            return
        manifests = {**self._believed, **self._learned}
        if manifests:
            document = {
                "version": INDEX_VERSION,
                "pipeline": self._pipeline,
                "manifests": {path: manifests[path].decode("utf-8") for path in sorted(manifests)},
            }
            moment = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            name = f"{self._prefix}/{moment}-{uuid.uuid4().hex}.json"
            data = jsontext.dumps(document, ensure_ascii=False).encode("utf-8")
            self._store.write_bytes(name, data, internal=True)
        self._store.delete_files(self._segments)
        self._segments, self._believed, self._learned = [], manifests, {}
        self._doubtful = False


def _manifests(data: bytes, pipeline: str) -> dict[str, bytes] | None:
    """The entries of a segment: manifest path -> text; None when it is not a segment of this
    pipeline's index (broken, another version, tampered with)."""
    try:
        document = json.loads(data)
    except ValueError:
        return None
    if (
        not isinstance(document, dict)
        or document.get("version") != INDEX_VERSION
        or document.get("pipeline") != pipeline
        or not isinstance(document.get("manifests"), dict)
    ):
        return None
    found: dict[str, bytes] = {}
    for path, text in document["manifests"].items():
        if not isinstance(text, str):
            return None
        try:
            found[path] = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: not text any store holds
            return None
    return found
