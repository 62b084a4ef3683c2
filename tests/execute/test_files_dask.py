"""Files between steps on a Dask cluster: keys from what the writer wrote, restores, one cluster.

The workers are separate processes sharing this machine's disk, as a cluster on a shared
filesystem does. Few tests: a cluster costs seconds.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.calls import calls

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import json
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def prepare(count, out):
    note("prepare")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"part-{index}.txt").write_text(str(index))


def total(src, out):
    note("total")
    value = sum(int(p.read_text()) for p in Path(src).glob("*.txt"))
    Path(out).write_text(str(value))


def show(path):
    note("show")
    return int(Path(path).read_text())
"""

CONFIG = """
name: dasky
params: {count: 3}
results: {root: out}
executor: {shared_filesystem: true}  # the local cluster's workers see this folder
steps:
  prepare:
    run: mysteps.prepare
    inputs: {count: "${params.count}", out: data/parts}
    writes: [data/parts/]
  total:
    run: mysteps.total
    inputs: {src: data/parts, out: data/total.txt}
    writes: [data/total.txt]
  show:
    run: mysteps.show
    inputs: {path: data/total.txt}
"""


def test_files_exchanged_and_restored_on_dask(tmp_path: Path, dask_address: str) -> None:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(textwrap.dedent(CONFIG))

    def run(**params: object) -> pipeflow.api.Run:
        result = pipeflow.load(config, params=params or None).run(
            executor="dask", address=dask_address
        )
        assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
        return result

    assert run().output("show") == 3
    assert calls(tmp_path) == ["prepare", "show", "total"]
    assert run(count=4).output("show") == 6  # never the stale 3
    assert calls(tmp_path) == ["prepare", "show", "total"]
    assert run(count=4).output("show") == 6
    assert calls(tmp_path) == []

    shutil.rmtree(tmp_path / "data")
    back = run(count=3)  # switched back, and every file gone: all restored
    assert back.output("show") == 3
    assert calls(tmp_path) == []
    assert back.outcomes["prepare"].state is StepState.CACHED
    assert (tmp_path / "data" / "total.txt").read_text() == "3"
    assert sorted(p.name for p in (tmp_path / "data" / "parts").iterdir()) == [
        "part-0.txt",
        "part-1.txt",
        "part-2.txt",
    ]


VALUE_STEPS = """
from pathlib import Path


def locate():
    return "data/x.txt"


def read(path):
    return Path(path).read_text()
"""


def test_a_path_another_step_returns_is_fingerprinted_on_dask(
    tmp_path: Path, dask_address: str
) -> None:
    """SPEC 12 on Dask: the paths of a stored value come from its manifest, written on the
    worker. (An unstored value stays on its worker and is not looked into: documented.)"""
    (tmp_path / "vsteps.py").write_text(textwrap.dedent(VALUE_STEPS))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.txt").write_text("x1")
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: values\nresults: {root: out}\nexecutor: {shared_filesystem: true}\nsteps:\n"
        "  locate: {run: vsteps.locate}\n"
        '  read: {run: vsteps.read, inputs: {path: "${steps.locate}"}}\n'
    )

    def run() -> pipeflow.api.Run:
        done = pipeflow.load(config).run(executor="dask", address=dask_address)
        assert done.ok, {n: (o.state, o.error) for n, o in done.outcomes.items()}
        return done

    assert run().output("read") == "x1"
    assert run().outcomes["read"].state.value == "cached"
    (tmp_path / "data" / "x.txt").write_text("x2")
    assert run().output("read") == "x2"
    assert run().outcomes["read"].state.value == "cached"
