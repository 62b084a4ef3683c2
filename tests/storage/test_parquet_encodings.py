"""Parquet columns whose values hardly repeat are written plain, without a dictionary attempt,
and uncompressed when snappy would save next to nothing on them (storage/encodings.py); every
frame still reads back exactly as it went in.

The encodings are read from the file's own metadata (pyarrow's `ColumnChunkMetaData`), the
values compared with the oracle of test_fidelity.py.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeflow.storage import format_for_value, get_format
from pipeflow.storage.encodings import SAMPLE, write_options
from tests.storage.test_fidelity import assert_same

ROWS = 3 * SAMPLE + 7  # large enough to be sampled, not a multiple of anything
RANDOM = np.random.default_rng(7)


def written(value: Any) -> bytes:
    buffer = io.BytesIO()
    get_format("parquet").write(value, buffer)
    return buffer.getvalue()


def read_back(data: bytes) -> Any:
    return get_format("parquet").read(io.BytesIO(data))


def dictionaries(data: bytes) -> dict[str, bool]:
    """Whether each parquet column (by path) of the file's first row group has a dictionary."""
    group = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0)
    return {
        group.column(i).path_in_schema: group.column(i).has_dictionary_page
        for i in range(group.num_columns)
    }


def compressed(data: bytes) -> dict[str, bool]:
    """Whether each parquet column of the file's first row group is compressed (snappy)."""
    group = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0)
    found = {
        group.column(i).path_in_schema: group.column(i).compression
        for i in range(group.num_columns)
    }
    assert set(found.values()) <= {"SNAPPY", "UNCOMPRESSED"}, found
    return {path: codec == "SNAPPY" for path, codec in found.items()}


def round_trip(value: Any) -> bytes:
    assert format_for_value(value).name == "parquet"
    data = written(value)
    assert_same(value, read_back(data))
    return data


# Columns whose values hardly repeat: written plain. Several spellings of "all distinct".
DISTINCT = {
    "random floats": lambda: RANDOM.random(ROWS),
    "random float32": lambda: RANDOM.random(ROWS).astype(np.float32),
    "shuffled ints": lambda: RANDOM.permutation(ROWS),
    "ids as strings": lambda: pd.array([f"row-{i}" for i in range(ROWS)], dtype="str"),
    "tz-aware times": lambda: pd.date_range("2024-01-01", periods=ROWS, freq="s", tz="UTC"),
    "naive times": lambda: pd.date_range("2024-03-31", periods=ROWS, freq="min"),
    "durations": lambda: pd.to_timedelta(RANDOM.permutation(ROWS), unit="ms"),
    "nullable ints": lambda: pd.array(RANDOM.permutation(ROWS), dtype="Int64"),
}

# Columns whose values repeat: they keep pyarrow's dictionary, as before.
REPEATING = {
    "five floats": lambda: RANDOM.integers(0, 5, ROWS) / 4,
    "sorted runs": lambda: np.repeat(np.arange(ROWS // 50 + 1), 50)[:ROWS].astype(float),
    "few strings": lambda: pd.array(RANDOM.choice(["a", "b", "c"], ROWS), dtype="str"),
    "a categorical": lambda: pd.Categorical(RANDOM.choice(["x", "y"], ROWS)),
    "mostly nulls": lambda: np.where(np.arange(ROWS) % 10 == 0, RANDOM.random(ROWS), np.nan),
    "booleans": lambda: RANDOM.random(ROWS) < 0.5,
}


@pytest.mark.parametrize("kind", DISTINCT)
def test_a_column_whose_values_hardly_repeat_is_written_without_a_dictionary(kind: str) -> None:
    frame = pd.DataFrame({"values": DISTINCT[kind](), "flag": RANDOM.integers(0, 3, ROWS)})
    data = round_trip(frame)
    assert dictionaries(data) == {"values": False, "flag": True}
    # Random floats are the only ones here on which snappy saves nothing: left uncompressed.
    assert compressed(data) == {"values": not kind.startswith("random"), "flag": True}


@pytest.mark.parametrize("kind", REPEATING)
def test_a_column_whose_values_repeat_keeps_its_dictionary(kind: str) -> None:
    frame = pd.DataFrame({"values": REPEATING[kind](), "noise": RANDOM.random(ROWS)})
    data = round_trip(frame)
    # pyarrow never writes a dictionary for booleans; the point is that it was left to decide.
    assert dictionaries(data) == {"values": kind != "booleans", "noise": False}
    assert compressed(data) == {"values": True, "noise": False}


def test_the_plain_uncompressed_file_is_no_larger_than_pyarrows_default() -> None:
    frame = pd.DataFrame(RANDOM.random((ROWS, 4)), columns=list("abcd"))
    default = io.BytesIO()
    frame.to_parquet(default)
    assert len(written(frame)) <= len(default.getvalue())


# Each index, and the parquet columns it adds (a RangeIndex is kept in the metadata alone).
INDEXES = {
    "range": (lambda: pd.RangeIndex(ROWS), {}),
    "stepped range": (lambda: pd.RangeIndex(5, 5 + 3 * ROWS, 3, name="n"), {}),
    "strings": (
        lambda: pd.Index([f"k{i}" for i in range(ROWS)], dtype="str", name="key"),
        {"key": False},
    ),
    "times with a frequency": (
        lambda: pd.date_range("2020-01-01", periods=ROWS, freq="h", tz="Europe/Paris", name="t"),
        {"t": False},
    ),
    "multi": (
        lambda: pd.MultiIndex.from_arrays(
            [np.arange(ROWS) % 7, RANDOM.permutation(ROWS)], names=["group", "item"]
        ),
        {"group": True, "item": False},
    ),
}


@pytest.mark.parametrize("index", INDEXES)
def test_a_large_frame_of_every_kind_comes_back_the_same(index: str) -> None:
    frame = pd.DataFrame(
        {
            "noise": RANDOM.random(ROWS),
            "ints": RANDOM.permutation(ROWS),
            "rating": pd.Categorical(
                RANDOM.choice(["low", "high"], ROWS), ["low", "mid", "high"], ordered=True
            ),
            "at": pd.date_range("2024-03-31 01:00", periods=ROWS, freq="min", tz="Europe/Paris"),
            "took": pd.to_timedelta(RANDOM.permutation(ROWS), unit="s"),
            "count": pd.array(np.where(np.arange(ROWS) % 3, np.arange(ROWS), -1), dtype="Int64"),
            "ok": pd.array(RANDOM.random(ROWS) < 0.3, dtype="boolean"),
            "name": pd.array([f"n{i}" for i in range(ROWS)], dtype="string[pyarrow]"),
            "label": [None if i % 5 == 0 else f"l{i}" for i in range(ROWS)],
            "blob": pd.Series([bytes([i % 251]) * (i % 3) for i in range(ROWS)], dtype=object),
            "day": pd.Series(
                [datetime.date(2024, 1, 1) + datetime.timedelta(days=i) for i in range(ROWS)],
                dtype=object,
            ),
            "dotted.name": RANDOM.random(ROWS),
        },
    )
    make_index, index_columns = INDEXES[index]
    frame.index = make_index()
    frame.loc[frame.index[::17], "noise"] = np.nan
    frame.columns.name = "fields"
    frame.attrs["source"] = "api"
    data = round_trip(frame)
    assert compressed(data) == dict.fromkeys(dictionaries(data), True) | {
        "noise": False,
        "dotted.name": False,
    }
    assert dictionaries(data) == {
        "noise": False,  # a NaN in every 17th row: the other values are all distinct
        "ints": False,
        "rating": True,  # a categorical: pyarrow writes its codes and categories
        "at": False,
        "took": False,
        "count": True,  # -1 in every third row: a third of the values repeat
        "ok": False,  # booleans: pyarrow never writes a dictionary for them
        "name": False,
        "label": False,
        "blob": True,  # three different values
        "day": False,
        "dotted.name": False,
        **index_columns,
    }


def test_a_series_comes_back_the_same() -> None:
    data = round_trip(pd.Series(RANDOM.random(ROWS), name="price"))
    assert dictionaries(data) == {"price": False}
    assert compressed(data) == {"price": False}


def test_nested_columns_keep_their_dictionary_under_their_parquet_paths() -> None:
    """pipeflow's parquet format refuses nested columns (they would not come back as they
    were), but the choice of encodings names their parquet columns right all the same."""
    table = pa.table(
        {
            "tags": pa.array([[i % 3, 1] for i in range(ROWS)], pa.list_(pa.int64())),
            "point": pa.array([{"x": i % 2, "y": "a"} for i in range(ROWS)]),
            "noise": RANDOM.random(ROWS),
            "a.b": RANDOM.random(ROWS),
        }
    )
    chosen = write_options(table)
    assert chosen == {
        "use_dictionary": ["tags.list.element", "point.x", "point.y"],
        "compression": {
            "tags.list.element": "snappy",
            "point.x": "snappy",
            "point.y": "snappy",
            "noise": "none",
            "a.b": "none",
        },
    }
    sink = io.BytesIO()
    pq.write_table(table, sink, **chosen)
    assert compressed(sink.getvalue()) == {
        "tags.list.element": True,
        "point.x": True,
        "point.y": True,
        "noise": False,
        "a.b": False,
    }
    assert dictionaries(sink.getvalue()) == {
        "tags.list.element": True,
        "point.x": True,
        "point.y": True,
        "noise": False,
        "a.b": False,
    }


@pytest.mark.parametrize("rows", [0, 1, SAMPLE - 1])
def test_a_frame_smaller_than_the_sample_is_written_as_pyarrow_would(rows: int) -> None:
    frame = pd.DataFrame({"noise": RANDOM.random(rows), "ids": [f"i{i}" for i in range(rows)]})
    chosen = write_options(pa.Table.from_pandas(frame))
    assert chosen == {"use_dictionary": True, "compression": "snappy"}
    data = round_trip(frame)
    if rows:
        assert dictionaries(data) == {"noise": True, "ids": True}
        assert compressed(data) == {"noise": True, "ids": True}
    empty = pd.DataFrame()
    assert_same(empty, read_back(written(empty)))


@pytest.mark.parametrize("kinds", [DISTINCT, REPEATING], ids=["distinct", "repeating"])
def test_the_same_frame_is_written_as_the_same_bytes(kinds: dict[str, Any]) -> None:
    """The encodings are chosen from the values alone: a step that writes the same frame again
    writes the same file, so its checksum (and what a step reading it fingerprints) stays."""
    frame = pd.DataFrame({kind: make() for kind, make in kinds.items()})
    first = written(frame)
    assert written(frame.copy(deep=True)) == first
    assert written(read_back(first)) == first
