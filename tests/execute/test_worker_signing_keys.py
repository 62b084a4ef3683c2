"""Workers apart that sign pickled results with another key than this machine's (SPEC 14,
docs/caching.md "signed pickles"): this machine refuses what they store, so each such step
would run again on every run, saying only that a stored result was ignored. The run says
so before any step runs, with both key ids and what to do; workers given this machine's key
(`PIPEFLOW_SIGNING_KEY`) pass without a word, and their results are cached.

A real `dask scheduler` and a `dask worker` in its own mount namespace (where the project is
hidden), with a key folder of its own; results on moto's S3 server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import system
from tests.execute.test_remote_cluster import Processes, _client, _dask, processes
from tests.servers import ObjectStore, free_port
from tests.system import pipeflow_in

__all__ = ["processes"]

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

KEY = "k" * 40  # this machine's key, as PIPEFLOW_SIGNING_KEY
KEY_ID = "d29555ef3482"  # its id, as messages show it


def _cluster(processes: Processes, hidden: Path, home: Path, key: str | None) -> str:
    env = {**os.environ, "XDG_CONFIG_HOME": str(home)}
    env.pop("PIPEFLOW_SIGNING_KEY", None)
    if key is not None:
        env["PIPEFLOW_SIGNING_KEY"] = key
    address = processes.scheduler(free_port())
    mount, bash, unshare = (system.program(p) for p in ("mount", "bash", "unshare"))
    command = (
        f'{mount} -t tmpfs none "{hidden}" && exec "{_dask()}" worker {address} '
        "--nworkers 1 --nthreads 1 --no-dashboard"
    )
    processes._start([unshare, "-m", bash, "-c", command], "keyed-worker", env=env)
    _client(address, 1, processes).close()
    return address


@pytest.mark.parametrize("worker_key", ["own", "same"])
def test_workers_with_another_signing_key_are_named_before_anything_runs(
    processes: Processes,
    s3_server: ObjectStore,
    tmp_path_factory: pytest.TempPathFactory,
    worker_key: str,
) -> None:
    hidden = tmp_path_factory.mktemp("laptop-keys")
    home = tmp_path_factory.mktemp("worker-home")  # the worker's own key file goes there
    address = _cluster(processes, hidden, home, KEY if worker_key == "same" else None)
    project = hidden / "keyed"
    project.mkdir()
    (project / "blobs.py").write_text("def blob() -> bytes:\n    return b'x' * 100000\n")
    endpoint = s3_server.storage_options["client_kwargs"]["endpoint_url"]
    config = project / "pipeline.yaml"
    config.write_text(
        "name: keyed\n"
        f'results: {{root: "{s3_server.unique_url("keyed")}", '
        f'storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}}}\n'
        f'executor: {{type: dask, address: "{address}"}}\n'
        "steps:\n  blob: {run: blobs.blob}\n"  # bytes: stored as a pickle
    )
    env = {"PIPEFLOW_SIGNING_KEY": KEY}
    first = pipeflow_in(project, "run", config.name, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    again = pipeflow_in(project, "run", config.name, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    said = " ".join((first.stderr + again.stderr).split())
    if worker_key == "same":
        assert "another key" not in said, said
        assert "blob: cached" in again.stdout, again.stdout
        return
    warning = (
        f"warning: the Dask workers at `{address}` sign pickled results with another key "
        f"than this machine's (id {KEY_ID} here, from $PIPEFLOW_SIGNING_KEY; id "
    )
    assert warning in said, said
    assert "on tcp://" in said, said
    assert "give the workers this machine's key in PIPEFLOW_SIGNING_KEY" in said, said
    assert "blob: done" in again.stdout, again.stdout  # as said: it runs again
