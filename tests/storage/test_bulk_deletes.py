"""Deleting many objects of an object store: S3 and GCS take many in one request (1,000 and
100; gcsfs deletes one by one on an emulator), and an object already gone is no error, as for
one deleted alone (issue 13: a run that packs 10,000 small results deletes their manifests in
ten requests, not 10,000)."""

from __future__ import annotations

import pytest

from pipeflow.storage import ResultStore
from tests.cache.test_manifest_index import counted
from tests.servers import ObjectStore


@pytest.fixture(params=["s3_server", "gcs_server"])
def server(request: pytest.FixtureRequest) -> ObjectStore:
    found: ObjectStore = request.getfixturevalue(request.param)
    return found


def test_many_objects_go_in_few_requests_and_a_missing_one_is_no_error(
    server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultStore(server.unique_url("deletes"), dict(server.storage_options))
    paths = [f".pipeflow/manifests/p/s{i}/k.json" for i in range(250)]
    for path in paths:
        store.write_bytes(path, b"{}", internal=True)
    kept = ".pipeflow/manifests/p/kept.json"
    store.write_bytes(kept, b"{}", internal=True)
    with counted(server.kind, monkeypatch) as sent:
        store.delete_files([*paths, ".pipeflow/manifests/p/never-there.json"])
    # S3 deletes 1,000 keys a request. gcsfs sends GCS a batch of 100 a request, but one
    # request per object to an emulator (which has no batch endpoint): correct, not fewer.
    assert len(sent) <= (1 if server.kind == "s3" else len(paths) + 1), sent
    assert store.list(".pipeflow/manifests/p") == [kept]
    store.delete_files(paths[:3])  # all gone already
    store.delete_files([kept, paths[0]])
    assert store.list(".pipeflow/manifests/p") == []
