"""`pipeflow gc` deletes what a run killed as it FIRST wrote a target left: a temporary beside
a target that no manifest names yet.

A local target is written to `.NAME.tmp-UUID` beside its place and moved there whole
(`storage/publish.py`). gc looked for these only in the folders a stored manifest names, so a
run killed with SIGKILL (the OOM killer, a power cut) as it wrote a step's first result left
up to the value's whole size, hidden, for good. Now gc also looks in the folders the config's
target templates write in (their `{params.*}` filled in), and deletes there only a temporary
of a name such a template gives, and none of a file another pipeline's manifest names.
"""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from pipeflow.storage.paths import temporary_name

STEPS = """
import numpy as np


def big(seed):
    return np.random.default_rng(seed).random(40_000_000)  # 320 MB to write


def small(seed):
    return seed
"""

CONFIG = """
name: first
params: {seed: 1, place: deep}
results: {root: results}
executor: {type: EXECUTOR}
steps:
  big: {run: fsteps.big, inputs: {seed: "${params.seed}"}, result: {target: "arrays/{step}.npy"}}
"""

LATER = timedelta(hours=2)


def _project(folder: Path, executor: str = "sequential", config: str = CONFIG) -> Path:
    (folder / "fsteps.py").write_text(textwrap.dedent(STEPS))
    path = folder / "pipeline.yaml"
    path.write_text(textwrap.dedent(config).replace("EXECUTOR", executor))
    return path


def _killed_mid_write(config: Path, pattern: str) -> Path:
    """Run `config`, SIGKILL its whole process group once a temporary matching `pattern`
    (under the config's folder) holds more than 1 MB: the temporary it left."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    found: list[str] = []
    while not found and time.monotonic() < deadline and process.poll() is None:
        every = glob.glob(str(config.parent / pattern))
        found = [path for path in every if os.path.getsize(path) > 1_000_000]
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert found, "the run ended before it began writing its target"
    return Path(found[0])


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_gc_deletes_the_temporary_of_a_killed_first_write(tmp_path: Path, executor: str) -> None:
    config = _project(tmp_path, executor)
    left = _killed_mid_write(config, "results/arrays/.big.npy.tmp-*")
    arrays = left.parent
    own = [arrays / "notes.txt", arrays / ".keep", arrays / f".other.csv.tmp-{uuid.uuid4().hex}"]
    for path in own:
        path.write_text("the user's")
    pipe = pipeflow.load(config)
    assert [d.action for d in pipe.status()] == [Action.RUN]  # the half-written one is none

    assert pipe.gc(grace="1h").removals == ()  # young: a run in progress may be writing it
    report = pipe.gc(grace="1h", now=datetime.now(timezone.utc) + LATER)
    assert {(r.kind, r.path) for r in report.removals} == {("temporary", "arrays/" + left.name)}
    assert not left.exists()
    assert all(path.read_text() == "the user's" for path in own)
    assert pipeflow.load(config).run().ok
    assert [d.action for d in pipeflow.load(config).status()] == [Action.CACHED]


def _left(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / temporary_name(name)  # as `storage/publish.py` names it
    path.write_bytes(b"\0" * 100)
    return path


TEMPLATES = """
name: first
params: {seed: 1, place: deep}
results: {root: results}
steps:
  root: {run: fsteps.small, inputs: {seed: 1}, result: {target: "top.json"}}
  field: {run: fsteps.small, inputs: {seed: 2}, result: {target: "f/{step}-{run_id}.json"}}
  param: {run: fsteps.small, inputs: {seed: 3}, result: {target: "{params.place}/v.json"}}
  item: {run: fsteps.small, inputs: {seed: 4}, result: {target: "i/{key}/v.json"}}
  long: {run: fsteps.small, inputs: {seed: 5}, result: {target: "l/LONG.json"}}
"""


def test_every_template_spelling_names_its_folder(tmp_path: Path) -> None:
    """A fixed name, fields in the name, a param in the folder (filled in), a long name
    (`temporary_name` cuts it); a folder made of fields is not listed, and nothing of the
    user's nor of another pipeline's beside them goes."""
    long = "n" * 240
    config = _project(tmp_path, config=TEMPLATES.replace("LONG", long))
    results = tmp_path / "results"
    ours = [
        _left(results, "top.json"),
        _left(results / "f", "field-20260101-abc.json"),
        _left(results / "deep", "v.json"),
        _left(results / "l", f"{long}.json"),
    ]
    other = tmp_path / "other.yaml"
    other.write_text(
        textwrap.dedent(
            """
            name: others
            results: {root: results}
            steps:
              mine: {run: fsteps.small, inputs: {seed: 9}, result: {target: "f/field-9.json"}}
            """
        )
    )
    assert pipeflow.load(other).run().ok
    kept = [
        _left(results / "i" / "abc", "v.json"),  # its folder is made of a field: not listed
        _left(results, "top.csv"),  # no template gives that name
        _left(results / "f", "notes.json"),
        _left(results / "f", "field-9.json"),  # another pipeline's manifest names it
        _left(results / "elsewhere", "v.json"),
    ]
    report = pipeflow.load(config).gc(grace="1h", now=datetime.now(timezone.utc) + LATER)
    assert {r.path for r in report.removals if r.kind == "temporary"} == {
        path.relative_to(results).as_posix() for path in ours
    }
    assert not any(path.exists() for path in ours)
    assert all(path.exists() for path in kept)
    assert pipeflow.load(config).run().ok
