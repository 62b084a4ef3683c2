"""The journal's record format and size limit (`pipeflow/storage/journal.py`), byte by byte."""

from __future__ import annotations

from pipeflow.storage import get_format
from pipeflow.storage.journal import HEADER, MAGIC, SMALL, encode, records


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


def test_a_part_is_journaled_up_to_64_kib_encoded_and_not_beyond() -> None:
    text = get_format("txt")
    assert encode("a" * SMALL, text) == b"a" * SMALL
    assert encode("a" * (SMALL + 1), text) is None
    pickle = get_format("pickle")
    assert encode(list(range(10)), pickle) is not None
    assert encode(b"x" * (10 * SMALL), pickle) is None  # stopped at the limit
    assert encode(5, get_format("json")) == b"5\n"
    assert encode(5, get_format("parquet")) is None  # written by path: always a file
