"""Serialisation formats for stored results: which values each one holds, how to write and read it.

pandas, numpy, pyarrow and joblib are imported inside the functions that need them, so importing
this module stays cheap. Deciding whether a value is a DataFrame or an ndarray looks the library up
in `sys.modules` instead of importing it: a value of a library's type cannot exist unless that
library has been imported already.
"""

from __future__ import annotations

import importlib.util
import json
import math
import posixpath
import sys
import warnings
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, Protocol, runtime_checkable

from pipeflow.errors import StorageError, did_you_mean
from pipeflow.storage import fidelity, frames
from pipeflow.storage.fidelity import type_name


@runtime_checkable
class Format(Protocol):
    """One way of turning a value into bytes and back."""

    name: str
    extension: str  # without the dot
    executes_code: bool  # reading it may run code (pickle, joblib): load only verified bytes

    def accepts(self, value: Any) -> bool:
        """Whether this format gives `value` back exactly, types included."""
        ...

    def write(self, value: Any, file: BinaryIO) -> None:
        """Serialise `value` into `file`; StorageError when the value does not fit."""
        ...

    def read(self, file: BinaryIO) -> Any:
        """Deserialise one value from `file`."""
        ...


def unsuitable_value_error(format: Format, value: Any, problem: str | None = None) -> StorageError:
    """The error for a value `format` cannot hold exactly, saying why (`problem`, or what the
    format finds) and naming the formats that would fit."""
    fitting = sorted(
        (candidate for candidate in _FORMATS.values() if candidate.accepts(value)),
        # Safe formats first: SPEC section 10 prefers them wherever one fits.
        key=lambda candidate: candidate.executes_code,
    )
    names = ", ".join(candidate.name for candidate in fitting if candidate is not format)
    hint = f"; formats that fit: {names}" if names else ""
    if problem is None and isinstance(format, _Builtin) and format.fits(value):
        problem = format.problem(value)
    if problem is None:
        what = f"a value of type {type_name(value)}"
    else:
        what = f"this {type_name(value)} exactly: {problem}"
    return StorageError(
        f"the {format.name} format cannot hold {what}{hint}. "
        "Change the target's extension or set `format:` on the step's `result`."
    )


def _require(package: str, *, action: str, install: str) -> None:
    """StorageError saying what to install when an optional dependency is missing."""
    if importlib.util.find_spec(package) is None:
        raise StorageError(f"{action} needs {package}: pip install {install}")


def _is_pandas(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series))


class _Builtin:
    """Shared behaviour of the built-in formats: refuse a value before writing a byte of it.

    `fits` is the kind of value the format takes (a DataFrame, a str, ...); `problem` what it
    would change in such a value (fidelity.py), None when it gives the value back exactly."""

    name = ""
    extension = ""
    executes_code = False

    def fits(self, value: Any) -> bool:
        return True

    def problem(self, value: Any) -> str | None:
        return None

    def accepts(self, value: Any) -> bool:
        return self.fits(value) and self.problem(value) is None

    def write(self, value: Any, file: BinaryIO) -> None:
        raise NotImplementedError

    def read(self, file: BinaryIO) -> Any:
        raise NotImplementedError

    def _check(self, value: Any) -> None:
        if not self.accepts(value):
            raise unsuitable_value_error(self, value)

    def _failed(self, value: Any, error: Exception) -> StorageError:
        advice = (
            TOO_DEEP_ADVICE
            if isinstance(error, RecursionError)
            else UNPICKLABLE_ADVICE
            if self.executes_code  # pickle and joblib: no other format holds more
            else "Set another `format:` on the step's `result` (pickle holds any importable "
            "object)."
        )
        return StorageError(
            f"the {self.name} format could not hold this {type_name(value)}: {error}. {advice}"
        )


TOO_DEEP_ADVICE = (
    "It nests too deep for the format's writer (lists or dicts inside each other, some "
    "hundreds of levels). Return flatter data, or set `result: false` on the step to pass it "
    "in memory only (on the sequential and threads executors)."
)

UNPICKLABLE_ADVICE = (
    "Pickle stores data, and classes and functions it can import again by name; not a lambda, "
    "a function defined inside another, a lock or an open file. Return data instead, or define "
    "it at the top level of a module; or set `result: false` on the step to pass it in memory "
    "only (on the sequential and threads executors)."
)


class _Parquet(_Builtin):
    name = "parquet"
    extension = "parquet"

    def fits(self, value: Any) -> bool:
        return _is_pandas(value)

    def problem(self, value: Any) -> str | None:
        return fidelity.parquet_problem(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        self.write_path(value, file)

    def write_path(self, value: Any, path: str | BinaryIO) -> None:
        """The same as `write`, to a local file by path: pyarrow's native writer is faster."""
        self._check(value)
        _require("pyarrow", action="writing parquet", install="'pipeflow-runner[parquet]'")
        try:
            # The index, attrs and a Series' name are stored too, so they come back.
            frames.write_parquet(value, path)
        except (ValueError, TypeError, NotImplementedError) as error:
            # pyarrow's ArrowInvalid and friends derive from these: a column it cannot type.
            raise self._failed(value, error) from error

    def read(self, file: BinaryIO) -> Any:
        _require("pandas", action="reading parquet", install="'pipeflow-runner[parquet]'")
        _require("pyarrow", action="reading parquet", install="'pipeflow-runner[parquet]'")
        return frames.read_parquet(file)


class _Csv(_Builtin):
    name = "csv"
    extension = "csv"

    def fits(self, value: Any) -> bool:
        return _is_pandas(value)

    def problem(self, value: Any) -> str | None:
        # The shape of the frame; its column types are checked as it is written.
        return fidelity.csv_problem(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        self._check(value)
        problem = frames.write_csv(value, file)
        if problem is not None:
            raise unsuitable_value_error(self, value, problem)

    def read(self, file: BinaryIO) -> Any:
        _require("pandas", action="reading csv", install="pandas")
        return frames.read_csv(file)


class _Json(_Builtin):
    name = "json"
    extension = "json"

    def fits(self, value: Any) -> bool:
        numpy = sys.modules.get("numpy")
        plain = (type(None), bool, int, float, str, list, dict, tuple)
        return isinstance(value, plain) or (numpy is not None and isinstance(value, numpy.generic))

    def problem(self, value: Any) -> str | None:
        return fidelity.json_problem(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        file.write(self.to_bytes(value))

    def to_bytes(self, value: Any) -> bytes:
        """What `write` writes: the value indented by 2, as json.dumps writes it."""
        kind = type(value)
        scalar = _SCALARS.get(kind)
        if scalar is None or (kind is float and not math.isfinite(value)):
            self._check(value)  # what a scalar's check says is the line above
        if scalar is not None:
            # Indenting changes nothing in a number, a str, true, false or null: written as
            # json writes them (json's encoder for `indent` is written in Python, and a
            # journaled step's int is the most common payload there is).
            return scalar(value).encode("utf-8") + b"\n"
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, indent=2)
        return text.encode("utf-8") + b"\n"

    def read(self, file: BinaryIO) -> Any:
        return json.loads(file.read())


# How json writes each of these (a float here is finite: `_check` refused the others), which
# `indent` does not change.
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: json.encoder.encode_basestring,  # ensure_ascii=False
    int: int.__repr__,
    float: float.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
}


class _Pickle(_Builtin):
    name = "pickle"
    extension = "pkl"
    executes_code = True

    # `accepts` everything: whether it really pickles is only known by trying.

    def write(self, value: Any, file: BinaryIO) -> None:
        import pickle  # only for a pickled value: not free at start-up

        from pipeflow.storage import stable_pickle

        try:
            stable_pickle.dump(value, file)  # a set's elements in a fixed order
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
            raise self._failed(value, error) from error

    def read(self, file: BinaryIO) -> Any:
        import pickle

        return pickle.load(file)


class _Joblib(_Builtin):
    name = "joblib"
    extension = "joblib"
    executes_code = True

    def write(self, value: Any, file: BinaryIO) -> None:
        _require("joblib", action="writing joblib", install="joblib")
        import pickle

        import joblib

        try:
            joblib.dump(value, file)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
            raise self._failed(value, error) from error

    def read(self, file: BinaryIO) -> Any:
        _require("joblib", action="reading joblib", install="joblib")
        import joblib

        return joblib.load(file)


class _Npy(_Builtin):
    name = "npy"
    extension = "npy"

    def fits(self, value: Any) -> bool:
        numpy = sys.modules.get("numpy")
        return numpy is not None and isinstance(value, numpy.ndarray)

    def problem(self, value: Any) -> str | None:
        return fidelity.npy_problem(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        self._check(value)
        import numpy

        with warnings.catch_warnings():
            # Field names beyond latin-1 need the .npy format 3.0 (numpy 1.17+), said as a warning.
            warnings.filterwarnings("ignore", "Stored array in format 3.0", UserWarning)
            numpy.save(file, value, allow_pickle=False)

    def read(self, file: BinaryIO) -> Any:
        _require("numpy", action="reading npy", install="numpy")
        import numpy

        return numpy.load(file, allow_pickle=False)


class _Text(_Builtin):
    name = "txt"
    extension = "txt"

    def fits(self, value: Any) -> bool:
        return isinstance(value, str)

    def problem(self, value: Any) -> str | None:
        return fidelity.text_problem(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        self._check(value)
        file.write(value.encode("utf-8"))

    def read(self, file: BinaryIO) -> Any:
        return file.read().decode("utf-8")


_FORMATS: dict[str, Format] = {
    format.name: format
    for format in (_Parquet(), _Csv(), _Json(), _Pickle(), _Joblib(), _Npy(), _Text())
}

FORMAT_NAMES: tuple[str, ...] = tuple(_FORMATS)

_EXTENSIONS: dict[str, str] = {
    "parquet": "parquet",
    "pq": "parquet",
    "csv": "csv",
    "json": "json",
    "pkl": "pickle",
    "pickle": "pickle",
    "joblib": "joblib",
    "npy": "npy",
    "txt": "txt",
}


def get_format(name: str) -> Format:
    """The format called `name`; ValueError with a suggestion when there is none."""
    format = _FORMATS.get(name)
    if format is None:
        known = ", ".join(FORMAT_NAMES)
        raise ValueError(f"unknown format {name!r}{suggestion(name, FORMAT_NAMES)}; known: {known}")
    return format


def format_for_extension(path: str) -> Format | None:
    """The format a file name's extension implies (`.pkl` is pickle, `.pq` parquet), or None."""
    extension = posixpath.splitext(path)[1].lstrip(".").lower()
    name = _EXTENSIONS.get(extension)
    return None if name is None else _FORMATS[name]


def format_for_value(value: Any) -> Format:
    """The format for a value stored without a target: the safest one that holds it exactly.

    pandas objects go to parquet, plain numpy arrays to npy, JSON values to json, when they
    give the value back exactly (fidelity.py); anything else goes to pickle (SPEC sections 2,
    10 and 12).
    """
    kind = type(value)
    if kind in _SCALARS and (kind is not float or math.isfinite(value)):
        if kind is not str or fidelity.utf8(value):
            return _FORMATS["json"]  # what the loop below finds for it, without asking three
        return _FORMATS["pickle"]  # a name that is not UTF-8 (`os.listdir`): JSON cannot hold it
    for name in ("parquet", "npy", "json"):
        candidate = _FORMATS[name]
        if candidate.accepts(value):
            return candidate
    return _FORMATS["pickle"]


def suggestion(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean `parquet`?)', or '' when nothing is close."""
    hint = did_you_mean(word, candidates)
    return f" ({hint})" if hint else ""
