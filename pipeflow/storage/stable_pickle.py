"""Pickles that are the same bytes for equal values in every process.

A set is pickled in its iteration order, which for text follows the process's hash seed
(`PYTHONHASHSEED`, random by default): the same set of names gave other bytes in each run,
so another checksum and another data version, and the steps after a step returning it ran
again for nothing (always, for a result that is not stored). Here a set or frozenset inside
plain data (dicts, lists, tuples, at any depth `nesting` walks) is pickled with its elements
in a fixed order, and unpickles as the same set.

Cheap where there is no set: the pickle is made as usual while its bytes are looked at for a
set's opcodes; only when they appear (or a byte that looks like one, in binary data) is the
value walked for a set, and pickled again ordered if it holds one. A set inside an object of
another class (a dataclass field) keeps its iteration order.
"""

from __future__ import annotations

import pickle
from typing import Any, BinaryIO

from pipeflow.model.nesting import DEEPEST

_SET_OPCODES = (pickle.EMPTY_SET, pickle.FROZENSET)  # how protocols 4 and 5 start a set


class Scanner:
    """A file that passes bytes on and notes whether a set's opcode may be among them."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.seen = False

    def write(self, data: Any) -> int:
        if not self.seen:  # another kind of buffer (a large array's): as if it may be
            found = type(data) is not bytes or any(code in data for code in _SET_OPCODES)
            self.seen = found
        written: int = self.file.write(data)
        return written

    def flush(self) -> None:
        flush = getattr(self.file, "flush", None)
        if flush is not None:
            flush()


def dump(value: Any, file: BinaryIO, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
    """`pickle.dump`, with the sets in plain data in a fixed order (see the module). A file
    that cannot go back (a stream being hashed) gets a value walked for sets first."""
    if not _seekable(file):
        pickle.dump(ordered(value) if holds_set(value) else value, file, protocol=protocol)
        return
    start = file.tell()
    scanner = Scanner(file)
    pickle.dump(value, scanner, protocol=protocol)
    if scanner.seen and holds_set(value):
        file.seek(start)
        file.truncate()
        pickle.dump(ordered(value), file, protocol=protocol)


def _seekable(file: Any) -> bool:
    seekable = getattr(file, "seekable", None)
    try:
        return bool(seekable()) if seekable is not None else False
    except (OSError, ValueError):
        return False


def holds_set(value: Any, depth: int = 0) -> bool:
    """Whether plain data holds a set or frozenset, `DEEPEST` levels deep at most."""
    kind = type(value)
    if kind is set or kind is frozenset:
        return True
    if depth >= DEEPEST:
        return False
    if kind is dict:
        return any(holds_set(k, depth + 1) or holds_set(v, depth + 1) for k, v in value.items())
    if kind is list or kind is tuple:
        return any(holds_set(item, depth + 1) for item in value)
    return False


class _OrderedSet(set):  # type: ignore[type-arg]
    """Pickles as a plain set, its elements in the order given."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self._items = items

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (set, (self._items,))


class _OrderedFrozenSet(frozenset):  # type: ignore[type-arg]
    """Pickles as a plain frozenset, its elements in the order given (and hashes as one, so
    it may be an element of a set)."""

    _items: list[Any]

    def __new__(cls, items: list[Any]) -> _OrderedFrozenSet:
        made = super().__new__(cls, items)
        made._items = items
        return made

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (frozenset, (self._items,))


def ordered(value: Any, depth: int = 0, seen: dict[int, Any] | None = None) -> Any:
    """A copy of plain data whose sets pickle in a fixed order; shared parts stay shared."""
    seen = {} if seen is None else seen
    kind = type(value)
    if kind not in (set, frozenset, dict, list, tuple) or depth >= DEEPEST:
        return value
    known = seen.get(id(value))
    if known is not None:
        return known
    made: Any
    if kind is set or kind is frozenset:
        items = _sorted([ordered(item, depth + 1, seen) for item in value])
        made = _OrderedSet(items) if kind is set else _OrderedFrozenSet(items)
    elif kind is dict:
        made = {ordered(k, depth + 1, seen): ordered(v, depth + 1, seen) for k, v in value.items()}
    elif kind is list:
        made = [ordered(item, depth + 1, seen) for item in value]
    else:
        made = tuple(ordered(item, depth + 1, seen) for item in value)
    seen[id(value)] = made
    return made


def _sorted(items: list[Any]) -> list[Any]:
    """Elements in a fixed order: text, bytes or ints as they compare; others (of mixed kinds,
    or frozensets, whose `<` is a subset test) by their pickles, ordered themselves."""
    kinds = {type(item) for item in items}
    if len(kinds) == 1 and kinds <= {str, bytes, int}:
        return sorted(items)
    return sorted(items, key=lambda item: pickle.dumps(item, protocol=4))
