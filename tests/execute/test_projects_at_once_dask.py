"""Two projects run at once on one Dask cluster whose workers run tasks on several threads
(SPEC section 14: two projects or versions never clash on one cluster).

Both projects have a `steps` package with the same module names and different code. Each
step imports a module inside its function while it runs, and returns a dataclass of its
project: a worker that let a task of the other project switch its modules meanwhile would
give the step the other project's module, or a class that cannot be pickled any more.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pipeflow
from tests.execute.test_remote_cluster import Remote, processes, remote

__all__ = ["processes", "remote"]

ITEMS = list(range(8))

MODULE = """
import time

from steps.model import Model


def f(i):
    seen = []
    for _ in range(15):
        time.sleep(0.05)
        from steps.h import tag  # imported while the step runs, as lazy imports are

        seen.append(tag())
    return Model(sorted(set(seen)))
"""

MODEL = """
from dataclasses import dataclass


@dataclass
class Model:
    tags: list
"""


def _project(remote: Remote, label: str) -> Path:
    folder = remote.project(label)
    (folder / "steps").mkdir()
    (folder / "steps" / "__init__.py").write_text("")
    (folder / "steps" / "m.py").write_text(MODULE)
    (folder / "steps" / "model.py").write_text(MODEL)
    (folder / "steps" / "h.py").write_text(f"def tag():\n    return {label!r}\n")
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name: {label}
            {remote.results()}
            executor: {{type: dask, address: "{remote.address}"}}
            steps:
              f: {{run: steps.m.f, foreach: {ITEMS}, as: i}}
            """
        )
    )
    return config


def test_two_projects_at_once_each_run_their_own_code(remote: Remote) -> None:
    configs = {label: _project(remote, label) for label in ("alpha", "beta")}
    pipeflow_cli = str(Path(sys.executable).with_name("pipeflow"))
    runs = {
        label: subprocess.Popen(
            [pipeflow_cli, "run", str(config), "-q"],
            cwd=config.parent,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for label, config in configs.items()
    }
    for label, run in runs.items():
        output = run.communicate(timeout=300)[0].decode(errors="replace")
        assert run.returncode == 0, f"{label}:\n{output}"
    for label, config in configs.items():
        result = pipeflow.load(config).run(history=False)  # all cached: what was stored
        assert [model.tags for model in result.output("f")] == [[label]] * len(ITEMS), label
