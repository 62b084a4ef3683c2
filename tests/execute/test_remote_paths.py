"""Paths between the client and a Dask cluster that shares no filesystem with it (SPEC 14):
what a step is given and what it returns name the client's files, whatever the spelling.

The cluster and the S3 server are `test_remote_cluster.py`'s (its own instance here).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from tests.execute.test_remote_cluster import Remote, processes, remote

__all__ = ["processes", "remote"]

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

RETURNS = """
import os
from pathlib import Path


def write(out, shape):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as handle:
        handle.write("hello")
    return {"str": out, "list": [out], "dict": {"path": out}, "path": Path(out)}[shape]


def read(value):
    path = value if isinstance(value, (str, Path)) else (
        value[0] if isinstance(value, list) else value["path"]
    )
    return Path(path).read_text()
"""


def _returning(remote: Remote, shape: str, stored: bool) -> Path:
    folder = remote.project("returns")
    (folder / "returns.py").write_text(RETURNS)
    config = folder / "pipeline.yaml"
    result = "" if stored else "    result: false\n"
    config.write_text(
        f"name: returns\n{remote.results()}\nsteps:\n"
        "  write:\n"
        "    run: returns.write\n"
        f"    inputs: {{out: data/out.txt, shape: {shape}}}\n"
        "    writes: [data/out.txt]\n"
        f"{result}"
        '  read: {run: returns.read, inputs: {value: "${steps.write}"}}\n'
    )
    return config


def _shaped(path: Path, shape: str) -> Any:
    text = str(path)
    return {"str": text, "list": [text], "dict": {"path": text}, "path": path}[shape]


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "unstored"])
@pytest.mark.parametrize("shape", ["str", "list", "dict"])
def test_a_path_a_step_returns_is_the_clients_path(
    remote: Remote, shape: str, stored: bool
) -> None:
    """Not the worker's workspace: the reader (on another worker) gets its own copy of the
    file, the stored value names the client's file, and a later run here takes it."""
    config = _returning(remote, shape, stored)
    expected = _shaped(config.parent / "data" / "out.txt", shape)

    run = pipeflow.load(config).run(executor="dask", address=remote.address, history=False)
    assert run.ok, {n: (o.state, o.error) for n, o in run.outcomes.items()}
    assert run.output("write") == expected
    assert run.output("read") == "hello"

    # On this machine, from the same store: the stored value (or the step again) serves.
    here = pipeflow.load(config).run(executor="sequential", force="read", history=False)
    assert here.ok, {n: (o.state, o.error) for n, o in here.outcomes.items()}
    assert here.outcomes["write"].state.value == ("cached" if stored else "done")
    assert here.output("write") == expected
    assert here.output("read") == "hello"


def test_a_pathlib_path_a_step_returns_is_the_clients_path(remote: Remote) -> None:
    """A `Path` is not a path input of its reader (only texts are: docs/files.md), so it does
    not travel to a worker; but it names the client's file, stored and read here."""
    config = _returning(remote, "path", stored=True)
    only = pipeflow.load(config).run(
        executor="dask", address=remote.address, only="write", history=False
    )
    assert only.ok, {n: (o.state, o.error) for n, o in only.outcomes.items()}
    assert only.output("write") == config.parent / "data" / "out.txt"
    here = pipeflow.load(config).run(executor="sequential", history=False)
    assert here.ok, {n: (o.state, o.error) for n, o in here.outcomes.items()}
    assert here.outcomes["write"].state.value == "cached"
    assert here.output("read") == "hello"


WRITER = """
import os


def write_one(name, outdir):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, name + ".out"), "w") as handle:
        handle.write(name.upper())
    return name
"""


@pytest.mark.parametrize("spelling", ["data/out", "data/out/", "absolute"])
def test_a_folder_a_declared_write_goes_into_is_the_workspaces(
    remote: Remote, spelling: str
) -> None:
    """`outdir: data/out` beside `writes: [data/out/a.out]`, on the first run (the client has
    no `data/out`): the step writes into its workspace, and its files come back."""
    folder = remote.project("into")
    (folder / "writer.py").write_text(WRITER)
    outdir = f"{folder}/data/out" if spelling == "absolute" else spelling
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: into\n{remote.results()}\nsteps:\n"
        "  each:\n"
        "    run: writer.write_one\n"
        "    foreach: [a, b]\n"
        "    as: name\n"
        f'    inputs: {{outdir: "{outdir}"}}\n'
        '    writes: ["data/out/${name}.out"]\n'
    )
    run = pipeflow.load(config).run(executor="dask", address=remote.address, history=False)
    assert run.ok, {n: (o.state, o.error) for n, o in run.outcomes.items()}
    assert sorted(p.name for p in (folder / "data" / "out").iterdir()) == ["a.out", "b.out"]
    assert (folder / "data" / "out" / "a.out").read_text() == "A"
    shutil.rmtree(folder / "data")
    # Failed on the cluster: no empty folder is left here (the run made it for the step).
    failing = config.read_text().replace("foreach: [a, b]", "foreach: [7, 8]")
    config.write_text(failing)
    failed = pipeflow.load(config).run(executor="dask", address=remote.address, history=False)
    assert not failed.ok
    assert "unsupported operand" in str(failed.outcomes["each"].error)
    assert not (folder / "data").exists()


CSV = """
import pandas as pd


def readcsv(path):
    return pd.read_csv(path)["a"].tolist(), path
"""


@pytest.mark.parametrize("spelling", ["relative", "absolute", "file-url"])
def test_a_path_input_travels_in_every_spelling(remote: Remote, spelling: str) -> None:
    """A `file://` URL is a local input file like the plain path (its fingerprint counts
    it): it is sent to the worker, whose step reads its copy by URL."""
    folder = remote.project("spelled")
    (folder / "csvsteps.py").write_text(CSV)
    (folder / "data").mkdir()
    (folder / "data" / "d.csv").write_text("a,b\n5,6\n")
    path = {
        "relative": "data/d.csv",
        "absolute": f"{folder}/data/d.csv",
        "file-url": f"file://{folder}/data/d.csv",
    }[spelling]
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: spelled\n{remote.results()}\nsteps:\n"
        f'  read: {{run: csvsteps.readcsv, inputs: {{path: "{path}"}}}}\n'
    )
    run = pipeflow.load(config).run(executor="dask", address=remote.address, history=False)
    assert run.ok, {n: (o.state, o.error) for n, o in run.outcomes.items()}
    numbers, given = run.output("read")
    assert numbers == [5]
    # The step was given its workspace's copy, in the spelling of the input; it returns
    # the client's path.
    assert given == (f"{folder}/data/d.csv" if spelling == "relative" else path)

    (folder / "data" / "d.csv").write_text("a,b\n7,6\n")  # its key counts the file
    again = pipeflow.load(config).run(executor="dask", address=remote.address, history=False)
    assert again.ok, {n: (o.state, o.error) for n, o in again.outcomes.items()}
    assert again.output("read")[0] == [7]
    assert again.outcomes["read"].state.value == "done"
