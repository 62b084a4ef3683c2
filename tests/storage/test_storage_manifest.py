"""Tests for pipeflow.storage.manifest: JSON round trip and strict reading."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from pipeflow.storage import Manifest, PartRecord

CHECKSUM = "sha256:" + "ab" * 32


def manifest() -> Manifest:
    return Manifest(
        key="k1",
        pipeline="iris",
        step="split_data",
        run_id="r1",
        created="2024-03-01T06:30:00+00:00",
        params={"test_data_ratio": 0.2, "nested": {"a": [1, 2]}},
        parts={
            "train_x": PartRecord("a/train_x.parquet", "parquet", 10, CHECKSUM),
            "test_x": PartRecord("a/test_x.parquet", "parquet", 0, CHECKSUM),
        },
    )


def test_round_trip() -> None:
    assert Manifest.from_json(manifest().to_json()) == manifest()


def test_params_json_cannot_write_are_kept_readable() -> None:
    original = manifest()
    odd = Manifest(
        key=original.key,
        pipeline=original.pipeline,
        step=original.step,
        run_id=original.run_id,
        created=original.created,
        params={"day": date(2024, 1, 2), "tags": {"b", "a"}},
        parts=original.parts,
    )
    assert Manifest.from_json(odd.to_json()).params == {"day": "2024-01-02", "tags": ["a", "b"]}


def document() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(manifest().to_json())
    return result


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc: doc.pop("key"), "has no `key`"),
        (lambda doc: doc.update(version=2), "version 2 is not supported"),
        (lambda doc: doc.update(version=True), "`version` must be a int"),
        (lambda doc: doc.update(created="yesterday"), "not an ISO 8601 time"),
        (lambda doc: doc.update(parts=[]), "`parts` must be a dict"),
        (lambda doc: doc["parts"]["train_x"].update(size="10"), "`size` must be a int"),
        (lambda doc: doc["parts"]["train_x"].update(size=-1), "negative size"),
        (lambda doc: doc["parts"]["train_x"].update(checksum="md5:00"), "checksum is not"),
        (lambda doc: doc["parts"].update(train_x="x"), "must be a JSON object"),
        (lambda doc: doc["parts"]["train_x"].update(stamp=12), "`stamp` must be a str"),
    ],
)
def test_malformed_manifests_are_value_errors(change: Any, message: str) -> None:
    broken = document()
    change(broken)
    with pytest.raises(ValueError, match=message):
        Manifest.from_json(json.dumps(broken).encode())


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b"\xff\xfe", b"null"])
def test_not_a_manifest_at_all(data: bytes) -> None:
    with pytest.raises(ValueError):
        Manifest.from_json(data)


def with_stamp(stamp: str | None) -> Manifest:
    original = manifest()
    part = PartRecord("a/train_x.parquet", "parquet", 10, CHECKSUM, stamp=stamp)
    return Manifest(
        key=original.key,
        pipeline=original.pipeline,
        step=original.step,
        run_id=original.run_id,
        created=original.created,
        params=original.params,
        parts={"train_x": part},
    )


def test_a_part_stamp_round_trips() -> None:
    stamped = with_stamp('etag:"0123abcd"')
    assert json.loads(stamped.to_json())["parts"]["train_x"]["stamp"] == 'etag:"0123abcd"'
    assert Manifest.from_json(stamped.to_json()) == stamped


def test_a_part_without_a_stamp_writes_none_and_old_manifests_still_load() -> None:
    plain = with_stamp(None)
    assert "stamp" not in json.loads(plain.to_json())["parts"]["train_x"]
    # A manifest from before stamps existed (no `stamp` key) reads as stamp None.
    assert Manifest.from_json(plain.to_json()).parts["train_x"].stamp is None
    old = json.loads(plain.to_json())
    old["parts"]["train_x"]["stamp"] = None  # an explicit null is accepted too
    assert Manifest.from_json(json.dumps(old).encode()) == plain


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_manifests_written_indented_or_not_read_the_same(indent: int | None) -> None:
    # Earlier pipeflows wrote manifests indented; this one writes them on one line.
    written = json.loads(manifest().to_json())
    again = json.dumps(written, indent=indent, sort_keys=True).encode("utf-8") + b"\n"
    assert Manifest.from_json(again) == manifest()
    assert Manifest.from_json(manifest().to_json()) == manifest()
