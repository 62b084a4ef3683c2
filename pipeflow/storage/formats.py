"""Serialisation formats for stored results: which values each one holds, how to write and read it.

pandas, numpy, pyarrow and joblib are imported inside the functions that need them, so importing
this module stays cheap. Deciding whether a value is a DataFrame or an ndarray looks the library up
in `sys.modules` instead of importing it: a value of a library's type cannot exist unless that
library has been imported already.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import pickle
import posixpath
import sys
from collections.abc import Iterable
from typing import Any, BinaryIO, Protocol, runtime_checkable

from pipeflow.errors import StorageError, did_you_mean


@runtime_checkable
class Format(Protocol):
    """One way of turning a value into bytes and back."""

    name: str
    extension: str  # without the dot
    executes_code: bool  # reading it may run code (pickle, joblib): load only verified bytes

    def accepts(self, value: Any) -> bool:
        """Whether this format can hold `value` faithfully."""
        ...

    def write(self, value: Any, file: BinaryIO) -> None:
        """Serialise `value` into `file`; StorageError when the value does not fit."""
        ...

    def read(self, file: BinaryIO) -> Any:
        """Deserialise one value from `file`."""
        ...


def unsuitable_value_error(format: Format, value: Any) -> StorageError:
    """The error for a value `format` cannot hold, naming the formats that would fit."""
    fitting = sorted(
        (candidate for candidate in _FORMATS.values() if candidate.accepts(value)),
        # Safe formats first: SPEC section 10 prefers them wherever one fits.
        key=lambda candidate: candidate.executes_code,
    )
    names = ", ".join(candidate.name for candidate in fitting if candidate is not format)
    hint = f"; formats that fit: {names}" if names else ""
    return StorageError(
        f"the {format.name} format cannot hold a value of type {type_name(value)}{hint}. "
        "Change the target's extension or set `format:` on the step's `result`."
    )


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


def _require(package: str, *, action: str, install: str) -> None:
    """StorageError saying what to install when an optional dependency is missing."""
    if importlib.util.find_spec(package) is None:
        raise StorageError(f"{action} needs {package}: pip install {install}")


def _is_pandas(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series))


def _is_plain_array(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    # Object arrays hold Python objects, which .npy can only store by pickling them.
    return numpy is not None and isinstance(value, numpy.ndarray) and not value.dtype.hasobject


def _numpy_scalar(value: Any) -> Any:
    """The Python number for a numpy bool, integer or finite float scalar; else TypeError."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic) and value.dtype.kind in "biuf":
        number = value.item()
        if isinstance(number, float) and not math.isfinite(number):
            raise TypeError(f"{number} has no JSON form")
        return number
    raise TypeError(f"{type_name(value)} has no JSON form")


def _is_json(value: Any, *, exact: bool) -> bool:
    """Whether `value` is made of JSON types only; `exact` also refuses tuples (they read back
    as lists), so a value chosen for JSON without a target comes back exactly as it went in."""
    try:
        return _check_json(value, exact=exact)
    except RecursionError:
        return False  # a self-referencing list or dict; pickle can hold it


def _check_json(value: Any, *, exact: bool) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        # NaN and infinity are not JSON; other tools reading the file would reject it.
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and _check_json(item, exact=exact) for key, item in value.items()
        )
    if isinstance(value, list) or (isinstance(value, tuple) and not exact):
        return all(_check_json(item, exact=exact) for item in value)
    try:
        _numpy_scalar(value)
    except TypeError:
        return False
    return True


class _Builtin:
    """Shared behaviour of the built-in formats: refuse a value before writing a byte of it."""

    name = ""
    extension = ""
    executes_code = False

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def write(self, value: Any, file: BinaryIO) -> None:
        raise NotImplementedError

    def read(self, file: BinaryIO) -> Any:
        raise NotImplementedError

    def _check(self, value: Any) -> None:
        if not self.accepts(value):
            raise unsuitable_value_error(self, value)

    def _failed(self, value: Any, error: Exception) -> StorageError:
        return StorageError(
            f"the {self.name} format could not hold this {type_name(value)}: {error}. "
            "Set another `format:` on the step's `result` (pickle holds any importable object)."
        )


class _Parquet(_Builtin):
    name = "parquet"
    extension = "parquet"

    def accepts(self, value: Any) -> bool:
        return _is_pandas(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        self._check(value)
        _require("pyarrow", action="writing parquet", install="'pipeflow-runner[parquet]'")
        import pandas

        frame = value.to_frame() if isinstance(value, pandas.Series) else value
        try:
            # The index is stored too (as pandas metadata), so it comes back as it went in.
            frame.to_parquet(file, engine="pyarrow")
        except (ValueError, TypeError, NotImplementedError) as error:
            # pyarrow's ArrowInvalid and friends derive from these: a column it cannot type.
            raise self._failed(value, error) from error

    def write_path(self, value: Any, path: str) -> None:
        """The same as `write`, to a local file by path: pyarrow's native writer is faster."""
        self._check(value)
        _require("pyarrow", action="writing parquet", install="'pipeflow-runner[parquet]'")
        import pandas

        frame = value.to_frame() if isinstance(value, pandas.Series) else value
        try:
            frame.to_parquet(path, engine="pyarrow")
        except (ValueError, TypeError, NotImplementedError) as error:
            raise self._failed(value, error) from error

    def read(self, file: BinaryIO) -> Any:
        _require("pandas", action="reading parquet", install="'pipeflow-runner[parquet]'")
        _require("pyarrow", action="reading parquet", install="'pipeflow-runner[parquet]'")
        import pandas

        return pandas.read_parquet(file, engine="pyarrow")


class _Csv(_Builtin):
    name = "csv"
    extension = "csv"

    def accepts(self, value: Any) -> bool:
        return _is_pandas(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        self._check(value)
        import pandas

        frame = value.to_frame() if isinstance(value, pandas.Series) else value
        index = frame.index
        # A default 0..n-1 index carries no information; anything else is data worth keeping.
        meaningful = not (
            isinstance(index, pandas.RangeIndex)
            and index.start == 0
            and index.step == 1
            and index.name is None
        )
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        try:
            frame.to_csv(text, index=meaningful)
            text.flush()
        finally:
            # Detach so that the wrapper, when collected, does not close the caller's file.
            text.detach()

    def read(self, file: BinaryIO) -> Any:
        _require("pandas", action="reading csv", install="pandas")
        import pandas

        return pandas.read_csv(file, encoding="utf-8")


class _Json(_Builtin):
    name = "json"
    extension = "json"

    def accepts(self, value: Any) -> bool:
        return _is_json(value, exact=False)

    def write(self, value: Any, file: BinaryIO) -> None:
        self._check(value)
        text = json.dumps(
            value, default=_numpy_scalar, allow_nan=False, ensure_ascii=False, indent=2
        )
        file.write(text.encode("utf-8") + b"\n")

    def read(self, file: BinaryIO) -> Any:
        return json.loads(file.read())


class _Pickle(_Builtin):
    name = "pickle"
    extension = "pkl"
    executes_code = True

    def accepts(self, value: Any) -> bool:
        return True  # whether it really pickles is only known by trying

    def write(self, value: Any, file: BinaryIO) -> None:
        try:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise self._failed(value, error) from error

    def read(self, file: BinaryIO) -> Any:
        return pickle.load(file)


class _Joblib(_Builtin):
    name = "joblib"
    extension = "joblib"
    executes_code = True

    def accepts(self, value: Any) -> bool:
        return True

    def write(self, value: Any, file: BinaryIO) -> None:
        _require("joblib", action="writing joblib", install="joblib")
        import joblib

        try:
            joblib.dump(value, file)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise self._failed(value, error) from error

    def read(self, file: BinaryIO) -> Any:
        _require("joblib", action="reading joblib", install="joblib")
        import joblib

        return joblib.load(file)


class _Npy(_Builtin):
    name = "npy"
    extension = "npy"

    def accepts(self, value: Any) -> bool:
        return _is_plain_array(value)

    def write(self, value: Any, file: BinaryIO) -> None:
        self._check(value)
        import numpy

        numpy.save(file, value, allow_pickle=False)

    def read(self, file: BinaryIO) -> Any:
        _require("numpy", action="reading npy", install="numpy")
        import numpy

        return numpy.load(file, allow_pickle=False)


class _Text(_Builtin):
    name = "txt"
    extension = "txt"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

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

    pandas objects go to parquet, plain numpy arrays to npy, JSON values to json, anything else
    to pickle (SPEC sections 2 and 10).
    """
    if _is_pandas(value):
        return _FORMATS["parquet"]
    if _is_plain_array(value):
        return _FORMATS["npy"]
    if _is_json(value, exact=True):
        return _FORMATS["json"]
    return _FORMATS["pickle"]


def suggestion(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean `parquet`?)', or '' when nothing is close."""
    hint = did_you_mean(word, candidates)
    return f" ({hint})" if hint else ""
