"""A module-level name counts by every statement that binds or changes it, in every spelling:
a function that rebinds it through `global` (assignment, augmented assignment, walrus, `del`,
`for`, `with`, `import ... as`) with the statement that calls it at import, a walrus at the module
level (also in a comprehension), `del NAME`, `del NAME[key]`, `del NAME.attr`, a method that
changes it in place inside another statement (`POPPED = ITEMS.pop()`). Before, editing any of
them left the steps using the name cached, serving their old values."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.cache.editing import assert_nothing_stale, rerun_after

STEPS = """
import contextlib
import types

FACTOR = 1


def configure():
    global FACTOR
    FACTOR = 3


configure()  # call

COUNT = 0


def bump():
    global COUNT
    COUNT += 1


bump()


def walrus():
    global WG
    (WG := 5)


walrus()
DG = 1


def drop():
    global DG
    del DG


drop()


def loop():
    global FG
    for FG in range(3):
        pass


loop()


def within():
    global WT
    with contextlib.nullcontext(4) as WT:
        pass


within()


def load():
    global IMP
    import json as IMP


load()
PREPARED = 0


def prepare():
    global PREPARED
    PREPARED = 1
    return 0


_ = prepare()  # prepared

(W := 7)
[(C := v) for v in range(2)]
CONFIG = {"k": 1, "z": 0}
del CONFIG["z"]
OBJ = types.SimpleNamespace(a=1, b=2)
del OBJ.b
GONE = 1
del GONE
for LOOPED in range(3):
    pass
with contextlib.nullcontext(5) as WITHED:
    pass
ITEMS = [1, 2, 3]
POPPED = ITEMS.pop()


def scaled():
    return FACTOR


def counted():
    return COUNT


def walrus_global():
    return WG


def deleted_global():
    try:
        return DG
    except NameError:
        return 0


def loop_global():
    return FG


def with_global():
    return WT


def import_global():
    return IMP.__name__


def prepared():
    return PREPARED


def shifted():
    return W


def comprehended():
    return C


def keys():
    return sorted(CONFIG)


def attributes():
    return sorted(vars(OBJ))


def deleted():
    try:
        return GONE
    except NameError:
        return 0


def looped():
    return LOOPED


def withed():
    return WITHED


def items():
    return sum(ITEMS)
"""

EDITS = {
    "a global assigned in a function": ("    FACTOR = 3", "    FACTOR = 4", {"scaled"}),
    "the call of that function": ("configure()  # call", "pass", {"scaled"}),
    "its call in an assignment": ("_ = prepare()  # prepared", "_ = 0", {"prepared"}),
    "a global's augmented assignment": ("COUNT += 1", "COUNT += 2", {"counted"}),
    "a global's walrus": ("(WG := 5)", "(WG := 6)", {"walrus_global"}),
    "a global's del": ("    del DG", "    DG = 2", {"deleted_global"}),
    "a global's for": ("for FG in range(3)", "for FG in range(4)", {"loop_global"}),
    "a global's with": ("nullcontext(4) as WT", "nullcontext(6) as WT", {"with_global"}),
    "a global's import": ("import json as IMP", "import pickle as IMP", {"import_global"}),
    "a module-level walrus": ("(W := 7)", "(W := 8)", {"shifted"}),
    "a walrus in a comprehension": ("v in range(2)]", "v in range(3)]", {"comprehended"}),
    "del of an item": ('del CONFIG["z"]', "pass", {"keys"}),
    "del of an attribute": ("del OBJ.b", "pass", {"attributes"}),
    "del of a name": ("del GONE", "pass", {"deleted"}),
    "a module-level for": ("in range(3):\n    pass", "in range(5):\n    pass", {"looped"}),
    "a module-level with": ("nullcontext(5) as", "nullcontext(7) as", {"withed"}),
    "a method changing a list in an assignment": ("ITEMS.pop()", "ITEMS.pop(0)", {"items"}),
}

NAMES = [
    "scaled",
    "counted",
    "walrus_global",
    "deleted_global",
    "loop_global",
    "with_global",
    "import_global",
    "prepared",
    "shifted",
    "comprehended",
    "keys",
    "attributes",
    "deleted",
    "looped",
    "withed",
    "items",
]


@pytest.mark.parametrize("edit", EDITS)
def test_every_statement_that_binds_or_changes_a_name_counts(tmp_path: Path, edit: str) -> None:
    (tmp_path / "st.py").write_text(textwrap.dedent(STEPS))
    steps = "\n".join(f"  {name}: {{run: st.{name}}}" for name in NAMES)
    (tmp_path / "pipeline.yaml").write_text(f"name: globals\nsteps:\n{steps}\n")
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    old, new, changed = EDITS[edit]
    ran, reasons = rerun_after(tmp_path / "pipeline.yaml", tmp_path / "st.py", old, new)
    assert ran == changed, reasons
    assert_nothing_stale(tmp_path / "pipeline.yaml", NAMES)
