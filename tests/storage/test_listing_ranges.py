"""A listing of an S3 store cut into ranges listed at once (`storage/ranges.py`) finds exactly
what one listing finds, wherever the splits fall, on moto's real S3 server; keys written or
removed meanwhile by another writer are seen or not, but never one twice and never one lost
that was there all along."""

from __future__ import annotations

import threading
from typing import Any

import fsspec
import pytest

from pipeflow.storage import ResultStore, ranges
from pipeflow.storage.filesystems import object_stamp
from pipeflow.storage.ranges import ranged
from tests.cache.test_manifest_index import Sent
from tests.servers import ObjectStore


def fill(server: ObjectStore, root: str, paths: list[str]) -> Any:
    """An s3fs filesystem, after writing a small object at each of `paths` under `root` (a
    path ending with "/" is an empty folder marker, as some tools write them)."""
    found = fsspec.filesystem("s3", **dict(server.storage_options))
    bucket, _, base = root.split("://", 1)[1].partition("/")
    for path in paths:
        found.call_s3("put_object", Bucket=bucket, Key=f"{base}/{path}", Body=path.encode())
    found.invalidate_cache()
    return found


KEYS = [f"k/{i:03d}.json" for i in range(40)]

DISTRIBUTIONS = {
    # splits -> a page of 7 keys: ranges of one page, of several, empty ones
    "every 10th key": KEYS[9::10],
    "every key": KEYS,
    "none inside: all in the last range": ["a", "b"],
    "all after the keys": ["z", "zz"],
    "between keys, not keys": ["k/005.json.", "k/0305", "k/1"],
    "unsorted and repeated": ["k/030.json", "k/010.json", "k/030.json", "k/000.json"],
    "outside the root, or nonsense": ["", "other/x", "\u00e9t\u00e9", "k/017.json/"],
}


@pytest.mark.parametrize("splits", DISTRIBUTIONS.values(), ids=list(DISTRIBUTIONS))
def test_ranges_list_the_same_objects_as_one_listing(
    server_and_root: tuple[ObjectStore, str], splits: list[str]
) -> None:
    server, root = server_and_root
    store = ResultStore(root, server.storage_options)
    whole = store.stamps("")
    assert len(whole) == len(KEYS) + len(ODD)
    for page in (None, 7, 1000):
        if page is None:
            found = store.stamps("", splits=splits)
        else:
            found = by_pages(server, root, splits, page)
        assert found == whole
        assert list(found) == list(whole)  # in order, too


ODD = ["a b+c%.txt", "\u00e9t\u00e9/\u6771\u4eac.json", "folder/", "z/deep/er/file"]


@pytest.fixture(scope="module")
def server_and_root(s3_server: ObjectStore) -> tuple[ObjectStore, str]:
    root = s3_server.unique_url("ranges")
    fill(s3_server, root, KEYS + ODD)
    return s3_server, root


def by_pages(server: ObjectStore, root: str, splits: list[str], page: int) -> dict[str, Any]:
    """What `stamps` gives for `root`, listed in ranges of `page` keys a request."""
    options = {**server.storage_options, "use_listings_cache": False}
    filesystem = fsspec.filesystem("s3", **options)
    root = root.split("://", 1)[1] + "/"
    found = ranged(filesystem, root, [root + split for split in splits], page=page)
    assert found is not None
    return {
        name[len(root) :]: (int(info["size"]), object_stamp(info))
        for name, info in sorted(found.items())
    }


def test_an_empty_or_missing_folder_lists_as_empty_in_ranges(s3_server: ObjectStore) -> None:
    store = ResultStore(s3_server.unique_url("empty"), s3_server.storage_options)
    assert store.stamps("", splits=["a", "m", "z"]) == {}
    assert store.stamps("nothing/here", splits=["nothing/here/b"]) == {}


def test_ranges_are_listed_at_once(s3_server: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    root = s3_server.unique_url("ranges")
    paths = [f"p/{i:03d}" for i in range(30)]
    fill(s3_server, root, paths)
    store = ResultStore(root, s3_server.storage_options)
    sent = spy(monkeypatch)
    found = store.stamps("", splits=paths[4:-1:5])
    assert sorted(found) == paths
    assert sent.count("list_objects_v2") == 6  # one per range: none waits for another's pages
    assert sent.most > 1


def test_splits_by_the_thousand_are_thinned_out(
    s3_server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many splits a (tampered) index names, a listing is at most MOST_RANGES ranges."""
    root = s3_server.unique_url("ranges")
    paths = [f"p/{i:03d}" for i in range(30)]
    fill(s3_server, root, paths)
    store = ResultStore(root, s3_server.storage_options)
    monkeypatch.setattr(ranges, "MOST_RANGES", 10)
    sent = spy(monkeypatch)
    found = store.stamps("", splits=[f"p/{i:05d}" for i in range(5000)])
    assert sorted(found) == paths
    assert 2 <= sent.count("list_objects_v2") <= 11


def test_a_writer_meanwhile_neither_loses_nor_doubles_a_key(
    s3_server: ObjectStore,
) -> None:
    root = s3_server.unique_url("ranges")
    there = [f"w/{i:03d}" for i in range(0, 120, 2)]  # even numbers, there all along
    found = fill(s3_server, root, [*there, "w/gone-0", "w/gone-1"])
    base = root.split("://", 1)[1]
    added = [f"w/{i:03d}" for i in range(1, 120, 2)] + ["w/zz-after-all"]
    store = ResultStore(root, s3_server.storage_options)

    def write() -> None:
        writer = fsspec.filesystem("s3", **dict(s3_server.storage_options))
        writer.rm_file(f"{base}/w/gone-0")
        for path in added:
            writer.pipe_file(f"{base}/{path}", b"new")
        writer.rm_file(f"{base}/w/gone-1")

    writing = threading.Thread(target=write)
    writing.start()
    try:
        listings = []
        while writing.is_alive() or len(listings) < 2:
            listings.append(by_pages(s3_server, root, there[10::10], page=3))
    finally:
        writing.join()
    for listing in listings:
        assert set(there) <= set(listing)
        assert set(listing) <= set(there) | set(added) | {"w/gone-0", "w/gone-1"}
        assert list(listing) == sorted(listing)
    # Once the writer is done, ranges see what one listing sees.
    found.invalidate_cache()
    assert by_pages(s3_server, root, there[10::10], page=3) == store.stamps("")
    assert set(store.stamps("")) == set(there) | set(added)


def test_other_filesystems_list_as_before(tmp_path: Any) -> None:
    """A local folder (and GCS, memory://) ignores splits: one listing, the same answer."""
    (tmp_path / "a").write_text("1")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "c").write_text("22")
    store = ResultStore(str(tmp_path), {})
    assert store.stamps("", splits=["a", "b/c"]) == store.stamps("")
    assert ranged(fsspec.filesystem("file"), str(tmp_path) + "/", ["a"]) is None


def spy(monkeypatch: pytest.MonkeyPatch) -> Sent:
    import s3fs

    sent = Sent()
    original = s3fs.S3FileSystem._call_s3

    async def call_s3(self: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
        name = str(getattr(method, "__name__", method))
        return await sent.through(name, original(self, method, *args, **kwargs))

    monkeypatch.setattr(s3fs.S3FileSystem, "_call_s3", call_s3)
    return sent
