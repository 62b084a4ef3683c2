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
5. A segment may also hold `"splits"`: every 1,000th path of the store as its publisher saw it
   (its listing, and what it stored since). The next run's listing of the store is cut at
   those paths into ranges listed at once (`storage/ranges.py`). They are a hint: whatever
   they say, the listing is the same, only slower where they are out of date; a run whose
   listing shows them out of date (a range of more than a page, or many more ranges than
   pages) publishes a segment with new ones.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone

from pipeflow.model import jsontext
from pipeflow.storage import ResultStore, ranges

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
        self._splits: set[str] = set()  # where the segments read cut the store's listing
        self._paths: set[str] = set()  # paths of the store this run listed or stored
        self._resplit = False  # the splits read are out of date: publish new ones

    def load(self) -> None:
        """Read every segment (before the store is listed: rule 2)."""
        names = [name for name in self._store.list(self._prefix) if name.endswith(".json")]
        for name, data in self._store.read_many(names).items():
            if data is None:
                continue  # removed meanwhile by another run, which published its entries
            self._segments.append(name)
            document = _document(data)
            self._splits.update(_splits(document))
            manifests = _manifests(document, self._pipeline)
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

    def splits(self) -> list[str]:
        """Where to cut the listing of the store into ranges listed at once (rule 5)."""
        return sorted(self._splits)

    def observe(self, listing: Listing) -> None:
        """The listing of the whole store: its paths are where the next run's splits come
        from, and new splits are published when the ones read no longer fit it (rule 5)."""
        paths = sorted(listing)
        self._paths.update(paths)
        self._resplit = not fits(self.splits(), paths)

    def stored(self, paths: Iterable[str]) -> None:
        """This run stored files at `paths`: the next run's listing will show them."""
        self._paths.update(paths)

    def get(self, path: str) -> bytes | None:
        """The stored text of the manifest at `path`, when the index vouches for it."""
        return self._believed.get(path)

    def entries(self) -> dict[str, bytes]:
        """Every manifest the index would publish now: path -> its text as stored."""
        return {**self._believed, **self._learned}

    def learn(self, path: str, text: bytes) -> None:
        """The manifest at `path` is `text` (this run stored or read it): for the next run."""
        try:
            text.decode("utf-8")  # a segment holds text: anything else stays out of it
        except UnicodeDecodeError:
            return
        if self._believed.get(path) != text:
            self._learned[path] = text
        self._paths.add(path)

    def forget(self, paths: Iterable[str]) -> None:
        """These manifests are gone (`pipeflow gc`, a pack): no entry names them any more,
        nor does a split (rule 5: the next listing will not show them)."""
        for path in paths:
            self._paths.discard(path)
            believed = self._believed.pop(path, None)
            learned = self._learned.pop(path, None)
            if believed is not None or learned is not None:
                self._doubtful = True

    def publish(self) -> None:
        """One new segment with every entry believed or learned, then the segments read are
        removed (rule 3). Nothing is written when the index is already whole and true."""
        whole = not self._doubtful and len(self._segments) <= 1
        if not self._learned and whole and not self._resplit:
            return
        manifests = {**self._believed, **self._learned}
        moment = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        name = f"{self._prefix}/{moment}-{uuid.uuid4().hex}.json"
        splits = self.splits()
        if self._paths:  # as the next run will list the store: this segment in, those read out
            paths = (self._paths - set(self._segments)) | ({name} if manifests else set())
            splits = sample(sorted(paths))
        if manifests:
            document = {
                "version": INDEX_VERSION,
                "pipeline": self._pipeline,
                "manifests": {path: manifests[path].decode("utf-8") for path in sorted(manifests)},
                "splits": splits,
            }
            data = jsontext.dumps(document, ensure_ascii=False).encode("utf-8")
            self._store.write_bytes(name, data, internal=True)
        self._store.delete_files(self._segments)
        self._segments, self._believed, self._learned = [], manifests, {}
        self._splits, self._doubtful, self._resplit = set(splits), False, False


def sample(paths: Sequence[str]) -> list[str]:
    """Splits for a listing of these sorted paths: one every page, so that each range is one
    page, the last one's end left out (its range would hold nothing)."""
    page = ranges.PAGE
    return list(paths[page - 1 : -1 : page])


def fits(splits: Sequence[str], paths: Sequence[str]) -> bool:
    """Whether cutting a listing of these sorted paths at `splits` (sorted) makes ranges of
    at most a page each, and not many more ranges than pages."""
    page = ranges.PAGE
    ends = [bisect_right(paths, split) for split in splits]
    sizes = [after - before for before, after in zip([0, *ends], [*ends, len(paths)], strict=True)]
    pages = -(-len(paths) // page)
    return max(sizes) <= page and len(sizes) <= 2 * pages + 1


def _document(data: bytes) -> object:
    """A segment's JSON document; None when it is not JSON."""
    try:
        return json.loads(data)
    except ValueError:
        return None


def _splits(document: object) -> list[str]:
    """The splits a segment holds; none when it holds none or they are not a list of text."""
    found = document.get("splits") if isinstance(document, dict) else None
    if not isinstance(found, list) or not all(isinstance(split, str) for split in found):
        return []
    return found


def _manifests(document: object, pipeline: str) -> dict[str, bytes] | None:
    """The entries of a segment: manifest path -> text; None when it is not a segment of this
    pipeline's index (broken, another version, tampered with)."""
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
