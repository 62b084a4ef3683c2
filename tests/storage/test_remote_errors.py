"""What a remote results store says when it cannot be used, checked against real servers.

Each failure has its own message naming the store and what to do, and comes in seconds: no
retry storm. Servers: moto's S3 (one open, one that authenticates) and gcp-storage-emulator.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from pipeflow.errors import StorageError
from pipeflow.storage import ResultStore, get_format
from tests.servers import AuthenticatedS3, ObjectStore, closed_port

# Well under what botocore's and gcsfs's default retries take (about 10 s and 30 s here).
FAST = 15.0


def operations(store: ResultStore) -> dict[str, Callable[[], Any]]:
    """One call of each kind a run makes: plan (list, read a manifest), write, check."""
    return {
        "list": lambda: store.list(""),
        "read_manifest": lambda: store.read_manifest("m/manifest.json"),
        "write": lambda: store.write("w/value.txt", "x", format=get_format("txt")),
        "stamps": lambda: store.stamps(),
        "exists": lambda: store.exists("m/manifest.json"),
    }


def failure(call: Callable[[], Any]) -> tuple[StorageError, float]:
    started = time.monotonic()
    with pytest.raises(StorageError) as info:
        call()
    return info.value, time.monotonic() - started


# -- an endpoint nobody answers on --------------------------------------------------------


@pytest.mark.parametrize("operation", ["list", "read_manifest", "write"])
def test_an_unreachable_s3_endpoint_fails_in_seconds(
    s3_server: ObjectStore, operation: str
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    url = f"s3://{s3_server.bucket}/unreachable"
    store = ResultStore(url, {"client_kwargs": {"endpoint_url": endpoint}})
    error, took = failure(operations(store)[operation])
    assert took < FAST, f"took {took:.1f} s"
    message = str(error)
    assert url in message
    assert f"cannot be reached at {endpoint}" in message
    assert "endpoint_url" in message


def test_an_unreachable_gcs_endpoint_fails_in_seconds(gcs_server: ObjectStore) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    url = f"gs://{gcs_server.bucket}/unreachable"
    store = ResultStore(url, {"token": "anon", "endpoint_url": endpoint})
    for name, call in operations(store).items():
        error, took = failure(call)
        assert took < FAST, f"{name} took {took:.1f} s"
        assert url in str(error)
        assert f"cannot be reached at {endpoint}" in str(error)


def test_pipeflow_s3_defaults_go_under_the_users_options() -> None:
    store = ResultStore(
        "s3://bucket/prefix",
        {
            "client_kwargs": {"endpoint_url": "http://127.0.0.1:1"},
            "config_kwargs": {"connect_timeout": 1},
            "skip_instance_cache": True,
        },
    )
    filesystem = store._open()  # opening does no I/O
    assert filesystem.config_kwargs == {"connect_timeout": 1, "retries": {"max_attempts": 2}}
    assert filesystem.dircache.use_listings_cache is False
    # What the store pickles as stays what the user gave.
    assert dict(store.storage_options) == {
        "client_kwargs": {"endpoint_url": "http://127.0.0.1:1"},
        "config_kwargs": {"connect_timeout": 1},
        "skip_instance_cache": True,
    }


def test_the_users_own_retries_and_listing_cache_win() -> None:
    options = {
        "client_kwargs": {"endpoint_url": "http://127.0.0.1:1"},
        "config_kwargs": {"retries": {"max_attempts": 9}},
        "use_listings_cache": True,
        "skip_instance_cache": True,
    }
    filesystem = ResultStore("s3://bucket/prefix", options)._open()
    assert filesystem.config_kwargs == {"connect_timeout": 5, "retries": {"max_attempts": 9}}
    assert filesystem.config_kwargs["retries"] is not options["config_kwargs"]["retries"]
    assert filesystem.dircache.use_listings_cache is True


# -- a bucket that does not exist ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["s3", "gcs"])
def test_a_missing_bucket_is_named_not_taken_for_no_result(
    request: pytest.FixtureRequest, kind: str
) -> None:
    server: ObjectStore = request.getfixturevalue(f"{kind}_server")
    bucket = f"no-such-bucket-{uuid.uuid4().hex[:8]}"
    url = f"{'s3' if kind == 's3' else 'gs'}://{bucket}/results"
    create = "aws s3 mb" if kind == "s3" else "gcloud storage buckets create"
    for name, call in operations(ResultStore(url, server.options())).items():
        # A fresh store each time: the bucket check must hold for every first call.
        error, took = failure(call)
        message = str(error)
        assert f"the bucket {bucket!r} of the results store {url} does not exist" in message, name
        assert create in message
        assert took < FAST


def test_a_store_in_an_existing_bucket_checks_it_once(
    s3_server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultStore(s3_server.unique_url(), s3_server.options())
    filesystem = store._open()
    bucket_checks: list[str] = []
    info = filesystem.info

    def counting_info(path: str, **kwargs: Any) -> Any:
        if path == s3_server.bucket:
            bucket_checks.append(path)
        return info(path, **kwargs)

    monkeypatch.setattr(filesystem, "info", counting_info)
    for _ in range(3):
        assert store.read_manifest("m/manifest.json") is None
        assert not store.exists("m/manifest.json")
    assert bucket_checks == [s3_server.bucket]


# -- credentials --------------------------------------------------------------------------


def test_missing_s3_credentials_say_how_to_give_some(
    s3_server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    url = s3_server.unique_url()
    # A filesystem of its own: fsspec would otherwise hand back one that has credentials.
    store = ResultStore(url, s3_server.options(skip_instance_cache=True))
    for name in ("read_manifest", "write", "list"):
        error, took = failure(operations(store)[name])
        message = str(error)
        assert f"no credentials were found for the results store {url}" in message
        assert "AWS_ACCESS_KEY_ID" in message
        assert "anon: true" in message
        assert took < FAST


def test_anonymous_access_is_refused_with_advice(s3_auth_server: AuthenticatedS3) -> None:
    server = s3_auth_server.store
    store = ResultStore(server.url, server.options(anon=True))
    error, took = failure(lambda: store.read_manifest(s3_auth_server.seeded))
    message = str(error)
    assert f"cannot read the manifest {server.url}/{s3_auth_server.seeded}: access denied" in (
        message
    )
    assert f"The results store {server.url} refused the credentials in use" in message
    assert took < FAST


def test_unknown_credentials_are_refused(s3_auth_server: AuthenticatedS3) -> None:
    server = s3_auth_server.store
    store = ResultStore(server.url, server.options(key="nobody", secret="wrong"))
    error, _ = failure(lambda: store.write("x/value.txt", "x", format=get_format("txt")))
    assert f"cannot write {server.url}/x/value.txt: access denied" in str(error)


def test_a_denied_write_says_which_permission_is_missing(
    s3_auth_server: AuthenticatedS3,
) -> None:
    server = s3_auth_server.store
    store = ResultStore(server.url, server.options(**s3_auth_server.reader))
    # The same credentials may read and list...
    assert store.list("seed") == [s3_auth_server.seeded]
    assert store.stamps("seed")[s3_auth_server.seeded][0] == len(b"seed")
    # ...but not write, and the write fails at once, naming the store and what to check.
    error, took = failure(lambda: store.write("w/value.txt", "x", format=get_format("txt")))
    message = str(error)
    assert f"cannot write {server.url}/w/value.txt: access denied" in message
    assert "s3:PutObject" in message
    assert took < FAST
    assert store.list("w") == []


def test_a_denied_delete_of_many_objects_says_so(s3_auth_server: AuthenticatedS3) -> None:
    """S3 deletes many keys in one request, and answers a key it may not delete inside a
    successful answer: that is an error all the same, never objects said deleted that stay."""
    server = s3_auth_server.store
    store = ResultStore(server.url, server.options(**s3_auth_server.reader))
    error, took = failure(lambda: store.delete_files([s3_auth_server.seeded, "seed/other.txt"]))
    assert f"cannot delete {server.url}/{s3_auth_server.seeded}: access denied" in str(error)
    assert took < FAST
    assert store.list("seed") == [s3_auth_server.seeded]
