"""Empty folders travel both ways on a Dask cluster whose workers share no filesystem with
the client ("all executors give the same results"): a folder input's copy on the worker has
its empty sub-folders, and an empty folder a step makes inside a folder it `writes:` is there
when that folder is copied back."""

from __future__ import annotations

import pytest

import pipeflow
from tests.execute.test_remote_cluster import Remote, processes, remote

__all__ = ["processes", "remote"]

STEPS = """
import os
from pathlib import Path


def listing(src: str, out: str) -> list:
    seen = sorted(
        os.path.relpath(os.path.join(root, name), src)
        for root, folders, files in os.walk(src)
        for name in folders + files
    )
    Path(out, "logs", "deep").mkdir(parents=True)  # empty folders of the step's own
    Path(out, "result.txt").write_text("done")
    return seen
"""


@pytest.mark.parametrize("no_cache", [False, True], ids=["stored", "no-cache"])
def test_empty_folders_travel_to_the_worker_and_back(remote: Remote, no_cache: bool) -> None:
    folder = remote.project("empty")
    (folder / "emptysteps.py").write_text(STEPS)
    (folder / "data" / "in" / "empty").mkdir(parents=True)
    (folder / "data" / "in" / "nested" / "inner").mkdir(parents=True)
    (folder / "data" / "in" / "a.txt").write_text("a")
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: empty\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        "  listing:\n"
        "    run: emptysteps.listing\n"
        "    inputs: {src: data/in, out: out}\n"
        "    writes: [out/]\n"
    )
    run = pipeflow.load(config).run(history=False, no_cache=no_cache)
    assert run.ok, run.outcomes
    assert run.output("listing") == ["a.txt", "empty", "nested", "nested/inner"]
    assert (folder / "out" / "result.txt").read_text() == "done"
    assert (folder / "out" / "logs" / "deep").is_dir()
