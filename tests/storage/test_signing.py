"""Signed pickles (SPEC section 10): the store loads a payload that runs code only when its
record carries a signature made with the project's key; the key comes from
PIPEFLOW_SIGNING_KEY or a private key file pipeflow makes on first use, outside any store.

Forged payloads here are real pickles whose loading would write a marker file: the marker's
absence proves they were never unpickled."""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from dataclasses import replace
from pathlib import Path

import joblib
import pytest
from fsspec.core import url_to_fs

from pipeflow.errors import StorageError
from pipeflow.storage import PartRecord, ResultStore, UntrustedResult, get_format
from pipeflow.storage.signing import SigningKey, key_path, sign, signing_key
from tests.servers import ObjectStore, require_loopback

OTHER_KEY = SigningKey(b"x" * 40, "0123456789ab", "another machine")


class Booby:
    """Unpickling this writes a file: it stands for a pickle that runs an attacker's code.
    It reduces to `Path.write_text`, importable anywhere, so any process would run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path, str]]:
        return Path.write_text, (self.marker, "code ran")


def booby_bytes(format_name: str, marker: Path) -> bytes:
    if format_name == "pickle":
        return pickle.dumps(Booby(marker))
    import io

    buffer = io.BytesIO()
    joblib.dump(Booby(marker), buffer)
    return buffer.getvalue()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ResultStore:
    if request.param == "local":
        return ResultStore(str(tmp_path / "results"))
    server: ObjectStore = request.getfixturevalue("s3_server")
    require_loopback(server.storage_options)
    return ResultStore(server.unique_url(), server.options())


def plant(store: ResultStore, path: str, data: bytes, format_name: str) -> PartRecord:
    """Write raw bytes where the store would read them, and the record that matches them,
    as whoever can write the bucket could: right size, right checksum, no signature."""
    filesystem, root = url_to_fs(store.url, **dict(store.storage_options))
    full = f"{root.rstrip('/')}/{path}"
    filesystem.makedirs(os.path.dirname(full), exist_ok=True)
    filesystem.pipe_file(full, data)
    checksum = "sha256:" + hashlib.sha256(data).hexdigest()
    return PartRecord(path=path, format=format_name, size=len(data), checksum=checksum)


FORGERIES = ["unsigned", "other key", "moved", "garbled"]


def forge(record: PartRecord, how: str, store: ResultStore) -> PartRecord:
    if how == "unsigned":
        return record
    if how == "other key":
        return replace(record, signature=sign(record, OTHER_KEY))
    if how == "moved":
        # A genuine signature, made here, for another path: it must not vouch for this one.
        genuine = store.write("elsewhere/value.pkl", {"ok"}, format=get_format("pickle"))
        return replace(record, signature=genuine.signature)
    return replace(record, signature="hmac-sha256:zz")


@pytest.mark.parametrize("format_name", ["pickle", "joblib"])
@pytest.mark.parametrize("how", FORGERIES)
def test_a_forged_payload_is_never_loaded(
    store: ResultStore, tmp_path: Path, format_name: str, how: str
) -> None:
    marker = tmp_path / "marker"
    path = f"forged/value.{get_format(format_name).extension}"
    record = forge(plant(store, path, booby_bytes(format_name, marker), format_name), how, store)
    assert store.trust_problem(record) is not None
    with pytest.raises(UntrustedResult) as caught:
        store.read(record)
    message = str(caught.value)
    assert store.location(path) in message
    assert "PIPEFLOW_SIGNING_KEY" in message
    assert "re-run the step" in message
    assert not marker.exists()


def test_what_the_store_writes_it_signs_and_loads(store: ResultStore) -> None:
    for format_name in ("pickle", "joblib"):
        record = store.write(f"ok/v.{format_name}", {"a", "b"}, format=get_format(format_name))
        assert record.signature is not None
        assert record.signature.startswith("hmac-sha256:")
        assert store.trust_problem(record) is None
        assert store.read(record) == {"a", "b"}


def test_values_in_safe_formats_carry_no_signature(store: ResultStore) -> None:
    record = store.write("ok/v.json", {"a": 1}, format=get_format("json"))
    assert record.signature is None
    assert store.read(record) == {"a": 1}


def test_the_signature_binds_size_checksum_format_and_path(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path))
    record = store.write("a/v.pkl", [1, 2], format=get_format("pickle"))
    for changed in (
        replace(record, path="b/v.pkl"),
        replace(record, size=record.size + 1),
        replace(record, checksum="sha256:" + "0" * 64),
        replace(record, format="joblib"),
    ):
        assert store.trust_problem(changed) is not None


def test_a_signature_from_another_key_says_so(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path))
    record = store.write("a/v.pkl", [1], format=get_format("pickle"))
    problem = store.trust_problem(replace(record, signature=sign(record, OTHER_KEY)))
    assert problem is not None
    assert "another key (id 0123456789ab" in problem


# -- the key -----------------------------------------------------------------------------------


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with no key yet."""
    config_home = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.delenv("PIPEFLOW_SIGNING_KEY", raising=False)
    return config_home


def test_the_key_file_is_made_on_first_use_private_and_outside_the_store(
    fresh_home: Path, tmp_path: Path
) -> None:
    store = ResultStore(str(tmp_path / "results"))
    store.write("v.json", [1], format=get_format("json"))
    assert not key_path().exists()  # no pickle, no key
    record = store.write("v.pkl", [1], format=get_format("pickle"))
    path = fresh_home / "pipeflow" / "signing.key"
    assert key_path() == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(path.read_text().strip()) == 64
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["v.json", "v.pkl"]
    assert store.read(record) == [1]


def test_reading_never_makes_a_key(fresh_home: Path, tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    planted = plant(store, "v.pkl", pickle.dumps([1]), "pickle")
    record = replace(planted, signature=sign(planted, OTHER_KEY))
    with pytest.raises(UntrustedResult, match="no signing key on this machine"):
        store.read(record)
    assert not key_path().exists()


def test_an_environment_key_is_shared_by_machines(
    fresh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI and a laptop share a bucket: the same PIPEFLOW_SIGNING_KEY on both."""
    store = ResultStore(str(tmp_path / "results"))
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "c" * 40)
    record = store.write("v.pkl", {"shared"}, format=get_format("pickle"))
    assert not key_path().exists()  # the environment's key: no file made
    assert store.read(record) == {"shared"}
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "d" * 40)  # another team's key
    with pytest.raises(UntrustedResult, match="another key"):
        store.read(record)
    monkeypatch.delenv("PIPEFLOW_SIGNING_KEY")  # this machine's own key file
    with pytest.raises(UntrustedResult):
        store.read(record)


def test_a_short_environment_key_is_refused(
    fresh_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "short")
    with pytest.raises(StorageError, match=r"too short .* at least 32"):
        ResultStore(str(tmp_path)).write("v.pkl", [1], format=get_format("pickle"))
    assert not (tmp_path / "v.pkl").exists()
    assert not key_path().exists()


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o606])
def test_a_key_file_others_can_use_is_refused(fresh_home: Path, tmp_path: Path, mode: int) -> None:
    store = ResultStore(str(tmp_path / "results"))
    record = store.write("v.pkl", [1], format=get_format("pickle"))
    key_path().chmod(mode)
    with pytest.raises(StorageError, match=r"chmod 600"):
        signing_key(create=False)
    with pytest.raises(UntrustedResult, match=r"chmod 600"):
        store.read(record)


def test_a_damaged_key_file_is_refused(fresh_home: Path, tmp_path: Path) -> None:
    path = key_path()
    path.parent.mkdir(parents=True)
    path.write_text("abc\n")
    path.chmod(0o600)
    with pytest.raises(StorageError, match="no usable key"):
        ResultStore(str(tmp_path)).write("v.pkl", [1], format=get_format("pickle"))


def test_two_processes_making_the_key_at_once_agree(fresh_home: Path) -> None:
    import threading

    found: list[bytes] = []

    def make() -> None:
        key = signing_key(create=True)
        assert key is not None
        found.append(key.secret)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1
    assert sorted(p.name for p in key_path().parent.iterdir()) == ["signing.key"]
