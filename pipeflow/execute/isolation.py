"""Value isolation: every step gets its own copy of the values it takes (SPEC section 12).

A value passed in memory reaches each consumer exactly as its producer returned it, as if read
from the store: a step that changes its input (`frame["rating"] = ...`, `values.append(...)`,
`array[0] = ...`) changes nothing another step, a `when`, or `Run.output()` sees (each call
of which gives a copy of its own, so the caller's changes stay with it too). A task that
was pickled to a worker process (the processes executor) has private inputs already, copied
there only for each attempt of a step with retries (a failed attempt may have changed them);
for the others (sequential, threads, and dask, whose workers hand the one object in their
memory to every task that takes it) `execute` isolates the inputs just before each call, and
the value a step returns as it returns it (its module may keep the object, a registry or what
an `lru_cache` hands out, and change it later: on `processes` the value has left as it was),
with the cheapest copy that is exact for each type:

1. Immutable values (None, bool, numbers, str, bytes, dates and times, numpy scalars, pandas
   Timestamps, ...) are shared: nothing can change them.
2. pandas DataFrames and Series: a shallow copy. With Copy-on-Write (always on from pandas 3;
   the `mode.copy_on_write` option in pandas 2) the copy shares the data until one side writes,
   so it costs no data; without it, a deep copy. Object columns holding mutable cells (lists,
   dicts) get those cells copied too: pandas copies never copy the Python objects in cells.
3. numpy arrays are copied. A read-only view would be free, but a step that writes to its input
   would then fail here and work under `processes`, where its input is a private copy.
4. dicts, lists, tuples and sets: new containers, their items isolated in turn (at any depth:
   past DEEPEST levels with a stack of its own, not Python's). An object that
   appears twice in a value appears twice in its copy (cycles included), as pickle would do.
5. Anything else: `copy.deepcopy`, else a pickle round trip. A value that allows neither (a lock,
   an open connection or file, a generator) is a handle on something outside the run, not data:
   it is passed as is, the same object to every step (the data around it is still copied).

pandas and numpy are looked up in `sys.modules`, never imported: a value of their types cannot
exist unless they are imported already. So are `decimal` and `fractions`, whose numbers are
immutable too (learnt the first time one is seen: importing them costs a run's start-up).
"""

from __future__ import annotations

import copy
import datetime
import pathlib
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from pipeflow.model.nesting import DEEPEST

__all__ = ["isolated", "isolated_inputs"]

_IMMUTABLE: frozenset[type] = frozenset(
    {
        type(None),
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        range,
        datetime.date,
        datetime.datetime,
        datetime.time,
        datetime.timedelta,
        datetime.timezone,
        uuid.UUID,
        pathlib.PurePosixPath,
        pathlib.PureWindowsPath,
        pathlib.PosixPath,
        pathlib.WindowsPath,
    }
)

# Immutable number types of modules a run does not import itself: module -> the type's name.
_LATE_IMMUTABLE = {"decimal": "Decimal", "_pydecimal": "Decimal", "fractions": "Fraction"}

# What pandas' `infer_dtype` says of an object column whose cells are all immutable.
_IMMUTABLE_CELLS = frozenset(
    {
        "empty",
        "string",
        "bytes",
        "integer",
        "floating",
        "mixed-integer-float",
        "decimal",
        "complex",
        "boolean",
        "datetime64",
        "datetime",
        "date",
        "timedelta64",
        "timedelta",
        "time",
        "period",
        "interval",
    }
)


def isolated_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A step's inputs, each isolated; one object shared by two inputs stays shared."""
    memo: dict[int, Any] = {}
    return {name: _isolated(value, memo) for name, value in inputs.items()}


def isolated(value: Any) -> Any:
    """A copy of `value` that nothing done to it can make differ from `value` (see above)."""
    return _isolated(value, {})


def _isolated(value: Any, memo: dict[int, Any], depth: int = 0) -> Any:
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    key = id(value)
    if key in memo:
        return memo[key]
    if depth >= DEEPEST and kind in _CONTAINERS:
        return _isolated_deep(value, memo)  # deeper than recursion may go: see there
    depth += 1
    if kind is list:
        items = list(value)  # copied in C; then only the items that are not immutable
        memo[key] = items  # before the items: a list may hold itself
        if not _IMMUTABLE.issuperset(map(type, items)):
            for index, item in enumerate(items):
                if type(item) not in _IMMUTABLE:
                    items[index] = _isolated(item, memo, depth)
        return items
    if kind is dict:
        mapping = dict(value)
        memo[key] = mapping
        if not _IMMUTABLE.issuperset(map(type, mapping.values())):
            for name, item in mapping.items():
                if type(item) not in _IMMUTABLE:
                    mapping[name] = _isolated(item, memo, depth)
        return mapping
    if kind in (tuple, frozenset):
        inner = [_isolated(item, memo, depth) for item in value]
        # An immutable container of immutable items is itself immutable: keep it.
        same = all(new is old for new, old in zip(inner, value, strict=True))
        result = value if same else kind(inner)
    elif kind is set:
        result = {_isolated(item, memo, depth) for item in value}
    else:
        result = _library_copy(value, memo)
    memo[key] = result
    return result


_CONTAINERS = frozenset({list, dict, tuple, frozenset, set})


def _isolated_deep(value: Any, memo: dict[int, Any]) -> Any:
    """`_isolated` for the containers of a value nested DEEPEST levels deep and more (a step
    may return a list in a list thousands of levels deep), walked with a stack of its own
    rather than Python's: the same copies, in the same memo. Lists and dicts are made before
    their items are copied (a list may hold itself); tuples, frozensets and sets after."""
    pending: list[tuple[Any, bool]] = [(value, False)]
    while pending:
        node, filled = pending.pop()
        kind = type(node)
        key = id(node)
        if kind in _IMMUTABLE or (key in memo and not filled):
            continue
        if kind not in _CONTAINERS:
            memo[key] = _isolated(node, memo)  # a leaf: a frame, an array, an object
            continue
        items = list(node.values()) if kind is dict else list(node)
        if not filled:
            if kind is list:
                memo[key] = []
            elif kind is dict:
                memo[key] = {}
            pending.append((node, True))
            pending.extend((item, False) for item in reversed(items))
            continue
        copies = [item if type(item) in _IMMUTABLE else memo[id(item)] for item in items]
        if kind is list:
            memo[key].extend(copies)
        elif kind is dict:
            memo[key].update(zip(node.keys(), copies, strict=True))
        elif kind is set:
            memo[key] = set(copies)
        else:  # tuple, frozenset: kept when every item is its own copy, as `_isolated` does
            same = all(new is old for new, old in zip(copies, items, strict=True))
            memo[key] = node if same else kind(copies)
    return value if type(value) in _IMMUTABLE else memo[id(value)]


def _library_copy(value: Any, memo: dict[int, Any]) -> Any:
    """The copy of a pandas or numpy value, or of anything else."""
    if _learnt_immutable(type(value)):
        return value
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if isinstance(value, numpy.ndarray):
            if value.dtype.hasobject:
                return _deep_copy(value, memo)  # copies the objects in the cells as well
            return value.copy(order="K")
        if isinstance(value, numpy.generic) and not isinstance(value, numpy.void):
            return value  # numpy scalars are immutable (a structured `void` may be a view)
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        if isinstance(value, (pandas.DataFrame, pandas.Series)):
            return _pandas_copy(pandas, value, memo)
        if isinstance(value, (pandas.Timestamp, pandas.Timedelta, pandas.Period)):
            return value
        if value is pandas.NaT or value is pandas.NA:
            return value
        if isinstance(value, (pandas.Index, pandas.api.extensions.ExtensionArray)):
            return value.copy()  # an Index's data cannot change, but its `name` can
    return _deep_copy(value, memo)


def _learnt_immutable(kind: type) -> bool:
    """Whether `kind` is one of the immutable types of a module imported only when used
    (`_LATE_IMMUTABLE`); if so it joins `_IMMUTABLE`, so the next value of it is shared at once."""
    global _IMMUTABLE
    module = sys.modules.get(kind.__module__) if kind.__module__ in _LATE_IMMUTABLE else None
    if module is None or getattr(module, _LATE_IMMUTABLE[kind.__module__], None) is not kind:
        return False
    _IMMUTABLE = _IMMUTABLE | {kind}  # a new set: readers in other threads see one or the other
    return True


def _pandas_copy(pandas: Any, value: Any, memo: dict[int, Any]) -> Any:
    copied = value.copy(deep=not _copy_on_write(pandas))
    if isinstance(copied, pandas.Series):
        cells = _mutable_cells(pandas, copied, memo)
        if cells is None:
            return copied
        series = pandas.Series(cells, index=copied.index, name=copied.name, dtype=object)
        series.attrs = copied.attrs
        return series
    for position, dtype in enumerate(copied.dtypes):
        if str(dtype) == "object":
            cells = _mutable_cells(pandas, copied.iloc[:, position], memo)
            if cells is not None:
                copied.isetitem(position, cells)
    return copied


def _mutable_cells(pandas: Any, column: Any, memo: dict[int, Any]) -> Any:
    """The cells of an object column, isolated, if any of them can change; else None."""
    if str(column.dtype) != "object":
        return None
    values = column.to_numpy()
    if pandas.api.types.infer_dtype(values, skipna=True) in _IMMUTABLE_CELLS:
        return None  # one pass in C: the common case of strings, numbers or dates
    numpy = sys.modules["numpy"]
    cells = numpy.empty(len(values), dtype=object)
    for index, cell in enumerate(values):
        cells[index] = _isolated(cell, memo)  # one by one: a list cell must stay one cell
    return cells


def _copy_on_write(pandas: Any) -> bool:
    """Whether a shallow copy of a pandas object is safe to give away (Copy-on-Write is on)."""
    if int(pandas.__version__.split(".")[0]) >= 3:
        return True
    return pandas.options.mode.copy_on_write is True


def _deep_copy(value: Any, memo: dict[int, Any]) -> Any:
    """`copy.deepcopy`, else a pickle round trip, else the value itself (a handle)."""
    trial = dict(memo)  # a failed deepcopy leaves half-made copies in its memo
    try:
        result = copy.deepcopy(value, trial)
    except Exception:
        import pickle  # only for a value deepcopy refuses: not free at start-up

        try:
            return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:
            return value
    # deepcopy keeps what it visited alive (under the memo's own id) so that no id in the
    # memo is reused by a new object; keep that, and the trial memo itself, alive as well.
    memo.setdefault(id(memo), []).append(trial)
    memo.update((key, copied) for key, copied in trial.items() if key != id(memo))
    return result
