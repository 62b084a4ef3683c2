"""`computed_once`: a value worked out on first use and kept in the instance's `__dict__`.

It is `functools.cached_property` without the lock that Python 3.11's takes on every first
use (one lock shared by every instance of the class: a measurable cost for the 100,000 steps
of a big config, each asked for its references once). Two threads asking at once may both
work the value out; that is harmless for a value that depends on the instance alone, which is
the only kind it is for. Like cached_property, it writes to `__dict__` directly, so it works
on a frozen dataclass and takes no part in `==`, `hash` or `repr`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class computed_once(Generic[T]):  # named like the cached_property it stands for
    """Work the value out on first use; later uses read the instance's `__dict__`."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self._compute = compute
        self._name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> computed_once[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | computed_once[T]:
        if instance is None:
            return self
        value = self._compute(instance)
        instance.__dict__[self._name] = value  # found there, before this descriptor, next time
        return value
