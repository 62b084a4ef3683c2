"""The steps module of the small-result tests: results in a run's journal on a local store
(`tests/cache/test_journal.py`) and inside their manifest on an object store
(`tests/cache/test_inline.py`). Every step notes its call in `calls.log` beside the module, so
a test sees what really ran (`tests/calls.py`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def inc(x, name):
    note(name)
    return x + 1


def big(x, name):
    note(name)
    return "b" * (2 * SIZE) + str(x)


def pair(x, name):
    note(name)
    return {"low": x - 1, "high": x + 1}


def scaled(x, factor, name):
    note(name)
    return x * factor
"""


def write_steps(path: Path, size: int) -> None:
    """The steps module at `path`; its `big` returns 2 * `size` + 1 characters, too large to
    be a small result of that `size`."""
    path.write_text(textwrap.dedent(STEPS).replace("SIZE", str(size)))
