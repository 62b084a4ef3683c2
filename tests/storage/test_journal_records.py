"""The journal's record format and size limit (`pipeflow/storage/journal.py`), byte by byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeflow.storage import Manifest, PartRecord, ResultStore, format_for_value, get_format
from pipeflow.storage.journal import (
    HEADER,
    MAGIC,
    SMALL,
    append,
    close_run,
    encode,
    journal_folder,
    records,
)
from pipeflow.storage.signing import signature_problem


def frame(payload: bytes, manifest: bytes) -> bytes:
    return HEADER.pack(MAGIC, len(payload), len(manifest)) + payload + manifest


def test_records_are_walked_by_their_lengths_and_a_torn_or_foreign_tail_ends_them() -> None:
    data = frame(b"1\n", b'{"a": 1}') + frame(b"", b"{}") + frame(b"xyz", b'{"b": 2}')
    found = list(records(data))
    assert [(r.start, r.end, r.manifest) for r in found] == [
        (HEADER.size, HEADER.size + 2, b'{"a": 1}'),
        (2 * HEADER.size + 10, 2 * HEADER.size + 10, b"{}"),
        (3 * HEADER.size + 12, 3 * HEADER.size + 15, b'{"b": 2}'),
    ]
    for cut in range(len(data)):  # cut anywhere: only whole records before the cut count
        assert list(records(data[:cut])) == [r for r in found if r.end + len(r.manifest) <= cut]
    foreign = data[: found[1].start - HEADER.size] + b"XXXX" + data[found[1].start - 8 :]
    assert [r.manifest for r in records(foreign)] == [b'{"a": 1}']


def test_a_tail_a_power_cut_left_as_zeros_ends_them_too() -> None:
    """A file whose length was saved but not its last blocks (a power cut: a filesystem with
    delayed allocation) reads zeros at its end: whole records before them count, and a record
    whose manifest the zeros reach, with nothing but zeros after it, is no record."""
    data = frame(b"1\n", b'{"a": 1}') + frame(b"", b"{}") + frame(b"xyz", b'{"b": 2}')
    found = list(records(data))
    for cut in range(len(data)):
        zeroed = data[:cut] + bytes(len(data) - cut)
        assert list(records(zeroed)) == [r for r in found if r.end + len(r.manifest) <= cut]
        assert list(records(zeroed + bytes(100))) == list(records(zeroed))
    # A NUL inside a manifest with more records after it is damage, not a torn tail: read as
    # it is (its manifest does not parse, and whoever reads it says so).
    damaged = frame(b"1\n", b'{"a"\x00 1}') + frame(b"", b"{}")
    assert [r.manifest for r in records(damaged)] == [b'{"a"\x00 1}', b"{}"]


def test_a_part_is_journaled_up_to_64_kib_encoded_and_not_beyond() -> None:
    text = get_format("txt")
    assert encode("a" * SMALL, text) == b"a" * SMALL
    assert encode("a" * (SMALL + 1), text) is None
    pickle = get_format("pickle")
    assert encode(list(range(10)), pickle) is not None
    assert encode(b"x" * (10 * SMALL), pickle) is None  # stopped at the limit
    assert encode(5, get_format("json")) == b"5\n"
    assert encode(5, get_format("parquet")) is None  # written by path: always a file


def test_a_record_of_several_parts_points_at_each_and_a_pickle_is_signed(tmp_path: Path) -> None:
    """Each part's record is made once, with its offset (and, for a format that runs code when
    loaded, its signature, which the offset is not part of): the manifest after the payload
    names every part's bytes, and is the JSON `to_json` gives."""
    store = ResultStore(str(tmp_path / "store"))
    values = {"a": {"x": [1, 2]}, "b": 7, "c": {1, 2}}
    parts = {}
    for name, value in values.items():
        format = format_for_value(value)
        data = encode(value, format)
        assert data is not None
        parts[name] = (format, data)

    def build(found: dict[str, PartRecord]) -> Manifest:
        return Manifest("k", "p", "s", "run", "2024-03-01T06:30:00+00:00", {}, found)

    try:
        manifest = append(store, journal_folder("p"), "run", parts, build)
    finally:
        close_run("run")
    data = (tmp_path / "store" / next(iter(manifest.parts.values())).path).read_bytes()
    (found,) = records(data)
    assert found.manifest == manifest.to_json()
    assert Manifest.from_json(found.manifest) == manifest
    for name, part in manifest.parts.items():
        assert part.offset is not None
        assert data[part.offset : part.offset + part.size] == parts[name][1]
        assert part.checksum == "sha256:" + hashlib.sha256(parts[name][1]).hexdigest()
    assert [manifest.parts[name].offset for name in values] == sorted(
        part.offset for part in manifest.parts.values() if part.offset is not None
    )
    assert manifest.parts["c"].format == "pickle"
    # A record holding a pickle has every part signed (as it always had).
    assert [signature_problem(part) for part in manifest.parts.values()] == [None] * 3
    assert store.read(manifest.parts["c"]) == {1, 2}
    assert store.read(manifest.parts["a"]) == {"x": [1, 2]}


def test_a_json_part_past_the_limit_is_not_journaled() -> None:
    json = get_format("json")
    assert encode(["a" * SMALL], json) is None
    assert encode(["a" * (SMALL // 2)], json) is not None
