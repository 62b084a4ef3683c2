"""Tests for pipeflow.storage.manifest: JSON round trip and strict reading."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from datetime import date
from typing import Any

import pytest

from pipeflow.storage import Manifest, PartRecord
from pipeflow.storage.manifest import MANIFEST_VERSION
from pipeflow.storage.written import FileEntry, WrittenFiles

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


# `to_json` writes the text field by field (one is written for every stored step);
# `reference_json` builds the whole document and hands it to json. They must agree byte for
# byte: a stored manifest is compared as bytes (the manifest index of an object store) and read
# by earlier pipeflows, and one written differently would be a different manifest.

PART_OPTIONS = [
    {},
    {"stamp": 'etag:"0123abcd"'},
    {"signature": "hmac-sha256:abcdef012345:" + "0" * 64},
    {"blob": ".pipeflow/files/sha256/ab/" + "ab" * 31},
    {"offset": 0},
    {"offset": 123_456_789_012},
    {
        "stamp": "md5:x",
        "signature": "hmac-sha256:k:m",
        "blob": ".pipeflow/files/b",
        "offset": 12,
        "inline": "eyJhIjogMX0=",
    },
    {"inline": "MTIzCg=="},  # bytes inside the manifest (object stores, `inline.py`)
    {"inline": "", "signature": "hmac-sha256:k:m"},
]

PARAMS: list[dict[str, Any]] = [
    {},
    {"ratio": 0.2, "n": 3, "flag": True, "none": None},
    {"nested": {"b": [1, {"z": "é", "a": [2.5, None]}], "a": 'x\n\t"\\\u2028\x01'}},
    {"ünï": "cödé ✓ 𝄞", "z": [], "a": {}},
    {"day": date(2024, 1, 2), "tags": {"b", "a"}},  # json cannot write them: `_plain`'s forms
    {"nan": float("nan"), "inf": [float("inf"), float("-inf")]},  # jsontext's fallback
    {"big": 2**80, "neg": -0.0, "tiny": 1e-300},
]

FILES = {
    "out/ü": WrittenFiles(
        "folder", {"a.txt": FileEntry(3, CHECKSUM), "b/ç": FileEntry(0, CHECKSUM)}
    ),
    "s3://b/a.txt": WrittenFiles("file", {"": FileEntry(5, CHECKSUM, stamp='"etag"')}),
}

COMPONENTS = {
    "code": {"steps.py::inc": "49352cda1bf20e11"},
    "files": {"data/ä b.csv": "size:1:sha256:ab"},
    "settings": "d41ee4106dfaa32629c01b82",
    "upstream": {"s0": "1ef3573c0612b161960223ca", "a/b": "2"},
    "values": {"inputs.x": "820d2b8bc7665b20073777ab", "foreach": "1"},
    "item": "abc",
}

PATHS = {"value": ("data/x.txt", 'data/ä "q".csv'), "ärger": ("s3://b/k.csv",)}

MANIFEST_OPTIONS: list[dict[str, Any]] = [
    {},
    {"files": FILES},
    {"components": COMPONENTS},
    {"components": {"code": {"code_version": "v3"}, "values": {"params": float("inf")}}},
    {
        # A version this pipeflow does not read (`from_json` refuses it), written all the same.
        "version": MANIFEST_VERSION + 1,
        "components": COMPONENTS,
        "files": FILES,
        "paths": PATHS,
        "files_signature": "hmac-sha256:0123456789ab:" + "f" * 64,
    },
    {"paths": PATHS},
    {"files": FILES, "files_signature": "hmac-sha256:0123456789ab:" + "e" * 64},
]


def combinations() -> list[Manifest]:
    found = []
    for index, options in enumerate(PART_OPTIONS):
        for params in PARAMS:
            for manifest_options in MANIFEST_OPTIONS:
                parts = {"value": PartRecord("p/value.json", "json", 2, CHECKSUM, **options)}
                if index % 2:  # several parts, in no order, one of them not ASCII
                    parts = {
                        "zeta": PartRecord(".pipeflow/journal/p/r-1.log", "pickle", 0, CHECKSUM),
                        "ärger": PartRecord("x/ärger.csv", "csv", 7, CHECKSUM, **options),
                        **parts,
                    }
                found.append(
                    Manifest(
                        key="408a983497c0dc7c5792c99a",
                        pipeline="pipé",
                        step="sub/s1" if index % 3 else 'quo"te',
                        run_id="20261204-223535-9a51b9",
                        created="2026-12-04T22:35:35.957438+00:00",
                        params=params,
                        parts=parts,
                        **manifest_options,
                    )
                )
    return found


def defaults(cls: type) -> dict[str, Any]:
    """The fields of a dataclass that have a default: name -> default value."""
    found = {}
    for item in fields(cls):
        if item.default is not MISSING:
            found[item.name] = item.default
        elif item.default_factory is not MISSING:
            found[item.name] = item.default_factory()
    return found


def sets_every_optional_field(options: dict[str, Any], cls: type) -> bool:
    optional = defaults(cls)
    return set(options) == set(optional) and all(options[n] != optional[n] for n in optional)


def test_the_combinations_set_every_optional_field_of_a_part() -> None:
    # A field added to PartRecord must be written by the direct text too: this fails until
    # an option above sets it with all the others, and then the comparisons below check it.
    assert any(sets_every_optional_field(options, PartRecord) for options in PART_OPTIONS)


def test_the_combinations_set_every_optional_field_of_a_manifest() -> None:
    # The same for Manifest's own fields: one added later fails until a manifest option
    # above sets it (to other than its default) with all the others.
    assert any(sets_every_optional_field(options, Manifest) for options in MANIFEST_OPTIONS)


@pytest.mark.parametrize("written", combinations())
def test_the_direct_text_is_the_generic_json(written: Manifest) -> None:
    assert written.to_json() == written.reference_json()
    if written.version == MANIFEST_VERSION:  # another version is refused on reading
        assert Manifest.from_json(written.to_json()).parts == written.parts


@pytest.mark.parametrize(
    "odd",
    [
        {"parts": {"value": PartRecord("p", "json", True, CHECKSUM)}},  # a bool for a size
        {"parts": {"value": PartRecord("p", "json", 2, CHECKSUM, offset=1.0)}},  # type: ignore[arg-type]
        {"parts": {1: PartRecord("p", "json", 2, CHECKSUM)}},  # a part named by an int
        {"version": 1.0},
        {"params": {2: "a", 1: "b"}},  # json writes the keys as strings
        {"params": {"tuple": (1, 2), "bytes": b"x"}},  # `_plain`'s repr
    ],
)
def test_fields_of_unexpected_types_are_written_the_generic_way(odd: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "key": "k",
        "pipeline": "p",
        "step": "s",
        "run_id": "r",
        "created": "2024-03-01T06:30:00+00:00",
        "params": {},
        "parts": {},
        **odd,
    }
    written = Manifest(**fields)
    assert written.to_json() == written.reference_json()


def test_a_params_value_that_contains_itself_fails_as_the_generic_way_fails() -> None:
    loop: list[Any] = []
    loop.append(loop)
    written = Manifest("k", "p", "s", "r", "2024-03-01T06:30:00+00:00", {"loop": loop}, {})
    for write in (written.reference_json, written.to_json):
        with pytest.raises(RecursionError):  # jsontext's NaN fallback walks it for ever
            write()


def test_created_now_is_written_as_datetime_writes_it() -> None:
    from datetime import datetime, timedelta, timezone

    from pipeflow.storage.manifest_text import created_now

    for _ in range(3):
        before = datetime.now(timezone.utc)
        written = created_now()
        after = datetime.now(timezone.utc)
        moment = datetime.fromisoformat(written)
        assert before - timedelta(microseconds=1) <= moment <= after
        assert written == moment.isoformat(timespec="microseconds")
        assert written.endswith("+00:00")
