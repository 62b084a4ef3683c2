"""pandas frames to parquet and CSV and back, exactly as they were (checks in fidelity.py).

Parquet files carry pandas' own metadata (dtypes, index, attrs) plus a small `pipeflow` entry
in the schema's key-value metadata for what pandas leaves out: that the value was a Series
(and its name), and the frequency of a DatetimeIndex or TimedeltaIndex. Other tools read the
file as the plain table it is; pipeflow reads the value back as it went in.

pandas and pyarrow are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import io
import json
import math
import sys
from typing import Any, BinaryIO

from pipeflow.storage.encodings import write_options
from pipeflow.storage.fidelity import needs_reading_back, type_name

PIPEFLOW_METADATA = b"pipeflow"
PANDAS_ATTRS = b"PANDAS_ATTRS"  # where pandas itself keeps `attrs` (pandas.io.parquet)


def write_parquet(value: Any, where: str | BinaryIO) -> None:
    """Write a DataFrame or Series to a path or a binary file; ValueError, TypeError or
    NotImplementedError (pyarrow's errors derive from them) for a column it cannot type."""
    import pandas
    import pyarrow
    import pyarrow.parquet

    note: dict[str, Any] = {}
    if isinstance(value, pandas.Series):
        note["series"] = {"name": value.name}
        frame = value.to_frame()
    else:
        frame = value
    freq = getattr(frame.index, "freq", None)
    if freq is not None and not isinstance(frame.index, pandas.PeriodIndex):
        note["freq"] = freq.freqstr
    table = pyarrow.Table.from_pandas(frame, preserve_index=None)
    metadata = dict(table.schema.metadata or {})
    if frame.attrs:
        metadata[PANDAS_ATTRS] = json.dumps(frame.attrs, allow_nan=False).encode()
    if note:
        metadata[PIPEFLOW_METADATA] = json.dumps(note, allow_nan=False).encode()
    table = table.replace_schema_metadata(metadata)
    # Dictionaries and snappy where they pay, plain elsewhere (encodings.py).
    pyarrow.parquet.write_table(table, where, **write_options(table))
    # Hand back to the system what the writer's buffers took (pyarrow's allocator would keep
    # it for later): a few ms once, several MB less for the rest of a run of large frames.
    pyarrow.default_memory_pool().release_unused()


def read_parquet(file: BinaryIO) -> Any:
    """The DataFrame or Series written by `write_parquet` (or any parquet file, as a frame)."""
    import pandas
    import pyarrow.parquet

    metadata = pyarrow.parquet.read_schema(file).metadata or {}
    file.seek(0)
    frame = pandas.read_parquet(file, engine="pyarrow")
    note = json.loads(metadata.get(PIPEFLOW_METADATA, b"{}"))
    if "freq" in note:
        index: Any = frame.index
        frame.index = type(index)(index, freq=note["freq"])
    if "series" in note:
        series = frame.iloc[:, 0]
        series.name = note["series"]["name"]
        return series
    return frame


def write_csv(frame: Any, file: BinaryIO) -> str | None:
    """Write a frame as CSV (without its default index), unless reading the text back would
    change the frame: then write nothing and say what would change. Frames of int64, float64
    and bool columns come back as they are and are streamed; any other frame is rendered in
    memory and read back to find out."""
    if not needs_reading_back(frame):
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        try:
            frame.to_csv(text, index=False, lineterminator="\n")
            text.flush()
        finally:
            # Detach so that the wrapper, when collected, does not close the caller's file.
            text.detach()
        return None
    data = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    problem = frame_difference(frame, read_csv(io.BytesIO(data)))
    if problem is None:
        file.write(data)
    return problem


def read_csv(file: BinaryIO) -> Any:
    import pandas

    if int(pandas.__version__.split(".")[0]) >= 3:
        return pandas.read_csv(file, encoding="utf-8")  # floats are parsed exactly
    return pandas.read_csv(file, encoding="utf-8", float_precision="round_trip")


def frame_difference(expected: Any, actual: Any) -> str | None:
    """How `actual` differs from the DataFrame `expected` (columns, index, dtypes, values and
    the types of Python objects in cells), or None when it is the same."""
    pandas = sys.modules["pandas"]
    if type(actual) is not type(expected):
        return f"it would come back as a {type_name(actual)}"
    if expected.shape != actual.shape:
        return f"it would come back with shape {actual.shape} instead of {expected.shape}"
    found = _index_difference(pandas, expected.columns, actual.columns, "the column names")
    if found:
        return found
    found = _index_difference(pandas, expected.index, actual.index, "the index")
    if found:
        return found
    for position in range(expected.shape[1]):
        what = f"column `{expected.columns[position]}`"
        found = _values_difference(
            expected.iloc[:, position], actual.iloc[:, position], what, pandas
        )
        if found:
            return found
    if expected.attrs != actual.attrs:
        return "its `attrs` would differ"
    return None


def _index_difference(pandas: Any, expected: Any, actual: Any, what: str) -> str | None:
    def integers(index: Any) -> bool:  # a RangeIndex and an int64 Index are equivalent
        return type(index) in (pandas.Index, pandas.RangeIndex) and index.dtype == "int64"

    if type(expected) is not type(actual) and not (integers(expected) and integers(actual)):
        return f"{what} ({type_name(expected)}) would come back as a {type_name(actual)}"
    if expected.dtype != actual.dtype:
        return f"{what} ({expected.dtype}) would come back as {actual.dtype}"
    if list(expected.names) != list(actual.names):
        return f"{what} would come back named {list(actual.names)}"
    if not expected.equals(actual):
        return f"{what} would come back with other values"
    if getattr(expected, "freq", None) != getattr(actual, "freq", None):
        return f"{what} would come back without its frequency"
    return None


def _values_difference(expected: Any, actual: Any, what: str, pandas: Any) -> str | None:
    if expected.dtype != actual.dtype:
        return f"{what} ({expected.dtype}) would come back as {actual.dtype}"
    if str(expected.dtype) != "object":
        if not expected.equals(actual):
            return f"{what} would come back with other values"
        return None
    for old, new in zip(expected.to_numpy(), actual.to_numpy(), strict=True):
        if type(old) is not type(new):
            return f"{what} holds {type_name(old)} values that would come back as {type_name(new)}"
        if not _same_cell(old, new, pandas):
            return f"{what} would come back with other values ({old!r} as {new!r})"
    return None


def _same_cell(old: Any, new: Any, pandas: Any) -> bool:
    if isinstance(old, float) and math.isnan(old):
        return isinstance(new, float) and math.isnan(new)
    numpy = sys.modules["numpy"]
    if isinstance(old, numpy.ndarray):
        return bool(old.dtype == new.dtype and numpy.array_equal(old, new, equal_nan=True))
    try:
        return bool(old == new)
    except (TypeError, ValueError):
        return False
