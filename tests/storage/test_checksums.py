"""Checksums taken while a payload is written: equal to the sha256 of the bytes stored."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pytest

from pipeflow.storage import ResultStore
from pipeflow.storage.blobs import RAW, LocalFile
from pipeflow.storage.checksums import HashingWriter, digest
from pipeflow.storage.formats import get_format
from pipeflow.storage.publish import publish_local

BIG = HashingWriter.INLINE + 3 * 1024 * 1024 + 17  # past the inline part: hashed on a thread


def sha256_of(path: Path) -> str:
    return f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"


def test_a_large_stream_of_every_buffer_kind_is_hashed_as_written() -> None:
    # A buffer the caller reuses after `write` returns must be hashed as it was when written.
    # Into memory, writing runs well ahead of sha256: the thread's queue is full at each reuse.
    reused = bytearray(1024 * 1024)
    sink = io.BytesIO()
    with HashingWriter(sink) as writer:
        for index in range(4 * BIG // len(reused)):
            reused[:] = bytes([index % 251]) * len(reused)
            writer.write(reused if index % 3 else memoryview(reused))
        writer.write(os.urandom(BIG % len(reused)))
    assert writer.size == len(sink.getvalue())
    assert writer.checksum == f"sha256:{hashlib.sha256(sink.getvalue()).hexdigest()}"


@pytest.mark.parametrize("kind", ["parquet", "raw"])
def test_a_payload_written_by_path_has_the_checksum_of_its_bytes(tmp_path: Path, kind: str) -> None:
    store = ResultStore(str(tmp_path / "store"))
    value: Any
    if kind == "parquet":
        generator = np.random.default_rng(0)
        value = pd.DataFrame(generator.random((300_000, 4)), columns=list("abcd"))
        record = store.write("frame.parquet", value, format=get_format("parquet"))
    else:
        source = tmp_path / "source.bin"
        source.write_bytes(os.urandom(BIG))
        record = store.write("blob", LocalFile(str(source)), format=RAW)
    written = tmp_path / "store" / record.path
    assert record.size == written.stat().st_size
    assert record.checksum == sha256_of(written)
    if kind == "parquet":
        pd.testing.assert_frame_equal(store.read(record), value)


@pytest.mark.parametrize("by_path", [True, False], ids=["by-path", "streamed"])
def test_a_write_that_fails_midway_leaves_no_file_and_no_thread(
    tmp_path: Path, by_path: bool
) -> None:
    threads = threading.active_count()

    def produce(file: BinaryIO) -> None:
        file.write(os.urandom(BIG))
        raise RuntimeError("broken halfway")

    def produce_path(path: str) -> None:
        with open(path, "wb") as file:
            produce(file)

    with pytest.raises(RuntimeError, match="broken halfway"):
        publish_local(str(tmp_path / "out" / "x"), produce, produce_path if by_path else None)
    assert os.listdir(tmp_path / "out") == []
    assert threading.active_count() == threads


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 7])
def test_a_stream_is_measured_to_its_end_or_to_one_byte_past_its_limit(size: int) -> None:
    data = os.urandom(size)
    copy = io.BytesIO()
    assert digest(io.BytesIO(data), copy=copy) == (
        size,
        f"sha256:{hashlib.sha256(data).hexdigest()}",
    )
    assert copy.getvalue() == data
    limit = size // 2
    measured, _ = digest(io.BytesIO(data), limit=limit)
    assert measured == min(size, limit + 1)  # never read further than that
