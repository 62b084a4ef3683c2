"""`@record` behaves as `@dataclass(frozen=True)` (and `@record(frozen=False)` as `@dataclass`):
each class below is declared twice, once with each decorator, and every behaviour the code
relies on (construction, defaults, equality, hashing, repr, immutability, pickling, copying,
`replace`/`asdict`/`fields`) must agree between the two."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from pipeflow.records import record


def both(*, frozen: bool = True) -> Callable[[type[Any]], tuple[type[Any], type[Any]]]:
    """The class body made twice: (the dataclass, the record), each a name of this module (so
    that they pickle): `NAME_dataclass` and `NAME_record`."""

    def make(body: type[Any]) -> tuple[type[Any], type[Any]]:
        made = []
        for kind, decorate in (("dataclass", dataclass(frozen=frozen)), ("record", record)):
            name = f"{body.__name__}_{kind}"
            namespace = {
                key: value
                for key, value in body.__dict__.items()
                if key not in ("__dict__", "__weakref__")
            }
            namespace["__qualname__"] = name
            cls = type(name, body.__bases__, namespace)
            globals()[name] = cls = (
                decorate(cls) if kind == "dataclass" else record(frozen=frozen)(cls)
            )
            made.append(cls)
        return made[0], made[1]

    return make


@both()
class Plain:
    name: str
    size: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False, repr=False)


@both()
class Hashless:
    name: str
    cache: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@both()
class Later:
    """A field set by __post_init__ (init=False), as Secrets and FanOut do."""

    items: tuple[int, ...]
    total: int = field(init=False)
    seen: list[int] = field(init=False, default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(self.items))


@both()
class Empty:
    pass


@both(frozen=False)
class Mutable:
    name: str
    parts: list[str] = field(default_factory=list)


@both()
class Own:
    """Methods a class writes itself are kept."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Own[0] | Own[1]) and other.name.lower() == self.name.lower()

    def __hash__(self) -> int:
        return hash(self.name.lower())


class _Guarded:
    """A base whose property stands for a field: setting the field must go through it."""

    @property
    def name(self) -> str:
        return str(self.__dict__["_name"])

    @name.setter
    def name(self, value: str) -> None:
        self.__dict__["_name"] = value.upper()


@both()
class Through(_Guarded):
    name: str
    size: int = 0


EXAMPLES: list[tuple[tuple[type[Any], type[Any]], tuple[Any, ...], dict[str, Any]]] = [
    (Plain, ("a",), {}),
    (Plain, ("a", 2), {"tags": ("x", "y"), "note": "n"}),
    (Plain, (), {"name": "a", "size": 3}),
    (Hashless, ("a",), {"cache": {"k": 1}}),
    (Later, ((1, 2, 3),), {}),
    (Empty, (), {}),
    (Mutable, ("m",), {"parts": ["p"]}),
    (Own, ("Aa",), {}),
    (Through, ("a",), {"size": 1}),
]
IDS = [f"{pair[0].__name__}-{index}" for index, (pair, _, _) in enumerate(EXAMPLES)]


def describe(value: Any) -> dict[str, Any]:
    """Everything observable about an instance, to compare a dataclass's with a record's."""
    cls = type(value)
    try:
        hashed: Any = hash(value) == hash(copy.copy(value))
    except TypeError as error:
        hashed = f"TypeError: {error}".replace(cls.__name__, "NAME")
    return {
        "repr": repr(value).replace(cls.__qualname__, "NAME"),
        "fields": [(f.name, f.init, f.repr, f.compare, f.hash) for f in dataclasses.fields(value)],
        "asdict": dataclasses.asdict(value),
        "astuple": dataclasses.astuple(value),
        "vars": vars(value),
        "equal to a copy": value == copy.copy(value),
        "equal to a deep copy": value == copy.deepcopy(value),
        "equal after a pickle": value == pickle.loads(pickle.dumps(value)),
        "hash": hashed,
        "equal to a tuple": value == dataclasses.astuple(value),
        "match_args": cls.__match_args__,
        "is_dataclass": dataclasses.is_dataclass(value),
    }


@pytest.mark.parametrize(("pair", "args", "kwargs"), EXAMPLES, ids=IDS)
def test_a_record_is_what_the_dataclass_is(
    pair: tuple[type[Any], type[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    reference, made = (cls(*args, **kwargs) for cls in pair)
    assert describe(made) == describe(reference)


@pytest.mark.parametrize(("pair", "args", "kwargs"), EXAMPLES, ids=IDS)
def test_a_record_is_frozen_as_the_dataclass_is(
    pair: tuple[type[Any], type[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    outcomes = []
    for cls in pair:
        value = cls(*args, **kwargs)
        seen = []
        for change in (
            lambda value=value: setattr(value, "name", "other"),
            lambda value=value: delattr(value, "name"),
            lambda value=value: setattr(value, "not_a_field", 1),
        ):
            try:
                change()
                seen.append("allowed")
            except (dataclasses.FrozenInstanceError, AttributeError) as error:
                seen.append(f"{type(error).__name__}: {error}")
        outcomes.append(seen)
    assert outcomes[1] == outcomes[0]


def test_equality_and_hash_follow_the_compared_fields() -> None:
    reference, made = Plain
    for cls in (reference, made):
        assert cls("a", note="x") == cls("a", note="y")  # note: compare=False
        assert hash(cls("a", note="x")) == hash(cls("a", note="y"))
        assert cls("a") != cls("b")
        assert len({cls("a", 1), cls("a", 1), cls("a", 2)}) == 2
        assert cls("a") != reference("a") or cls is reference  # only the same class is equal
    assert made("a") != reference("a")
    nan = float("nan")
    for cls in (*Plain, *Hashless):  # a tuple compares identical items as equal, NaN included
        assert cls(nan) == cls(nan)


@pytest.mark.parametrize(
    "call",
    [
        lambda cls: cls(),
        lambda cls: cls("a", 1, (), "n", "extra"),
        lambda cls: cls("a", unknown=1),
        lambda cls: cls("a", name="b"),
    ],
    ids=["missing", "too many", "unknown keyword", "twice"],
)
def test_wrong_arguments_fail_as_they_do_for_the_dataclass(call: Callable[[Any], Any]) -> None:
    errors = []
    for cls in Plain:
        with pytest.raises(TypeError) as raised:
            call(cls)
        errors.append(str(raised.value).split("__init__() ")[-1])
    assert errors[1] == errors[0]


def test_replace_runs_post_init_and_refuses_init_false_fields() -> None:
    for cls in Later:
        value = dataclasses.replace(cls((1, 2)), items=(5,))
        assert value.total == 5
        with pytest.raises(ValueError, match="init=False"):
            dataclasses.replace(value, total=1)


def test_default_factories_give_each_instance_its_own_value() -> None:
    for cls in Mutable:
        first, second = cls("a"), cls("b")
        first.parts.append("x")
        assert second.parts == []
        first.name = "changed"  # mutable: allowed
        assert first.name == "changed"


def test_a_record_that_holds_itself_is_shown_without_recursing() -> None:
    for cls in Mutable:
        value = cls("loop")
        value.parts.append(value)
        assert repr(value) == f"{cls.__qualname__}(name='loop', parts=[...])"


@record
class Base:
    name: str
    size: int = 0


@record
class Child(Base):
    tags: tuple[str, ...] = ()


def test_records_inherit_fields_from_records() -> None:
    child = Child("a", 1, ("t",))
    assert [f.name for f in dataclasses.fields(child)] == ["name", "size", "tags"]
    assert child == Child("a", 1, ("t",))
    assert child != Base("a", 1)
    assert repr(child) == f"{Child.__qualname__}(name='a', size=1, tags=('t',))"
    with pytest.raises(dataclasses.FrozenInstanceError):
        child.name = "b"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(child)) == child


def test_the_first_instance_compiles_init_once_even_from_threads() -> None:
    @record
    class Counted:
        number: int
        extra: tuple[int, ...] = field(default_factory=tuple)

    lazy = Counted.__dict__["__init__"]
    made: list[Counted] = []
    threads = [threading.Thread(target=lambda n=n: made.append(Counted(n))) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(value.number for value in made) == list(range(8))
    compiled = Counted.__dict__["__init__"]
    assert compiled is not lazy
    assert compiled.__qualname__ == f"{Counted.__qualname__}.__init__"
    assert compiled.__annotations__ == {"number": "int", "extra": "tuple[int, ...]", "return": None}
    assert Counted(1) == Counted(1, ())
    assert Counted.__dict__["__init__"] is compiled


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x: int = 0\ny: int", "non-default argument 'y' follows default argument"),
        ("x: dataclasses.InitVar[int]", "does not support InitVar"),
        ("x: int = dataclasses.field(kw_only=True)", "does not support kw_only"),
        ("x: int\ndef __setattr__(self, name, value): pass", "cannot overwrite attribute"),
    ],
)
def test_what_a_record_cannot_be_is_refused_when_the_class_is_made(body: str, message: str) -> None:
    namespace: dict[str, Any] = {"dataclasses": dataclasses, "record": record}
    source = "@record\nclass Bad:\n" + "".join(f"    {line}\n" for line in body.splitlines())
    with pytest.raises(TypeError, match=message):
        exec(source, namespace)


def test_the_run_path_records_pickle_and_compare_after_a_round_trip() -> None:
    """The records executors ship to processes and Dask workers (a step, a decision, an
    event) come back equal, with the same hash where they have one, and still frozen."""
    from pipeflow.model.events import StepFinished
    from pipeflow.model.pipeline import ResultSpec, RetryPolicy, Step
    from pipeflow.model.run import Action, Decision, StepOutcome, StepState

    outcome = StepOutcome("a", StepState.DONE, duration=0.5, locations=("x",))
    hashable: list[Any] = [
        Decision("a", Action.RUN, "because"),
        outcome,
        StepFinished("r", outcome),
    ]
    holding_dicts: list[Any] = [
        Step(name="a", run="m.f", inputs={"x": 1}, retry=RetryPolicy(retries=2)),
        ResultSpec(target="t.json"),
    ]
    for value in hashable + holding_dicts:
        back = pickle.loads(pickle.dumps(value))
        assert back == value
        assert back != dataclasses.replace(value, **{dataclasses.fields(value)[0].name: "zz"})
        if value in hashable:
            assert hash(back) == hash(value)
        with pytest.raises(dataclasses.FrozenInstanceError):
            back.step = "other"
