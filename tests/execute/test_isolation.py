"""Value isolation: a step that changes its input never changes what another step sees.

Every kind of value below goes through the same three steps: `make_KIND` returns it,
`mutate_KIND` changes it in place (as Kedro's spaceflights `preprocess_companies` does with
`companies["company_rating"] = ...`) and `observe_KIND`, which runs after it (`after:`),
describes what it received. The observer and `Run.output()` must see the value as it was
made: on every executor, whether the value came from memory (first run) or from the store
(second run, with the consumers forced and the producers cached).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import pipeflow
from pipeflow.execute.isolation import isolated, isolated_inputs
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.execute.conftest import local_cluster

distributed = pytest.importorskip("distributed")

STEPS = '''
import copy
import numpy as np
import pandas as pd


class Account:
    """An arbitrary object: isolated by a deep copy."""

    def __init__(self) -> None:
        self.balance = 10
        self.history = [10]


def companies() -> pd.DataFrame:
    return pd.DataFrame(
        {"id": [1, 2, 3], "rating": ["90%", "80%", "75%"], "iata": ["t", "f", "t"]}
    )


# 200 KiB and more: on dask these stay in the worker's memory and reach the next steps there.
def make_big_frame() -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(30_000, dtype="float64"), "y": np.ones(30_000)})


def make_big_array():
    return np.arange(30_000, dtype="float64")


def object_array(*items):
    array = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        array[index] = item
    return array


MAKERS = {
    "frame_column": companies,
    "frame_loc": companies,
    "frame_labels": lambda: companies().set_index("id"),
    "frame_list_cell": lambda: pd.DataFrame({"tags": [["python", "ai"], ["go"]]}),
    "series": lambda: pd.Series([1.5, 2.5, 3.5], name="price"),
    "dict": lambda: {"rating": "90%", "name": "acme"},
    "list": lambda: [1, 2, 3],
    "array": lambda: np.arange(5),
    "object_array": lambda: object_array([1], [2]),
    "nested": lambda: {"rows": [{"a": [1]}, {"a": [2]}], "array": np.zeros(3), "pair": ([1], 2)},
    "object": Account,
    "big_frame": make_big_frame,
    "big_array": make_big_array,
}


def mutate_frame_column(frame):
    # Kedro's spaceflights `preprocess_companies`, in place.
    frame["rating"] = frame["rating"].str.replace("%", "").astype(float) / 100
    frame["iata"] = frame["iata"] == "t"
    frame["new"] = 1


def mutate_frame_loc(frame):
    frame.loc[0, "rating"] = "0%"
    frame.iloc[1, 0] = 99
    frame.loc[frame["id"] > 2, "iata"] = "x"


def mutate_frame_labels(frame):
    frame.index.name = "renamed"
    frame.columns.name = "fields"
    frame.attrs["source"] = "mutated"
    frame.index = frame.index * 10


def mutate_frame_list_cell(frame):
    frame.loc[0, "tags"].append("mutated")


def mutate_series(series):
    series.iloc[0] = -1.0
    series.name = "renamed"


def mutate_dict(value):
    value["rating"] = float(value["rating"].rstrip("%"))
    value["added"] = True


def mutate_list(value):
    value.append(4)
    value[0] = 0


def mutate_array(value):
    value[0] = -1
    value += 1


def mutate_object_array(value):
    value[0].append("mutated")


def mutate_nested(value):
    value["rows"][0]["a"].append(99)
    value["array"][1] = 5.0
    value["pair"][0].append(3)


def mutate_object(value):
    value.balance = 0
    value.history.append(0)


def mutate_big_frame(frame):
    frame["x"] = -frame["x"]
    frame.loc[0, "y"] = 7.0


def mutate_big_array(value):
    value[:10] = -1.0


def describe(value) -> str:
    if isinstance(value, pd.DataFrame):
        return (
            f"DataFrame {value.to_dict('list')!r} dtypes={[str(d) for d in value.dtypes]} "
            f"index={value.index.tolist()!r} name={value.index.name!r} "
            f"columns.name={value.columns.name!r} attrs={value.attrs!r}"
        )
    if isinstance(value, pd.Series):
        return f"Series {value.tolist()!r} name={value.name!r} dtype={value.dtype}"
    if isinstance(value, np.ndarray):
        return f"ndarray {value.tolist()!r} dtype={value.dtype}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if hasattr(value, "balance"):  # an Account (of whichever import of this module)
        return f"Account({value.balance}, {value.history})"
    return repr(value)


def mutate(kind: str, value) -> str:
    seen = describe(value)
    globals()[f"mutate_{kind}"](value)
    return seen


def observe(value) -> str:
    return describe(value)


def expected() -> dict:
    return {kind: describe(make()) for kind, make in MAKERS.items()}


def make(kind: str):
    return MAKERS[kind]()


def parts():
    return {"x": [1, 2], "y": {"k": [3]}}


def append_to(value, item):
    value.append(item)
    return len(value)


def add_key(value):
    value["added"] = 1
    return sorted(value)
'''

KINDS = [
    "frame_column",
    "frame_loc",
    "frame_labels",
    "frame_list_cell",
    "series",
    "dict",
    "list",
    "array",
    "object_array",
    "nested",
    "object",
    "big_frame",
    "big_array",
]


def config_text(executor: str) -> str:
    lines = [
        "name: isolation",
        f"executor: {executor}",
        "results: {root: out}",
        "steps:",
        "  expected: {run: mutsteps.expected, cache: false}",
        # Parts of a multi-output step: one consumer changes a part another one takes whole.
        "  parts: {run: mutsteps.parts, outputs: [x, y]}",
        '  append_part: {run: mutsteps.append_to, inputs: {value: "${steps.parts.x}", item: 9}}',
        '  add_key_part: {run: mutsteps.add_key, inputs: {value: "${steps.parts.y}"}}',
        "  observe_parts:",
        "    run: mutsteps.observe",
        '    inputs: {value: "${steps.parts}"}',
        "    after: [append_part, add_key_part]",
    ]
    for kind in KINDS:
        lines += [
            f'  make_{kind}: {{run: mutsteps.make, inputs: {{kind: "{kind}"}}}}',
            f"  mutate_{kind}:",
            "    run: mutsteps.mutate",
            f'    inputs: {{kind: "{kind}", value: "${{steps.make_{kind}}}"}}',
            f"  observe_{kind}:",
            "    run: mutsteps.observe",
            f'    inputs: {{value: "${{steps.make_{kind}}}"}}',
            f"    after: [mutate_{kind}]",
        ]
    return "\n".join(lines) + "\n"


CONSUMERS = [f"{role}_{kind}" for kind in KINDS for role in ("mutate", "observe")]
CONSUMERS += ["append_part", "add_key_part", "observe_parts"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    local = local_cluster()
    client = distributed.Client(local)
    try:
        yield local.scheduler_address
    finally:
        client.close()
        local.close()


def executor_config(name: str, request: pytest.FixtureRequest) -> str:
    if name == "dask":
        address = request.getfixturevalue("cluster")
        return f'{{type: dask, address: "{address}", shared_filesystem: true}}'
    return f"{{type: {name}}}"


def load_steps(folder: Path) -> ModuleType:
    """The test project's step module, imported here under a name of its own."""
    spec = importlib.util.spec_from_file_location("isolation_mutsteps", folder / "mutsteps.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def check(run: Any, steps: ModuleType) -> None:
    assert run.ok, {n: (o.state, o.error) for n, o in run.outcomes.items() if o.error}
    expected = run.output("expected")
    for kind in KINDS:
        assert run.output(f"mutate_{kind}") == expected[kind], f"{kind}: the first consumer"
        assert run.output(f"observe_{kind}") == expected[kind], f"{kind}: the second consumer"
        assert steps.describe(run.output(f"make_{kind}")) == expected[kind], (
            f"{kind}: Run.output() of the producer"
        )
        # What the caller does with a value Run.output() gave stays with that value.
        steps.mutate(kind, run.output(f"make_{kind}"))
        assert steps.describe(run.output(f"make_{kind}")) == expected[kind], (
            f"{kind}: Run.output() after the caller changed what an earlier call gave"
        )
    assert run.output("append_part") == 3
    assert run.output("add_key_part") == ["added", "k"]
    assert run.output("observe_parts") == "{'x': [1, 2], 'y': {'k': [3]}}"
    assert run.output("parts", "x") == [1, 2]
    run.output("parts", "x").append(3)
    run.output("parts")["y"]["k"].append(4)
    assert run.output("parts") == {"x": [1, 2], "y": {"k": [3]}}


@pytest.mark.parametrize(
    "executor",
    [
        "sequential",
        "threads",
        "processes",
        pytest.param("dask", marks=pytest.mark.slow),
    ],
)
def test_a_step_that_mutates_its_input_changes_nothing_another_step_sees(
    make_project: ProjectFactory, request: pytest.FixtureRequest, executor: str
) -> None:
    config = make_project(config_text(executor_config(executor, request)), mutsteps=STEPS)
    steps = load_steps(config.parent)
    pipe = pipeflow.load(config)
    # From memory: every step runs.
    first = pipe.run(history=False)
    check(first, steps)
    # From the store: the producers are cached; their values are read back for the consumers.
    second = pipe.run(force=CONSUMERS, history=False)
    check(second, steps)
    for kind in KINDS:
        assert second.state(f"make_{kind}") is StepState.CACHED
        assert second.state(f"observe_{kind}") is StepState.DONE


# -- the mechanism, type by type ------------------------------------------------------------


def test_numbers_of_modules_imported_late_are_shared_inside_containers_too() -> None:
    """`decimal` and `fractions` are not imported by a run: their numbers are learnt to be
    immutable when first met, and shared from then on, at any depth."""
    import decimal
    import fractions

    class Price(decimal.Decimal):  # a subclass may add state: copied, not shared
        pass

    numbers = [decimal.Decimal("2.50"), fractions.Fraction(2, 3), {"p": decimal.Decimal(1)}]
    for _ in range(2):  # before and after the types are learnt
        copied = isolated(numbers)
        assert copied == numbers
        assert copied is not numbers
        assert copied[0] is numbers[0]
        assert copied[1] is numbers[1]
        assert copied[2] is not numbers[2]
        assert copied[2]["p"] is numbers[2]["p"]
    price = Price("1.5")
    assert isolated(price) == price


def test_immutable_values_are_shared_not_copied() -> None:
    import datetime
    import decimal
    import fractions

    import numpy as np
    import pandas as pd

    values = [
        None,
        True,
        3,
        2.5,
        "text",
        b"bytes",
        (1, "a", (2.0,)),
        frozenset({1, 2}),
        decimal.Decimal("1.10"),
        fractions.Fraction(1, 3),
        datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
        np.float64(0.5),
        np.int8(3),
        pd.Timestamp("2024-01-01", tz="Europe/Paris"),
        pd.NaT,
    ]
    for value in values:
        assert isolated(value) is value, value


def test_a_frame_is_copied_without_its_data_and_changes_to_the_copy_stay_there() -> None:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"x": np.arange(1000.0), "s": ["a"] * 1000})
    copied = isolated(frame)
    assert copied is not frame
    # Copy-on-Write: the copy shares the original's buffers until one of them writes.
    assert np.shares_memory(copied["x"].to_numpy(), frame["x"].to_numpy())
    copied.loc[0, "x"] = -1.0
    copied["s"] = "b"
    copied["new"] = 1
    copied.index.name = "renamed"
    assert frame["x"].iloc[0] == 0.0
    assert list(frame.columns) == ["x", "s"]
    assert set(frame["s"]) == {"a"}
    assert frame.index.name is None


def test_mutable_cells_of_object_columns_are_copied_and_plain_ones_are_not() -> None:
    import pandas as pd

    tags = ["python", "ai"]
    frame = pd.DataFrame({"tags": [tags, ["go"]], "name": pd.Series(["a", "b"], dtype=object)})
    copied = isolated(frame)
    assert copied["tags"].iloc[0] == tags
    assert copied["tags"].iloc[0] is not tags
    copied["tags"].iloc[0].append("mutated")
    assert tags == ["python", "ai"]
    assert copied["name"].dtype == object
    series = pd.Series([{"k": 1}, None], name="config")
    copied_series = isolated(series)
    copied_series.iloc[0]["k"] = 2
    assert series.iloc[0] == {"k": 1}
    assert copied_series.name == "config"


def test_arrays_are_copied_with_their_subclass() -> None:
    import numpy as np

    array = np.arange(6).reshape(2, 3)
    copied = isolated(array)
    assert not np.shares_memory(copied, array)
    copied[0, 0] = 99
    assert array[0, 0] == 0
    masked = np.ma.masked_array([1, 2, 3], mask=[False, True, False])
    copied_masked = isolated(masked)
    assert isinstance(copied_masked, np.ma.MaskedArray)
    copied_masked.mask[0] = True
    assert not masked.mask[0]
    objects = np.empty(2, dtype=object)
    objects[0], objects[1] = [1], [2]
    copied_objects = isolated(objects)
    copied_objects[0].append(9)
    assert objects[0] == [1]


def test_containers_are_rebuilt_keeping_shared_items_shared() -> None:
    shared = [1, 2]
    cycle: list[Any] = []
    cycle.append(cycle)
    value = {"a": shared, "b": shared, "t": (shared, 1), "s": {1, 2}, "cycle": cycle}
    copied = isolated(value)
    assert {k: v for k, v in copied.items() if k != "cycle"} == {
        "a": [1, 2],
        "b": [1, 2],
        "t": ([1, 2], 1),
        "s": {1, 2},
    }
    assert copied["a"] is copied["b"] is copied["t"][0]
    assert copied["a"] is not shared
    assert copied["cycle"][0] is copied["cycle"]
    copied["a"].append(3)
    copied["s"].add(3)
    assert shared == [1, 2]
    assert value["s"] == {1, 2}
    inputs = isolated_inputs({"x": shared, "y": shared})
    assert inputs["x"] is inputs["y"]
    assert inputs["x"] is not shared


class Stubborn:
    """Refuses deepcopy, but pickles."""

    def __init__(self) -> None:
        self.items = [1]

    def __deepcopy__(self, memo: dict[int, Any]) -> Stubborn:
        raise TypeError("no deep copies")


def test_objects_are_deep_copied_or_pickled_and_handles_are_passed_as_they_are() -> None:
    import threading

    account = {"owner": Stubborn(), "lock": threading.Lock(), "data": [1]}
    copied = isolated(account)
    assert copied["owner"] is not account["owner"]
    assert copied["owner"].items == [1]
    copied["owner"].items.append(2)
    assert account["owner"].items == [1]
    # A lock can be neither deep-copied nor pickled: a handle, the same object for every step.
    assert copied["lock"] is account["lock"]
    copied["data"].append(2)
    assert account["data"] == [1]
    numbers = (n for n in range(3))
    assert isolated(numbers) is numbers


HANDLE_STEPS = """
import threading


def make() -> dict:
    return {"lock": threading.Lock(), "data": [1]}


def take(value) -> bool:
    value["data"].append(2)
    return value["lock"].acquire(blocking=False)


def look(value) -> list:
    return [value["data"], value["lock"].locked()]
"""


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_a_handle_reaches_every_step_as_it_is_and_the_data_around_it_is_copied(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(
        f"""
        name: handles
        executor: {{type: {executor}}}
        results: {{persist: false}}
        steps:
          make: {{run: handlesteps.make}}
          take: {{run: handlesteps.take, inputs: {{value: "${{steps.make}}"}}}}
          look: {{run: handlesteps.look, inputs: {{value: "${{steps.make}}"}}, after: [take]}}
        """,
        handlesteps=HANDLE_STEPS,
    )
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
    assert run.output("take") is True
    assert run.output("look") == [[1], True]  # the data as made; the lock is the one taken
