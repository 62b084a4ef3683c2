"""The data files of a step's package travel with its code to workers that share no
filesystem (SPEC 14: the same config runs on a laptop and on such a cluster).

A step that opens a file beside its module (`Path(__file__).with_name(...)`) or reads one
with `importlib.resources` found nothing on a remote worker: only modules travelled. Now
the package's data files go with its modules, and an edited one reaches the workers. A real
`dask scheduler` and workers that cannot see the project folder; results on moto's S3.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pipeflow
from tests.execute.test_remote_cluster import Remote, processes, remote
from tests.system import pipeflow_in

__all__ = ["processes", "remote"]

STEPS = """
import json
from importlib import resources
from pathlib import Path

from .helpers import FACTOR


def compute(n):
    table = json.loads(Path(__file__).with_name("table.json").read_text())
    template = resources.files("pkg.sub").joinpath("templates/line.txt").read_text()
    return template.format(value=n * FACTOR * table["scale"])
"""


def _project(remote: Remote) -> Path:
    folder = remote.project("package-data")
    (folder / "pkg" / "sub" / "templates").mkdir(parents=True)
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "sub" / "__init__.py").write_text("")
    (folder / "pkg" / "sub" / "helpers.py").write_text("FACTOR = 2\n")
    (folder / "pkg" / "sub" / "steps.py").write_text(textwrap.dedent(STEPS))
    (folder / "pkg" / "sub" / "table.json").write_text('{"scale": 10}')
    (folder / "pkg" / "sub" / "templates" / "line.txt").write_text("value {value}")
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name: packagedata
            {remote.results()}
            executor: {{type: dask, address: "{remote.address}"}}
            steps:
              compute: {{run: pkg.sub.steps.compute, inputs: {{n: 3}}}}
            """
        )
    )
    return config


def test_a_step_reads_its_package_data_on_a_remote_worker(remote: Remote) -> None:
    config = _project(remote)
    ran = pipeflow_in(config.parent, "run", "pipeline.yaml")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert pipeflow.load(config).result("compute").load() == "value 60"

    # Edited on this machine: the same long-lived workers read the new file.
    (config.parent / "pkg" / "sub" / "table.json").write_text('{"scale": 100}')
    run = pipeflow.load(config).run(no_cache=True, history=False)
    assert run.ok, run.outcomes
    assert run.output("compute") == "value 600"
