"""A Dask worker that cannot import pipeflow (installed with Dask alone, as a cluster image
may be) is named before anything runs, as a worker with another pipeflow version is (SPEC
section 14): exit 2, what to install where, and no traceback.

A real `dask scheduler` and a `dask worker` in its own mount namespace (where the project is
hidden), whose Python cannot import pipeflow: it is started through a script that puts an
import hook first, refusing `pipeflow` as a Python without it does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import pipeflow
from tests import system
from tests.execute.test_remote_cluster import Processes, _client, processes
from tests.servers import ObjectStore, free_port
from tests.system import pipeflow_in

__all__ = ["processes"]

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

WORKER = """
import sys


class WithoutPipeflow:
    def find_spec(self, name, path=None, target=None):
        if name == "pipeflow" or name.startswith("pipeflow."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, WithoutPipeflow())
sys.argv = ["dask worker", *sys.argv[1:]]
from distributed.cli.dask_worker import main

main()
"""


@pytest.fixture(scope="module")
def address(processes: Processes, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    hidden = tmp_path_factory.mktemp("laptop-bare")
    script = tmp_path_factory.mktemp("bare-worker") / "worker.py"
    script.write_text(WORKER)
    address = processes.scheduler(free_port())
    mount, bash, unshare = (system.program(p) for p in ("mount", "bash", "unshare"))
    command = (
        f'{mount} -t tmpfs none "{hidden}" && exec "{sys.executable}" "{script}" {address} '
        "--nthreads 1 --no-dashboard --no-nanny"
    )
    processes._start([unshare, "-m", bash, "-c", command], "bare-worker", env=dict(os.environ))
    _client(address, 1, processes).close()
    return address, hidden


@pytest.mark.parametrize("shared", [False, True], ids=["apart", "shared-filesystem"])
def test_a_worker_without_pipeflow_is_named_before_anything_runs(
    address: tuple[str, Path], s3_server: ObjectStore, shared: bool
) -> None:
    """Whether the code travels or the workers are said to share this machine's files:
    without pipeflow a worker can run no step (with a shared filesystem the run waited on
    tasks that never began)."""
    scheduler, hidden = address
    project = hidden / f"bare-{shared}"
    project.mkdir()
    marker = project / "ran"
    (project / "marking.py").write_text(
        "def mark(marker: str) -> None:\n    open(marker, 'w').close()\n"
    )
    endpoint = s3_server.storage_options["client_kwargs"]["endpoint_url"]
    config = project / "pipeline.yaml"
    config.write_text(
        "name: bare\n"
        f'results: {{root: "{s3_server.unique_url("bare")}", '
        f'storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}}}\n'
        f'executor: {{type: dask, address: "{scheduler}", '
        f"shared_filesystem: {str(shared).lower()}}}\n"
        f'steps:\n  mark: {{run: marking.mark, inputs: {{marker: "{marker}"}}}}\n'
    )
    ran = pipeflow_in(project, "run", config.name)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    said = " ".join(ran.stderr.split())
    assert "Traceback" not in ran.stderr, ran.stderr
    assert (
        f"pipeflow differs between this machine and the Dask workers at `{scheduler}`: "
        f"{pipeflow.__version__} here, not installed on tcp://"
    ) in said, said
    assert f"install pipeflow {pipeflow.__version__} on the workers" in said, said
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config).run(history=False)
    assert "not installed on tcp://" in str(raised.value)
    assert not marker.exists()
