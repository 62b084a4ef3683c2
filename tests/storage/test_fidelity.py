"""Round-trip fidelity: a value read back from the store is the value that was written.

Property-style: hypothesis generates frames, series, arrays and JSON-like values of every kind
the formats meet (list, dict and mixed object columns, categoricals, time zones, nullable and
string dtypes, named and multi-level indexes, frequencies, odd column names, empty frames),
and each format must either give the value back equal, types included, or refuse it with a
StorageError. The format pipeflow picks by itself must never refuse and never change a value.
The oracle here is pandas' own `assert_*_equal` plus checks of dtypes, names, attrs and the
type of every Python object in a cell, independent of pipeflow's own comparison.
"""

from __future__ import annotations

import datetime
import decimal
import io
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from pipeflow.errors import StorageError
from pipeflow.storage import format_for_value, get_format

PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write(format_name: str, value: Any) -> bytes:
    buffer = io.BytesIO()
    get_format(format_name).write(value, buffer)
    return buffer.getvalue()


def read(format_name: str, data: bytes) -> Any:
    return get_format(format_name).read(io.BytesIO(data))


# -- the oracle -----------------------------------------------------------------------------


def same_cell(expected: Any, actual: Any) -> bool:
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, np.ndarray):
        return expected.dtype == actual.dtype and np.array_equal(expected, actual)
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(actual)
    if isinstance(expected, (list, tuple)):
        return len(expected) == len(actual) and all(map(same_cell, expected, actual))
    if isinstance(expected, dict):
        return list(expected) == list(actual) and all(
            same_cell(expected[k], actual[k]) for k in expected
        )
    return bool(expected == actual)


def assert_same_index(expected: pd.Index, actual: pd.Index) -> None:
    integers = {type(expected), type(actual)} <= {pd.Index, pd.RangeIndex}
    if not integers or expected.dtype != "int64":
        assert type(actual) is type(expected)
    assert actual.dtype == expected.dtype
    assert list(actual.names) == list(expected.names)
    assert [type(n) for n in actual.names] == [type(n) for n in expected.names]
    pd.testing.assert_index_equal(actual, expected, exact="equiv", check_exact=True)
    assert getattr(actual, "freq", None) == getattr(expected, "freq", None)
    if expected.dtype == object:
        assert all(map(same_cell, expected, actual))


def assert_same_values(expected: pd.Series, actual: pd.Series) -> None:
    assert actual.dtype == expected.dtype
    pd.testing.assert_series_equal(
        actual, expected, check_exact=True, check_names=False, check_index=False
    )
    if expected.dtype == object:
        for old, new in zip(expected, actual, strict=True):
            assert same_cell(old, new), (old, new)


def assert_same(expected: Any, actual: Any) -> None:
    assert type(actual) is type(expected)
    if isinstance(expected, pd.DataFrame):
        assert actual.shape == expected.shape
        assert_same_index(expected.columns, actual.columns)
        assert_same_index(expected.index, actual.index)
        for position in range(expected.shape[1]):
            assert_same_values(expected.iloc[:, position], actual.iloc[:, position])
    elif isinstance(expected, pd.Series):
        assert actual.name == expected.name
        assert type(actual.name) is type(expected.name)
        assert_same_index(expected.index, actual.index)
        assert_same_values(expected, actual)
    else:
        raise AssertionError(f"not a pandas value: {type(expected)}")
    assert actual.attrs == expected.attrs
    assert actual.flags.allows_duplicate_labels == expected.flags.allows_duplicate_labels


def same_plain(expected: Any, actual: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, a tuple not a list)."""
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, float):
        if math.isnan(expected):
            return math.isnan(actual)
        return expected == actual and math.copysign(1, expected) == math.copysign(1, actual)
    if isinstance(expected, (list, tuple)):
        return len(expected) == len(actual) and all(map(same_plain, expected, actual))
    if isinstance(expected, dict):
        return [(type(k), k) for k in expected] == [(type(k), k) for k in actual] and all(
            same_plain(expected[k], actual[k]) for k in expected
        )
    return bool(expected == actual)


# -- what to generate -------------------------------------------------------------------------


def _object_column(cells: list[Any]) -> pd.Series:
    return pd.Series(_objects(cells), dtype=object)


def _objects(cells: list[Any]) -> np.ndarray:
    """An object array of these cells, one per cell (np.array would nest lists)."""
    array = np.empty(len(cells), dtype=object)
    for index, cell in enumerate(cells):
        array[index] = cell
    return array


ZONES = ["UTC", "Europe/Paris", "America/New_York", datetime.timezone(datetime.timedelta(hours=5))]


COLUMN_KINDS = [
    "int64", "int8", "uint8", "uint64", "float64", "float32", "float16", "bool", "complex",
    "datetime", "datetime_tz", "timedelta", "Int64", "boolean", "Float64", "str",
    "object_str", "string_python", "string_pyarrow", "category_str", "category_int",
    "category_object", "list", "dict", "tuple", "mixed", "bytes", "date", "datetime_object",
    "decimal", "bool_object", "none", "period", "interval",
]  # fmt: skip
# What parquet must keep (SPEC section 12 names list columns, categoricals, time zones, index
# and dtypes): frames made of these alone are never refused.
PARQUET_KINDS = [
    "int64", "int8", "uint8", "uint64", "float64", "float32", "float16", "bool", "datetime",
    "datetime_tz", "timedelta", "Int64", "boolean", "Float64", "str", "string_pyarrow",
    "category_str", "bytes_none", "date", "none", "period", "interval",
]  # fmt: skip
INDEX_KINDS = [
    "default", "range", "int", "str", "datetime_freq", "datetime_tz", "datetime",
    "timedelta_freq", "multi", "category", "float",
]  # fmt: skip


@st.composite
def columns(draw: st.DrawFn, rows: int, kinds: list[str] = COLUMN_KINDS) -> pd.Series:
    """One column of `rows` values, of one of the kinds a step may return."""
    kind = draw(st.sampled_from(kinds))
    if kind == "category_str" and kinds is PARQUET_KINDS and not rows:
        kind = "str"  # an empty categorical loses its categories
    integers = st.lists(st.integers(-(2**62), 2**62), min_size=rows, max_size=rows)
    floats = st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=rows, max_size=rows)
    texts = st.lists(
        st.one_of(st.none(), st.text(max_size=5), st.sampled_from(["1", "2.5", "True", "NA", ""])),
        min_size=rows,
        max_size=rows,
    )
    stamps = st.lists(
        st.one_of(
            st.none(),
            st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2200, 1, 1)),
        ),
        min_size=rows,
        max_size=rows,
    )
    units = ["ms", "us", "ns"] if kinds is PARQUET_KINDS else ["s", "ms", "us", "ns"]
    unit = draw(st.sampled_from(units))
    if kind in ("int64", "int8", "uint8", "uint64"):
        values = [v % 100 if kind in ("int8", "uint8") else abs(v) if kind == "uint64" else v
                  for v in draw(integers)]  # fmt: skip
        return pd.Series(np.array(values, dtype=kind))
    if kind in ("float64", "float32", "float16"):
        with np.errstate(over="ignore"):
            return pd.Series(np.array(draw(floats), dtype=kind))
    if kind == "bool":
        return pd.Series(np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows))))
    if kind == "complex":
        with np.errstate(all="ignore"):
            return pd.Series(np.array(draw(floats), dtype="complex128") * 1j)
    if kind == "datetime":
        return pd.Series(pd.to_datetime(draw(stamps)).as_unit(unit), dtype=f"datetime64[{unit}]")
    if kind == "datetime_tz":
        zone = draw(st.sampled_from(ZONES))
        naive = pd.to_datetime(draw(stamps)).as_unit(unit)
        return pd.Series(naive.tz_localize("UTC").tz_convert(zone))
    if kind == "timedelta":
        seconds = [v % 10**9 for v in draw(integers)]
        return pd.Series(pd.to_timedelta(seconds, unit="s").as_unit(unit))
    if kind in ("Int64", "boolean", "Float64"):
        base = draw(integers) if kind != "boolean" else [v % 2 == 0 for v in draw(integers)]
        mask = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        cells = [None if missing else v for v, missing in zip(base, mask, strict=True)]
        return pd.Series(pd.array(cells, dtype=kind))
    if kind == "str":
        return pd.Series(draw(texts))
    if kind == "object_str":
        return _object_column(list(draw(texts)))
    if kind in ("string_python", "string_pyarrow"):
        return pd.Series(draw(texts), dtype=kind.replace("_", "[") + "]")
    if kind.startswith("category"):
        pool: list[Any] = {
            "category_str": ["a", "b", "c", "d"],
            "category_int": [3, 1, 2, 7],
            "category_object": [1, "b", 2.5, "d"],
        }[kind]
        used = draw(st.lists(st.sampled_from([*pool[:3], None]), min_size=rows, max_size=rows))
        ordered = draw(st.booleans())
        return pd.Series(pd.Categorical(used, categories=pool, ordered=ordered))
    cells: dict[str, st.SearchStrategy[Any]] = {
        "list": st.lists(st.text(max_size=3), max_size=3),
        "dict": st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 9), max_size=2),
        "tuple": st.tuples(st.integers(0, 9)),
        "mixed": st.one_of(st.integers(), st.text(max_size=3), st.floats(allow_nan=False)),
        "bytes": st.one_of(st.none(), st.just(math.nan), st.binary(max_size=4)),
        "bytes_none": st.one_of(st.none(), st.binary(max_size=4)),
        "date": st.one_of(st.none(), st.dates()),
        "datetime_object": st.datetimes(),
        "decimal": st.decimals(allow_nan=False, places=2, max_value=1000, min_value=-1000),
        "bool_object": st.booleans(),
        "none": st.none(),
    }
    if kind in cells:
        return _object_column(draw(st.lists(cells[kind], min_size=rows, max_size=rows)))
    if kind == "period":
        return pd.Series(pd.period_range("2024-01", periods=rows, freq="M"))
    return pd.Series(pd.interval_range(0, rows, closed=draw(st.sampled_from(["left", "right"]))))


@st.composite
def indexes(draw: st.DrawFn, rows: int, kinds: list[str] | None = None) -> pd.Index:
    kind = draw(st.sampled_from(kinds or [*INDEX_KINDS, "object_str", "int_name"]))
    if kind == "category" and kinds and not rows:
        kind = "str"  # an empty categorical loses its categories
    name = draw(st.sampled_from([None, "id", "the key"]))
    if kind == "default":
        return pd.RangeIndex(rows)
    if kind == "range":
        return pd.RangeIndex(start=5, stop=5 + 2 * rows, step=2, name=name)
    if kind == "int":
        return pd.Index(np.arange(rows, dtype="int64") * 3, name=name)
    if kind == "int_name":
        return pd.Index(np.arange(rows, dtype="int64"), name=7)
    if kind in ("str", "object_str"):
        labels = [f"r{i}" for i in range(rows)]
        return pd.Index(labels, name=name, dtype=object if kind == "object_str" else None)
    if kind == "datetime_freq":
        freq = draw(st.sampled_from(["D", "h", "B", "2min", "W-SUN", "MS"]))
        return pd.date_range("2024-01-05", periods=rows, freq=freq, name=name)
    if kind == "datetime":
        days = draw(st.lists(st.integers(0, 10_000), min_size=rows, max_size=rows))
        return pd.DatetimeIndex(pd.Timestamp("2000-01-01") + pd.to_timedelta(days, unit="D"))
    if kind == "datetime_tz":
        return pd.date_range("2024-03-30", periods=rows, freq="h", tz="Europe/Paris", name=name)
    if kind == "timedelta_freq":
        return pd.timedelta_range("1s", periods=rows, freq="s", name=name)
    if kind == "multi":
        return pd.MultiIndex.from_arrays(
            [[f"g{i % 2}" for i in range(rows)], list(range(rows))], names=["group", name]
        )
    if kind == "category":
        return pd.CategoricalIndex(
            [["x", "y"][i % 2] for i in range(rows)], categories=["y", "x", "z"], name=name
        )
    return pd.Index(np.linspace(0, 1, rows), name=name)


@st.composite
def frames(draw: st.DrawFn, *, supported: bool = False) -> pd.DataFrame:
    """A frame of any kind, or (`supported`) one parquet must keep."""
    rows = draw(st.integers(0, 4))
    count = draw(st.integers(0 if not supported else 1, 4))
    kinds = PARQUET_KINDS if supported else COLUMN_KINDS
    data = [draw(columns(rows, kinds)) for _ in range(count)]
    names_kind = draw(
        st.sampled_from(
            ["str", "int"] if supported else ["str", "int", "mixed", "duplicate", "object", "odd"]
        )
    )
    names: list[Any] = [f"c{i}" for i in range(count)]
    if names_kind == "int":
        names = list(range(count))
    elif names_kind == "mixed" and count:
        names[0] = 0
    elif names_kind == "duplicate" and count > 1:
        names[1] = names[0]
    elif names_kind == "odd" and count:
        names[0] = draw(st.sampled_from(["", "1", "Unnamed: 0", "a b", "é"]))
    frame = pd.concat([s.reset_index(drop=True) for s in data], axis=1) if data else None
    if frame is None:
        frame = pd.DataFrame(index=pd.RangeIndex(rows))
    frame.columns = pd.Index(names, dtype=object) if names_kind == "object" else names
    if draw(st.booleans()):
        frame.columns.name = "fields"
    frame.index = draw(indexes(rows, INDEX_KINDS if supported else None))
    attrs = [{}, {"source": "api"}] if supported else [{}, {"source": "api"}, {"pair": (1, 2)}]
    frame.attrs.update(draw(st.sampled_from(attrs)))
    return frame


@st.composite
def series(draw: st.DrawFn) -> pd.Series:
    rows = draw(st.integers(0, 4))
    values = draw(columns(rows))
    values.index = draw(indexes(rows))
    values.name = draw(st.sampled_from([None, "price", 3, ("a", "b")]))
    return values


def check_format(format_name: str, value: Any) -> bool:
    """Write and read back; True if the value came back the same, False if it was refused."""
    format = get_format(format_name)
    try:
        data = write(format_name, value)
    except StorageError as error:
        refusal = str(error)
        data = b""
    else:
        refusal = ""
    if refusal:
        assert "cannot hold" in refusal or "could not hold" in refusal, refusal
        event(f"{format_name}: refused")
        return False
    assert_same(value, read(format_name, data))
    event(f"{format_name}: came back the same")
    # Whatever `accepts` says must hold: csv checks its column types as it writes.
    assert format.accepts(value) or format_name == "csv"
    return True


@PROPERTY
@given(frames())
def test_a_frame_comes_back_the_same_or_is_refused(frame: pd.DataFrame) -> None:
    for name in ("parquet", "csv", "pickle"):
        check_format(name, frame)
    chosen = format_for_value(frame)
    assert chosen.name in ("parquet", "pickle")
    assert chosen.name == "pickle" or get_format("parquet").accepts(frame)
    assert check_format(chosen.name, frame), f"{chosen.name} refused its own choice"


@PROPERTY
@given(frames(supported=True))
def test_a_frame_of_the_types_parquet_keeps_goes_to_parquet_and_comes_back(
    frame: pd.DataFrame,
) -> None:
    assert get_format("parquet").problem(frame) is None  # type: ignore[attr-defined]
    assert format_for_value(frame).name == "parquet"
    assert check_format("parquet", frame)


@PROPERTY
@given(series())
def test_a_series_comes_back_the_same_or_is_refused(value: pd.Series) -> None:
    for name in ("parquet", "csv"):
        check_format(name, value)
    assert check_format(format_for_value(value).name, value)


def numpy_dtypes() -> st.SearchStrategy[np.dtype[Any]]:
    simple = (
        npst.scalar_dtypes()
        | npst.byte_string_dtypes()
        | npst.unicode_string_dtypes()
        | npst.datetime64_dtypes()
        | npst.timedelta64_dtypes()
        | st.sampled_from([np.dtype(np.longdouble), np.dtype(np.clongdouble), np.dtype(">i4")])
    )
    return simple | npst.array_dtypes(simple, min_size=1, max_size=3)


@PROPERTY
@given(npst.arrays(numpy_dtypes(), npst.array_shapes(min_dims=0, max_dims=3, max_side=3)))
def test_an_array_of_any_dtype_comes_back_bit_for_bit(array: np.ndarray) -> None:
    chosen = format_for_value(array)
    assert chosen.name == "npy"
    back = read(chosen.name, write(chosen.name, array))
    assert type(back) is np.ndarray
    assert back.dtype == array.dtype
    assert back.shape == array.shape
    assert back.tobytes() == array.tobytes()


class Celsius(np.ndarray):
    """An ndarray subclass: npy would give back a plain ndarray."""


def test_arrays_npy_cannot_hold_go_to_pickle_and_are_refused_by_npy() -> None:
    objects = np.empty(2, dtype=object)
    objects[0], objects[1] = [1], {"a": 2}
    masked = np.ma.masked_array([1, 2], mask=[True, False])
    for value in (objects, masked, np.arange(3.0).view(Celsius)):
        with pytest.raises(StorageError, match="npy format cannot hold"):
            write("npy", value)
        assert format_for_value(value).name == "pickle"
        back = read("pickle", write("pickle", value))
        assert type(back) is type(value)


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=4)
    | st.sampled_from([np.float64(0.5), np.int64(3), np.bool_(True), np.float32(1.5)]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), inner, max_size=3)
    ),
    max_leaves=12,
)


@PROPERTY
@given(json_like)
def test_a_json_like_value_comes_back_the_same_or_is_refused(value: Any) -> None:
    if get_format("json").accepts(value):
        assert same_plain(value, read("json", write("json", value))), value
    else:
        with pytest.raises(StorageError, match="json format cannot hold"):
            write("json", value)
    chosen = format_for_value(value)
    assert chosen.name in ("json", "pickle")
    assert same_plain(value, read(chosen.name, write(chosen.name, value)))


# -- named cases: what is refused, and the message that says why -----------------------------


def tags() -> pd.DataFrame:
    return pd.DataFrame({"title": ["a", "b"], "tags": [["python", "ai"], ["go"]]})


@pytest.mark.parametrize(
    ("format_name", "value", "message"),
    [
        ("parquet", tags(), r"column `tags` holds list values \(object dtype\), which parquet "
         r"gives back as numpy arrays"),
        ("parquet", pd.DataFrame({"d": [{"a": 1}, {"b": 2}]}), r"column `d` holds dict values"),
        ("parquet", pd.DataFrame({"m": _object_column([1, "a"])}), r"column `m` holds int"),
        ("parquet", pd.DataFrame({"s": _object_column(["a", "b"])}),
         r"column `s` holds str values .*astype\('str'\)"),
        ("parquet", pd.DataFrame({"c": pd.Categorical([1, 2])}),
         r"column `c` is a categorical of int64 categories"),
        ("parquet", pd.DataFrame({"t": pd.to_datetime(["2024-01-01"]).as_unit("s")}),
         r"column `t` \(datetime64\[s\]\) would come back in milliseconds"),
        ("parquet", pd.DataFrame({0: [1], "b": [2]}), r"column names are of type object"),
        ("parquet", pd.Series([1], name=("a", "b")), r"the Series' name \('a', 'b'\)"),
        ("csv", pd.DataFrame({"c": pd.Categorical(["a", "b"])}),
         r"column `c` \(category\) would come back as str"),
        ("csv", pd.DataFrame({"zip": ["00123", "04567"]}),
         r"column `zip` \(str\) would come back as int64"),
        ("csv", pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name="id")),
         r"the index \(named `id`, str\) has no place in a CSV file"),
        ("csv", pd.DataFrame({"a": [1]}, index=pd.date_range("2024-01-01", periods=1)),
         r"the index \(datetime64\[us\]\)"),
        ("csv", pd.DataFrame({"a": pd.Series([], dtype="int64")}), r"the frame has no rows"),
        ("csv", pd.Series([1, 2], name="n"), r"a Series would come back as a DataFrame"),
        ("csv", pd.DataFrame({"t": pd.date_range("2024-01-01", periods=2, tz="UTC")}),
         r"column `t` \(datetime64\[us, UTC\]\) would come back as str"),
        ("json", {"scores": (1, 2)}, r"`scores` is a tuple, which JSON gives back as a list"),
        ("json", {1: "a"}, r"the value has the key 1 \(int\), which JSON gives back as a string"),
        ("json", [np.int64(1)], r"`\[0\]` is a numpy.int64, which JSON gives back as int"),
    ],
)  # fmt: skip
def test_a_value_a_format_cannot_hold_is_refused_naming_what_and_why(
    format_name: str, value: Any, message: str
) -> None:
    with pytest.raises(StorageError, match=message) as raised:
        write(format_name, value)
    assert f"the {format_name} format cannot hold" in str(raised.value)
    # And without a target, pipeflow picks a format that holds it.
    chosen = format_for_value(value)
    back = read(chosen.name, write(chosen.name, value))
    if isinstance(value, (pd.DataFrame, pd.Series)):
        assert_same(value, back)
    else:
        assert same_plain(value, back)


def test_the_frames_of_the_brief_go_to_parquet_and_come_back_whole() -> None:
    frame = pd.DataFrame(
        {
            "rating": pd.Categorical(
                ["low", "high"], categories=["low", "mid", "high"], ordered=True
            ),
            "at": pd.date_range("2024-03-31 01:00", periods=2, freq="h", tz="Europe/Paris"),
            "took": pd.to_timedelta([1.5, 2], unit="s"),
            "count": pd.array([1, None], dtype="Int64"),
            "ok": pd.array([True, None], dtype="boolean"),
            "name": pd.array(["a", None], dtype="string[pyarrow]"),
            "label": ["x", None],
            "blob": _objects([b"\x00", None]),
            "day": _objects([datetime.date(2024, 1, 1), None]),
        },
        index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["group", "n"]),
    )
    frame.columns.name = "fields"
    frame.attrs["source"] = "api"
    assert format_for_value(frame).name == "parquet"
    assert_same(frame, read("parquet", write("parquet", frame)))
    days = pd.date_range("2024-01-01", periods=3, freq="B")
    hourly = pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=days)
    assert format_for_value(hourly).name == "parquet"
    assert read("parquet", write("parquet", hourly)).index.freq == hourly.index.freq
    empty = pd.DataFrame()
    assert_same(empty, read("parquet", write("parquet", empty)))
    decimals = pd.DataFrame({"d": [decimal.Decimal("1.10")]})
    # Parquet stores decimals at one scale per column: 1.1 next to 1.25 would come back 1.10.
    assert format_for_value(decimals).name == "pickle"


def test_numeric_frames_are_judged_by_their_dtypes_alone() -> None:
    """The check of a 1,000,000 x 10 float frame looks at 10 dtypes, not 10 million cells."""
    import time

    frame = pd.DataFrame(np.zeros((1_000_000, 10)), columns=[f"c{i}" for i in range(10)])
    started = time.perf_counter()
    for _ in range(100):
        assert get_format("parquet").accepts(frame)
    per_check = (time.perf_counter() - started) / 100
    assert per_check < 0.01, f"{per_check * 1000:.1f} ms per check"
