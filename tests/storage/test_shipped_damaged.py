"""A file sent to workers through the store's blobs (`storage/shipped.py`) whose blob is found
damaged when a worker receives it is removed then, so the next run sends it again whole.
Before, `send` skipped the blob (it exists) and every run's worker failed on it, locally and
on moto's S3 alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fsspec
import pytest

from pipeflow.storage import CorruptResult, ResultStore
from pipeflow.storage.blobs import blob_path
from pipeflow.storage.shipped import receive, send
from tests.servers import ObjectStore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ResultStore:
    if request.param == "local":
        return ResultStore(str(tmp_path / "store"))
    server: ObjectStore = request.getfixturevalue("s3_server")
    return ResultStore(server.unique_url("shipped"), server.storage_options)


def _damage(store: ResultStore, path: str, options: dict[str, Any]) -> None:
    filesystem, base = fsspec.core.url_to_fs(store.url, **options)
    full = f"{base}/{path}"
    filesystem.pipe_file(full, bytes(255 - b for b in filesystem.cat_file(full)))


def test_a_damaged_shipped_blob_is_sent_again(
    tmp_path: Path, store: ResultStore, request: pytest.FixtureRequest
) -> None:
    options = (
        dict(request.getfixturevalue("s3_server").storage_options)
        if store.url.startswith("s3://")
        else {}
    )
    source = tmp_path / "data.csv"
    source.write_bytes(b"a,b\n1,2\n")
    entry, sent = send(store, source)
    assert sent == entry.size
    _damage(store, blob_path(entry.checksum), options)

    with pytest.raises(CorruptResult):
        receive(store, entry, tmp_path / "worker" / "data.csv")
    assert not (tmp_path / "worker" / "data.csv").exists()
    assert not store.exists(blob_path(entry.checksum))  # removed as it was found

    assert send(store, source)[1] == entry.size  # sent again, whole
    received = receive(store, entry, tmp_path / "worker" / "data.csv")
    assert received.read_bytes() == b"a,b\n1,2\n"
