"""`@record`: a dataclass whose methods cost little to create, for the records made at import.

`dataclasses.dataclass` compiles every method it adds (`__init__`, `__repr__`, `__eq__`,
`__hash__` and, frozen, `__setattr__` and `__delattr__`) from source with `exec`: about 0.5 to
1 ms per class here, and a run imports some sixty of them (issue 13, start-up). `@record` gives
the same class: `dataclasses.dataclass` still collects the fields (so `fields`, `replace`,
`asdict`, `is_dataclass` and `__match_args__` work as before), and then

- `__repr__`, `__eq__`, `__hash__`, `__setattr__` and `__delattr__` are closures over the
  class's field names (no compilation), behaving as the generated ones do: equality only
  between instances of the same class, comparing the `compare` fields as a tuple; the hash of
  the `hash` (else `compare`) fields' tuple when frozen and comparable, none when mutable and
  comparable; assigning or deleting a field of a frozen one raises `FrozenInstanceError`;
- `__init__` is compiled as dataclass compiles it (positional or keyword arguments, defaults,
  `default_factory`, `init=False` fields, `__post_init__`), on the class's first instance
  rather than at import, and replaces itself on the class: records a run never makes cost
  nothing. Pickles need no `__init__` (their state is restored into `__dict__`). Until then
  `inspect.signature` of the class shows `(*args, **kwargs)`; type checkers see the fields
  (`dataclass_transform`). A frozen record's `__init__` puts its fields in the instance's
  `__dict__` itself, where dataclass calls `object.__setattr__` for each (three times the
  time: records are made for every step), unless a base class has a property or slot of a
  field's name: then it sets the fields as dataclass does.

A method the class body defines itself is kept, as dataclass keeps it. Not supported (a
`TypeError` at class creation): `kw_only`, `InitVar`, `slots`, `order`. Inheritance works
between records; `__dataclass_params__` says what `dataclasses.dataclass` itself added (the
fields only), so a record and a plain dataclass do not inherit from one another.
"""

from __future__ import annotations

import dataclasses
import sys
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
elif sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # Python 3.10: the decorator is only for type checkers

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda decorator: decorator


T = TypeVar("T")


class _Factory:
    """The default of an argument whose field has a `default_factory`."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, frozen: bool = True, eq: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = True, eq: bool = True
) -> type[T] | Callable[[type[T]], type[T]]:
    """`@dataclass(frozen=True)`, or `@record(frozen=False)`, `@record(eq=False)`, for less."""

    def wrap(cls: type[T]) -> type[T]:
        return _process(cls, frozen=frozen, eq=eq)

    return wrap if cls is None else wrap(cls)


def _process(cls: type[T], *, frozen: bool, eq: bool) -> type[T]:
    own = cls.__dict__
    for name, annotation in own.get("__annotations__", {}).items():
        if "InitVar" in str(annotation):
            raise TypeError(f"@record does not support InitVar ({cls.__qualname__}.{name})")
    documented = bool(own.get("__doc__"))
    if not documented:
        cls.__doc__ = cls.__name__  # skips dataclass's inspect.signature; set again below
    dataclasses.dataclass(cls, init=False, repr=False, eq=False, frozen=False)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(field.kw_only for field in fields):
        raise TypeError(f"@record does not support kw_only fields ({cls.__qualname__})")
    if not documented:
        cls.__doc__ = f"{cls.__name__}({', '.join(field.name for field in fields)})"

    if "__init__" not in own:
        _check_order(cls, fields)
        _set(cls, "__init__", _lazy_init(cls, frozen=frozen))
    if "__repr__" not in own:
        _set(cls, "__repr__", _repr(cls, tuple(f.name for f in fields if f.repr)))
    if eq:
        if "__eq__" not in own:
            _set(cls, "__eq__", _eq(_values(tuple(f.name for f in fields if f.compare))))
        explicit = own.get("__hash__", dataclasses.MISSING)
        if explicit is dataclasses.MISSING or (explicit is None and "__eq__" in own):
            hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
            _set(cls, "__hash__", _hash(_values(hashed)) if frozen else None)
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in own:
                raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
        names = frozenset(field.name for field in fields)
        _set(cls, "__setattr__", _frozen_setattr(cls, names))
        _set(cls, "__delattr__", _frozen_delattr(cls, names))
    return cls


def _set(cls: type[Any], name: str, value: Any) -> None:
    if callable(value):
        value.__qualname__ = f"{cls.__qualname__}.{name}"
    type.__setattr__(cls, name, value)


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The named attributes of an object as a tuple (always a tuple, as dataclass compares)."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda instance: (one(instance),)
    return attrgetter(*names)


def _eq(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _repr(cls: type[Any], names: tuple[str, ...]) -> Callable[[Any], str]:
    showing: set[tuple[int, int]] = set()  # (instance, thread): a record that holds itself

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in showing:
            return "..."
        showing.add(key)
        try:
            shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        finally:
            showing.discard(key)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _frozen_setattr(cls: type[Any], names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(cls: type[Any], names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


def _lazy_init(cls: type[Any], *, frozen: bool) -> Callable[..., None]:
    """An `__init__` that compiles the real one on first call and puts it in its place."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        real = _compile_init(cls, frozen=frozen)
        if cls.__dict__.get("__init__") is __init__:
            _set(cls, "__init__", real)
        real(self, *args, **kwargs)

    return __init__


def _check_order(cls: type[Any], fields: tuple[dataclasses.Field[Any], ...]) -> None:
    """dataclass's own check, which it makes only when it writes `__init__`."""
    defaulted = False
    for field in fields:
        if not field.init:
            continue
        if field.default is not dataclasses.MISSING or (
            field.default_factory is not dataclasses.MISSING
        ):
            defaulted = True
        elif defaulted:
            raise TypeError(f"non-default argument {field.name!r} follows default argument")


def _compile_init(cls: type[Any], *, frozen: bool) -> Callable[..., None]:
    """The `__init__` dataclass would write for `cls` (its `_init_fn`; the annotations are set
    on the function afterwards instead of being compiled into it)."""
    names: dict[str, Any] = {"__object_setattr__": object.__setattr__, "__FACTORY__": _FACTORY}
    arguments: list[str] = []
    body: list[str] = []
    fields = dataclasses.fields(cls)
    # A frozen record's fields go straight into its `__dict__` (a third of the time of
    # `object.__setattr__` per field; records are made for every step), unless the class has
    # no `__dict__` or something of the class stands for the field (a property, a slot).
    direct = (
        frozen and cls.__dictoffset__ != 0 and not any(_descriptor(cls, f.name) for f in fields)
    )
    for field in fields:
        if field.default_factory is not dataclasses.MISSING:
            factory = f"__factory_{field.name}__"
            names[factory] = field.default_factory
            if field.init:
                arguments.append(f"{field.name}=__FACTORY__")
                value = f"{factory}() if {field.name} is __FACTORY__ else {field.name}"
            else:
                value = f"{factory}()"
        elif field.init:
            if field.default is dataclasses.MISSING:
                arguments.append(field.name)
            else:
                names[f"__default_{field.name}__"] = field.default
                arguments.append(f"{field.name}=__default_{field.name}__")
            value = field.name
        else:
            continue  # init=False with a plain default (or none): the class attribute stands
        if direct:
            body.append(f"    __record_dict__[{field.name!r}] = {value}")
        elif frozen:
            body.append(f"    __object_setattr__(__record_self__, {field.name!r}, {value})")
        else:
            body.append(f"    __record_self__.{field.name} = {value}")
    if direct and body:
        body.insert(0, "    __record_dict__ = __record_self__.__dict__")
    if hasattr(cls, "__post_init__"):
        body.append("    __record_self__.__post_init__()")
    signature = ", ".join(["__record_self__", *arguments])
    source = f"def __init__({signature}):\n" + ("\n".join(body) or "    pass")
    # The text is made of field names, as dataclass makes it; named for tracebacks.
    exec(compile(source, f"<record {cls.__qualname__}.__init__>", "exec"), names)
    init: Callable[..., None] = names["__init__"]
    init.__annotations__ = {field.name: field.type for field in fields if field.init}
    init.__annotations__["return"] = None
    return init


def _descriptor(cls: type[Any], name: str) -> bool:
    """Whether setting `name` on an instance of `cls` goes through something of the class (a
    data descriptor: a property with a setter, a slot) rather than into its `__dict__`."""
    for base in cls.__mro__:
        if name in base.__dict__:
            found = base.__dict__[name]
            return hasattr(type(found), "__set__") or hasattr(type(found), "__delete__")
    return False
