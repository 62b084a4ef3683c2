"""Equal values pickle to the same bytes in every process: a set's elements were pickled in
its iteration order, which follows the hash seed of the process (`PYTHONHASHSEED`). A step
returning the same set of names then had another data version in each run, so the steps
after it ran again for nothing: every run after a `result: false` step, and after any step
that ran again and gave the same set."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeflow.storage import stable_pickle

# Sets at every place plain data can hold them, of elements that compare and that do not.
VALUES = {
    "a set of text": "{'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'}",
    "a frozenset": "frozenset({'k', 'l', 'm', 'n'})",
    "in a dict": "{'tags': {'x', 'y', 'z', 'w'}, 'n': 3}",
    "in a list": "[{'p', 'q', 'r'}, {'s', 't', 'u'}]",
    "a set of frozensets": "{frozenset({'a', 'b'}), frozenset({'c', 'd'}), frozenset({'e'})}",
    "of mixed kinds": "{'text', 1, 2.5, ('a', 'tuple'), None, b'raw'}",
    "as a dict key": "{frozenset({'key', 'set', 'here'}): 1}",
}

STEPS = """
def make():
    return VALUE


def use(value):
    print("use ran")
    return repr(sorted(map(repr, value)) if isinstance(value, (set, frozenset)) else value)
"""


def pickled_in_a_process(value: str, seed: str) -> bytes:
    code = (
        "import io, sys; from pipeflow.storage import stable_pickle; b = io.BytesIO(); "
        f"stable_pickle.dump({value}, b); sys.stdout.buffer.write(b.getvalue())"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, env=env
    ).stdout


@pytest.mark.parametrize("value", VALUES)
def test_equal_values_are_the_same_bytes_whatever_the_hash_seed(value: str) -> None:
    pickles = {pickled_in_a_process(VALUES[value], seed) for seed in ("1", "2", "3", "4")}

    assert len(pickles) == 1
    assert pickle.loads(pickles.pop()) == eval(VALUES[value])  # and the same value back


def test_a_value_that_cannot_go_back_is_ordered_first() -> None:
    """A stream that cannot seek (a hashing writer) gets the ordered pickle straight away."""

    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.data = b""

        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            chunk = bytes(data)  # type: ignore[call-overload]
            self.data += chunk
            return len(chunk)

    stream, seekable = Stream(), io.BytesIO()
    value = {"names": {"a", "b", "c", "d"}, "shared": [1, 2]}
    stable_pickle.dump(value, stream)  # type: ignore[arg-type]
    stable_pickle.dump(value, seekable)

    assert stream.data == seekable.getvalue()


def test_shared_parts_stay_shared() -> None:
    shared = [1, 2, 3]
    buffer = io.BytesIO()
    stable_pickle.dump({"one": shared, "two": shared, "tags": {"x", "y"}}, buffer)

    back = pickle.loads(buffer.getvalue())

    assert back["one"] is back["two"]


def run(project: Path, seed: str, *options: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PIPEFLOW_HOME": str(project / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", "pipeline.yaml", *options],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("stored", [False, True], ids=["result false", "stored, run again"])
@pytest.mark.parametrize("value", ["a set of text", "in a dict", "a set of frozensets"])
def test_the_step_after_a_set_stays_cached_in_another_process(
    tmp_path: Path, value: str, stored: bool
) -> None:
    (tmp_path / "setsteps.py").write_text(textwrap.dedent(STEPS).replace("VALUE", VALUES[value]))
    result = "" if stored else ", result: false"
    (tmp_path / "pipeline.yaml").write_text(
        "name: sets\nsteps:\n"
        f"  make: {{run: setsteps.make{result}}}\n"
        '  use: {run: setsteps.use, inputs: {value: "${steps.make}"}}\n'
    )
    assert "use ran" in run(tmp_path, "1")

    if stored:  # `make` runs again (its code changed) and gives the same set
        steps = tmp_path / "setsteps.py"
        made = f"made = {VALUES[value]}\n    return made"
        steps.write_text(steps.read_text().replace(f"return {VALUES[value]}", made))

    again = run(tmp_path, "2")

    assert "make: done" in again  # never stored, or its code changed
    assert "use ran" not in again
