"""Tests for pipeflow.storage.formats: round trips, format choice and refusals."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeflow.errors import StorageError
from pipeflow.storage import (
    FORMAT_NAMES,
    Format,
    format_for_extension,
    format_for_value,
    get_format,
)


class Point:
    """A custom object for pickle: defined at module level so pickle can find it again."""

    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self) -> int:
        return hash((self.x, self.y))


class TinyModel:
    """Shaped like a fitted scikit-learn estimator: parameters plus learned arrays."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.coef_ = np.arange(6, dtype=np.float64).reshape(2, 3)


def round_trip(format_name: str, value: Any) -> Any:
    format = get_format(format_name)
    buffer = io.BytesIO()
    format.write(value, buffer)
    buffer.seek(0)
    return format.read(buffer)


def test_parquet_keeps_a_named_index() -> None:
    frame = pd.DataFrame(
        {"length": [1.5, 2.5, 3.5], "species": ["a", "b", "c"]},
        index=pd.Index([10, 20, 30], name="sample"),
    )
    pd.testing.assert_frame_equal(round_trip("parquet", frame), frame)


@pytest.mark.parametrize("name", ["count", None, 3])
def test_parquet_gives_a_series_back_as_a_series_with_its_name(name: str | int | None) -> None:
    series = pd.Series([1, 2, 3], name=name, index=pd.Index(["a", "b", "c"], name="key"))
    result = round_trip("parquet", series)
    pd.testing.assert_series_equal(result, series)
    assert result.name == name


def test_csv_leaves_out_a_default_index() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    buffer = io.BytesIO()
    get_format("csv").write(frame, buffer)
    assert buffer.getvalue().decode("utf-8").splitlines()[0] == "a,b"
    pd.testing.assert_frame_equal(round_trip("csv", frame), frame)


def test_csv_refuses_a_meaningful_index_it_would_give_back_as_a_column() -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["p", "q"], name="name"))
    with pytest.raises(StorageError, match=r"the index \(named `name`, str\).*reset_index"):
        round_trip("csv", frame)
    pd.testing.assert_frame_equal(round_trip("csv", frame.reset_index()), frame.reset_index())


def test_json_round_trips_nested_values() -> None:
    value: dict[str, Any] = {
        "classes": ["setosa", "virginica"],
        "scores": {"f1": 0.9, "n": 3},
        "ok": True,
        "none": None,
    }
    assert round_trip("json", value) == value


def test_json_refuses_numpy_scalars_it_would_give_back_as_python_numbers() -> None:
    value = {"scores": {"accuracy": np.float64(0.5)}, "count": 7}
    with pytest.raises(
        StorageError,
        match=r"`scores.accuracy` is a numpy.float64, which JSON gives back as float",
    ):
        round_trip("json", value)
    assert format_for_value(value).name == "pickle"
    plain = {"scores": {"accuracy": 0.5}, "count": 7}
    assert round_trip("json", plain) == plain


def test_pickle_round_trips_a_custom_object() -> None:
    value = {"point": Point(1, 2), "points": {Point(3, 4)}}
    assert round_trip("pickle", value) == value


def test_joblib_round_trips_a_model_like_object() -> None:
    result = round_trip("joblib", TinyModel(depth=3))
    assert isinstance(result, TinyModel)
    assert result.depth == 3
    np.testing.assert_array_equal(result.coef_, TinyModel(depth=3).coef_)


def test_npy_round_trips_an_array() -> None:
    array = np.linspace(0, 1, 12).reshape(3, 4)
    result = round_trip("npy", array)
    np.testing.assert_array_equal(result, array)
    assert result.dtype == array.dtype


def test_txt_round_trips_unicode() -> None:
    assert round_trip("txt", "déjà vu\nline two\n") == "déjà vu\nline two\n"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("out/x.parquet", "parquet"),
        ("x.pq", "parquet"),
        ("x.CSV", "csv"),
        ("x.json", "json"),
        ("x.pkl", "pickle"),
        ("x.pickle", "pickle"),
        ("models/model.joblib", "joblib"),
        ("x.npy", "npy"),
        ("notes.txt", "txt"),
    ],
)
def test_format_for_extension(path: str, name: str) -> None:
    format = format_for_extension(path)
    assert format is not None
    assert format.name == name


@pytest.mark.parametrize("path", ["x.jsonl", "x", "archive.tar.gz", "folder.json/x"])
def test_format_for_extension_unknown(path: str) -> None:
    assert format_for_extension(path) is None


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (pd.DataFrame({"a": [1]}), "parquet"),
        (pd.Series([1.0]), "parquet"),
        (np.zeros(3), "npy"),
        (np.array(["a", None], dtype=object), "pickle"),
        ({"a": [1, 2.5, None, True]}, "json"),
        ("text", "json"),
        (3, "json"),
        (np.float64(0.25), "pickle"),  # JSON would give it back as a float
        ((1, 2), "pickle"),  # JSON would give it back as a list
        ({1: "a"}, "pickle"),  # JSON would give the key back as a string
        (float("nan"), "pickle"),
        (Point(1, 2), "pickle"),
    ],
)
def test_format_for_value(value: Any, name: str) -> None:
    assert format_for_value(value).name == name


def test_every_format_is_a_format_and_only_pickle_and_joblib_execute_code() -> None:
    assert FORMAT_NAMES == ("parquet", "csv", "json", "pickle", "joblib", "npy", "txt")
    for name in FORMAT_NAMES:
        format = get_format(name)
        assert isinstance(format, Format)
        assert format.name == name
        assert format.executes_code == (name in ("pickle", "joblib"))


def test_unknown_format_suggests_a_name() -> None:
    with pytest.raises(ValueError, match=r"unknown format 'parket' \(did you mean `parquet`\?\)"):
        get_format("parket")


def test_a_dict_written_as_parquet_is_refused_clearly() -> None:
    with pytest.raises(
        StorageError, match=r"parquet format cannot hold a value of type dict"
    ) as info:
        get_format("parquet").write({"a": 1}, io.BytesIO())
    assert "json, pickle, joblib" in str(info.value)


def test_a_model_written_as_json_is_refused_clearly() -> None:
    with pytest.raises(
        StorageError, match=r"json format cannot hold .*TinyModel; formats that fit"
    ):
        get_format("json").write(TinyModel(depth=1), io.BytesIO())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("npy", np.array([Point(1, 2)], dtype=object)),
        ("txt", b"bytes"),
        ("csv", [1, 2]),
        ("json", {"nan": float("nan")}),
    ],
)
def test_values_a_format_cannot_hold_are_refused(name: str, value: Any) -> None:
    with pytest.raises(StorageError, match=f"the {name} format cannot hold"):
        get_format(name).write(value, io.BytesIO())


def test_an_unpicklable_value_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match=r"pickle format could not hold"):
        get_format("pickle").write(lambda: None, io.BytesIO())


def test_importing_storage_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, pipeflow.storage; "
        "heavy = [name for name in ('pandas', 'numpy', 'pyarrow', 'joblib', 'fsspec') "
        "if name in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


SAFE = tuple(name for name in FORMAT_NAMES if not get_format(name).executes_code)

# Values of every shape a step commonly returns, the tricky ones included.
SAMPLES: list[Any] = [
    None,
    True,
    0,
    2**80,
    -1.5,
    "",
    "text ü",
    [],
    {},
    [1, "a", None, [2, {"b": False}]],
    {"nested": {"deeper": {"list": [1.5, None]}}},
    {"accuracy": 0.97, "classes": ["setosa", "versicolor"]},
    np.arange(6).reshape(2, 3),
    np.array([True, False]),
    np.zeros(0),
    np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
    pd.DataFrame({"t": pd.to_datetime(["2024-01-01"]).tz_localize("Europe/Berlin")}),
    pd.DataFrame({"c": pd.Categorical(["a", "b", "a"])}, index=[3, 4, 5]),
    pd.Series([1.0, 2.0], name="s"),
]


def _same(one: Any, other: Any) -> bool:
    if isinstance(one, pd.DataFrame) or isinstance(other, pd.DataFrame):
        if not isinstance(one, pd.DataFrame) or not isinstance(other, pd.DataFrame):
            return False
        try:
            pd.testing.assert_frame_equal(one, other)
        except AssertionError:
            return False
        return True
    if isinstance(one, np.ndarray) or isinstance(other, np.ndarray):
        return (
            isinstance(one, np.ndarray)
            and isinstance(other, np.ndarray)
            and one.dtype == other.dtype
            and np.array_equal(one, other)
        )
    return type(one) is type(other) and one == other


def _faithful_safe_formats(value: Any) -> list[str]:
    """The safe formats that give `value` back exactly, type included."""
    found = []
    for name in SAFE:
        if not get_format(name).accepts(value):
            continue
        try:
            if _same(round_trip(name, value), value):
                found.append(name)
        except Exception:
            continue
    return found


@pytest.mark.parametrize("value", SAMPLES, ids=lambda value: type(value).__name__)
def test_a_value_a_safe_format_holds_is_never_pickled(value: Any) -> None:
    """SPEC section 10: values are persisted in formats that cannot execute code wherever one
    fits. Whenever a safe format gives a value back exactly, the default choice is safe."""
    chosen = format_for_value(value)
    if _faithful_safe_formats(value):
        assert not chosen.executes_code, f"{value!r} went to {chosen.name}"


def test_the_samples_above_exercise_the_rule() -> None:
    """All but the Series (parquet gives back a frame) have a safe format that holds them."""
    held = [value for value in SAMPLES if _faithful_safe_formats(value)]
    assert len(held) == len(SAMPLES) - 1


JSON_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**80,
    1.5,
    -0.0,
    1e-300,
    1e300,
    "",
    "déjà vu ✓ 𝄞",
    'quote " backslash \\ tab \t nul \x00 \u2028',
    [],
    {},
    [1, "a", None, [2, {"b": False}]],
    {"nested": {"deeper": {"list": [1.5, None]}}, "é": []},
]


@pytest.mark.parametrize("value", JSON_VALUES, ids=repr)
def test_json_payloads_are_the_bytes_they_always_were(value: Any) -> None:
    """A payload's checksum is what the keys of the steps after it see of it (SPEC 5, the
    cache key), so a json payload is written as it always was (indented by 2, a newline
    after), scalars written without json's Python encoder included: a step that runs again
    after an upgrade and gives the same value keeps the steps after it cached."""
    buffer = io.BytesIO()
    get_format("json").write(value, buffer)
    expected = json.dumps(value, allow_nan=False, ensure_ascii=False, indent=2) + "\n"
    assert buffer.getvalue() == expected.encode("utf-8")
    assert round_trip("json", value) == value


@pytest.mark.parametrize("value", [*JSON_VALUES, float("nan"), float("inf"), np.float64(1)])
def test_a_scalar_gets_the_format_the_safe_formats_are_asked_for(value: Any) -> None:
    asked = next(
        (name for name in ("parquet", "npy", "json") if get_format(name).accepts(value)),
        "pickle",
    )
    assert format_for_value(value).name == asked


def test_json_refuses_a_float_it_cannot_hold_however_it_is_written() -> None:
    for value in (float("nan"), float("inf"), [float("-inf")]):
        with pytest.raises(StorageError, match="JSON cannot hold"):
            get_format("json").write(value, io.BytesIO())
