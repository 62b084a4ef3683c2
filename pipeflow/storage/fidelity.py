"""Whether a format gives a value back exactly as it went in, types included (SPEC section 12).

Each `*_problem` function says what a format would change in a value, naming the column (or
key) and its type, or returns None when the value comes back equal and of the same types. The
formats refuse a value with a problem; the default choice (`format_for_value`) takes the next
format that has none, pickle in the end, so nothing is ever stored as a lossy copy.

The checks cost little where values are large: a frame of numbers is judged by its dtypes
alone. Only object columns (Python objects in cells, slow anyway) are scanned, in C first
(`infer_dtype`), cell by cell only for the few kinds that parquet keeps. CSV types its columns
by reading the text, so a frame whose columns are not all int64, float64 or bool is checked by
reading back the text that is about to be written (`frame_difference`).

What each format holds, as found by reading back what it wrote (tests/storage/test_fidelity.py
generates values of every kind and checks that a value either comes back equal or is refused):

- parquet: DataFrames and Series (name, attrs and a DatetimeIndex's `freq` kept in pipeflow's
  own schema metadata) whose columns are numpy bool, int, uint, float16-64, datetime64 and
  timedelta64 (datetimes in ms, us or ns), nullable Int/UInt/Float/boolean, str and
  string[pyarrow], categoricals of strings (ordered or not, unused categories kept), periods,
  intervals, timezone-aware datetimes, and object columns of bytes or datetime.date (None for
  missing); string or integer column names; any index of those types, named by strings.
  Not: lists, dicts, tuples, mixed or str values in object columns, categoricals of numbers,
  complex numbers, datetimes in seconds, string[python], sparse and Arrow-backed columns.
- csv: DataFrames with a default index (0, 1, ... unnamed), unique non-empty string column
  names, at least one row, no attrs, and columns that read back as the same type.
- json: None, bool, int, finite float, str, lists and dicts with string keys, exactly those
  types (not tuples, numpy scalars or subclasses).
- npy: plain numpy arrays (not subclasses) of any dtype but object.
- txt: str. pickle and joblib: whatever pickles.
"""

from __future__ import annotations

import datetime
import math
import sys
from typing import Any

from pipeflow.model.words import a_kind

# Column dtypes that CSV gives back as they are (float64 with the round-trip float parser).
_CSV_PLAIN = frozenset({"int64", "float64", "bool"})
_PARQUET_UNITS = frozenset({"ms", "us", "ns"})  # parquet has no timestamps in seconds
_PARQUET_OBJECT_CELLS = (bytes, datetime.date)  # exactly these types; None for missing


def type_name(value: Any) -> str:
    """`dict`, `pandas.DataFrame`, `sklearn.tree.DecisionTreeClassifier`: for messages."""
    kind = type(value)
    module = kind.__module__
    if module == "builtins":
        return kind.__qualname__
    # pandas and numpy define their public classes in private modules (`pandas.core.frame`).
    top = module.split(".")[0]
    if top in ("pandas", "numpy"):
        return f"{top}.{kind.__qualname__}"
    return f"{module}.{kind.__qualname__}"


# -- json and txt -----------------------------------------------------------------------------


def utf8(text: str) -> bool:
    """Whether UTF-8 holds the text (not a lone surrogate, as `surrogateescape` gives)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_problem(value: Any) -> str | None:
    """What JSON would change in `value` (`scores.f1` is a numpy.float64, ...), or None."""
    try:
        return _json_problem(value, "")
    except RecursionError:
        return "the value refers to itself, or nests too deep for JSON (hundreds of levels)"


def _json_problem(value: Any, path: str) -> str | None:
    kind = type(value)
    if value is None or kind in (bool, int) or (kind is str and utf8(value)):
        return None
    where = f"`{path}`" if path else "the value"
    if kind is str:
        return (
            f"{where} holds a character UTF-8 cannot encode (a lone surrogate, as in a file "
            "name that is not UTF-8), which JSON cannot hold"
        )
    if kind is float:
        return None if math.isfinite(value) else f"{where} is {value}, which JSON cannot hold"
    if kind is dict:
        for key, item in value.items():
            if type(key) is str and not utf8(key):
                return (
                    f"{where} has a key with a character UTF-8 cannot encode: JSON cannot hold it"
                )
            if type(key) is not str:
                return (
                    f"{where} has the key {key!r} ({type_name(key)}), which JSON gives back "
                    "as a string"
                )
            found = _json_problem(item, f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if kind is list:
        for index, item in enumerate(value):
            found = _json_problem(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if kind is tuple:
        return f"{where} is a tuple, which JSON gives back as a list"
    back = _json_equivalent(value)
    if back is not None:
        return f"{where} is {a_kind(type_name(value))}, which JSON gives back as {back}"
    return f"{where} is {a_kind(type_name(value))}, which JSON cannot hold"


def _json_equivalent(value: Any) -> str | None:
    """The plain type JSON would give back for a number or container subclass, or None."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        kind = value.dtype.kind
        return {"b": "bool", "i": "int", "u": "int", "f": "float"}.get(kind)
    for plain in (bool, int, float, str, dict, list):
        if isinstance(value, plain):
            return plain.__name__
    return None


def text_problem(value: Any) -> str | None:
    if type(value) is str:
        return None
    return f"a {type_name(value)} is not a str"


# -- npy --------------------------------------------------------------------------------------


def npy_problem(value: Any) -> str | None:
    numpy = sys.modules.get("numpy")
    if numpy is None or not isinstance(value, numpy.ndarray):
        return f"a {type_name(value)} is not a numpy array"
    if type(value) is not numpy.ndarray:
        return f"a {type_name(value)} would come back as a plain numpy.ndarray"
    if value.dtype.hasobject:
        return "an array of Python objects (dtype object) can only be pickled"
    return None


# -- parquet ----------------------------------------------------------------------------------


def parquet_problem(value: Any) -> str | None:
    """What parquet would change in a DataFrame or Series, or None (see the module's list)."""
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(value, (pandas.DataFrame, pandas.Series)):
        return f"a {type_name(value)} is not a pandas DataFrame or Series"
    if not value.flags.allows_duplicate_labels:
        return "the flag allows_duplicate_labels=False is not stored"
    if value.attrs and json_problem(value.attrs) is not None:
        return f"in `attrs`, {json_problem(value.attrs)}"
    if isinstance(value, pandas.Series):
        if value.name is not None and type(value.name) not in (str, int):
            return f"the Series' name {value.name!r} ({type_name(value.name)}) is not stored"
        found = _parquet_column_problem(pandas, value, "the Series")
        return found or _parquet_index_problem(pandas, value.index, set())
    columns = value.columns
    if not len(columns) and len(value):
        return "a parquet file without columns holds no rows; the frame has rows and no columns"
    found = _parquet_labels_problem(pandas, columns)
    if found:
        return found
    for position in range(value.shape[1]):
        column = value.iloc[:, position]
        found = _parquet_column_problem(pandas, column, f"column `{columns[position]}`")
        if found:
            return found
    return _parquet_index_problem(pandas, value.index, set(map(str, columns)))


def _parquet_labels_problem(pandas: Any, columns: Any) -> str | None:
    if columns.has_duplicates:
        return f"the column name `{columns[columns.duplicated()][0]}` is used twice"
    for name in columns.names:
        if name is not None and type(name) is not str:
            return f"the column index's name {name!r} ({type_name(name)}) is not a string"
    multi = isinstance(columns, pandas.MultiIndex)
    for level in columns.levels if multi else [columns]:
        if len(level) == 0 or _is_str_dtype(pandas, level.dtype):
            continue
        if not multi and level.dtype == "int64":
            continue  # integer names come back as integers
        if level.dtype == object and all(type(name) is str for name in level):
            return (
                "the column names are strings in an index of dtype object, which parquet "
                "gives back as str; rename the columns with a list of strings"
            )
        return f"the column names are of type {level.dtype}; parquet keeps strings"
    return None


def _parquet_index_problem(pandas: Any, index: Any, columns: set[str]) -> str | None:
    multi = isinstance(index, pandas.MultiIndex)
    for name in index.names:
        if name is not None and type(name) is not str:
            return f"the index name {name!r} ({type_name(name)}) would come back as a string"
        if multi and name in columns:
            return f"the index level `{name}` has the name of a column"
    if isinstance(index, pandas.RangeIndex):
        return None
    freq = getattr(index, "freq", None)
    periods = isinstance(index, pandas.PeriodIndex)  # (whose dtype holds its frequency)
    if freq is not None and not periods and _offset(pandas, freq.freqstr) != freq:
        return f"the index's frequency {freq!r} is not stored (only its name, {freq.freqstr})"
    levels = [index.get_level_values(i) for i in range(index.nlevels)] if multi else [index]
    for level in levels:
        what = f"the index level `{level.name}`" if level.name is not None else "the index"
        found = _parquet_dtype_problem(pandas, level.dtype, level, what)
        if found:
            return found
    return None


def _parquet_column_problem(pandas: Any, column: Any, what: str) -> str | None:
    return _parquet_dtype_problem(pandas, column.dtype, column, what)


_MASKED = frozenset(
    {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"}
    | {"Float32", "Float64", "boolean"}
)


def _offset(pandas: Any, name: str) -> Any:
    return pandas.tseries.frequencies.to_offset(name)


def _parquet_dtype_problem(pandas: Any, dtype: Any, values: Any, what: str) -> str | None:
    numpy = sys.modules["numpy"]
    if isinstance(dtype, numpy.dtype):
        kind = dtype.kind
        if kind in "biu" or (kind == "f" and dtype.itemsize <= 8):
            return None
        if kind == "m" or (kind == "M" and numpy.datetime_data(dtype)[0] in _PARQUET_UNITS):
            return None
        if kind == "M":
            return f"{what} ({dtype}) would come back in milliseconds; use `.dt.as_unit('ms')`"
        if kind == "O":
            return _object_cells_problem(values, what)
        return f"{what} ({dtype}) has no parquet type"
    if isinstance(dtype, pandas.DatetimeTZDtype):
        if dtype.unit in _PARQUET_UNITS:
            return None
        return f"{what} ({dtype}) would come back in milliseconds; use `.dt.as_unit('ms')`"
    if isinstance(dtype, pandas.CategoricalDtype):
        if not len(values) and len(dtype.categories):
            return f"{what} is an empty categorical, whose categories parquet does not keep"
        if _is_str_dtype(pandas, dtype.categories.dtype):
            return None
        return (
            f"{what} is a categorical of {dtype.categories.dtype} categories, which parquet "
            "gives back as plain values; only categories of strings come back as categories"
        )
    if isinstance(dtype, pandas.StringDtype):
        if dtype.storage == "pyarrow":
            return None
        return f"{what} ({dtype!r}) would come back as string[pyarrow]"
    if isinstance(dtype, (pandas.PeriodDtype, pandas.IntervalDtype)) or dtype.name in _MASKED:
        return None
    return f"{what} ({dtype}) is not among the types parquet gives back unchanged"


def _is_str_dtype(pandas: Any, dtype: Any) -> bool:
    """pandas' `str` dtype (and string[pyarrow]): what parquet gives strings back as."""
    return isinstance(dtype, pandas.StringDtype) and dtype.storage == "pyarrow"


def _object_cells_problem(values: Any, what: str) -> str | None:
    """Whether parquet gives back the cells of an object column (or index) as they are: all
    bytes, or all dates, with None for what is missing. The scan stops at the first cell of
    another type, so a column of lists or strings costs one cell."""
    found: type | None = None
    for cell in values.to_numpy():
        if cell is None:
            continue
        kind = type(cell)
        if kind is found:
            continue
        if found is None and kind in _PARQUET_OBJECT_CELLS:
            found = kind
            continue
        if found is not None:
            return f"{what} mixes {found.__name__} and {type_name(cell)} values (object dtype)"
        return f"{what} holds {type_name(cell)} values (object dtype), {_object_cell_fate(cell)}"
    return None


def _object_cell_fate(cell: Any) -> str:
    if isinstance(cell, (list, tuple)):
        return "which parquet gives back as numpy arrays"
    if isinstance(cell, dict):
        return "which parquet gives back with the keys of every row"
    if isinstance(cell, str):
        return "which parquet gives back as the str dtype; convert with `.astype('str')`"
    if isinstance(cell, float) and math.isnan(cell):
        return "with NaN where parquet would give back None"
    return "which parquet does not give back unchanged"


# -- csv --------------------------------------------------------------------------------------


def csv_problem(value: Any) -> str | None:
    """What a CSV file cannot hold in a frame by its shape alone (index, names, attrs), or None.

    The column types are checked by reading the text back (`needs_reading_back`)."""
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(value, (pandas.DataFrame, pandas.Series)):
        return f"a {type_name(value)} is not a pandas DataFrame"
    if isinstance(value, pandas.Series):
        return "a Series would come back as a DataFrame; return `series.to_frame()`"
    index = value.index
    if not (
        isinstance(index, pandas.RangeIndex)
        and index.start == 0
        and index.step == 1
        and index.name is None
    ):
        return (
            f"the index ({_describe_index(pandas, index)}) has no place in a CSV file, which "
            "would give it back as a column; call `.reset_index()` in the step to keep it as "
            "a column, or store the frame as parquet"
        )
    columns = value.columns
    if isinstance(columns, pandas.MultiIndex) or columns.name is not None:
        return "a CSV header holds one row of names: the column index has several levels or a name"
    for name in columns:
        if type(name) is not str or not name:
            return f"the column name {name!r} ({type_name(name)}) would come back as a string"
    if columns.has_duplicates:
        return f"the column name `{columns[columns.duplicated()][0]}` is used twice"
    if not _is_str_dtype(pandas, columns.dtype):
        return f"the column names are in a {columns.dtype} index, which comes back as str"
    if value.shape[1] == 0:
        return "a frame without columns has nothing to write in a CSV file"
    if len(value) == 0:
        return "a CSV file of a header alone gives back no column types; the frame has no rows"
    if value.attrs:
        return "a CSV file has no place for `attrs`"
    if not value.flags.allows_duplicate_labels:
        return "the flag allows_duplicate_labels=False is not stored"
    return None


def needs_reading_back(frame: Any) -> bool:
    """Whether CSV's typing of a frame's columns is to be checked by reading the text back:
    columns of int64, float64 and bool always come back as they are."""
    return any(str(dtype) not in _CSV_PLAIN for dtype in frame.dtypes)


def _describe_index(pandas: Any, index: Any) -> str:
    if isinstance(index, pandas.MultiIndex):
        return f"a MultiIndex of levels {list(index.names)}"
    name = f"named `{index.name}`, " if index.name is not None else ""
    return f"{name}{index.dtype}"
