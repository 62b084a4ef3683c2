"""A declared write whose folder cannot be made, because a file stands where a folder on the
way must be (`writes: [data/plain/sub.txt]` with `data/plain` a file), fails its step saying
which path is in the way and what to do; the run goes on as after any failed step (exit 1,
`--keep-going` runs the others). Before, the run ended in a FileExistsError traceback from
the folder's `mkdir`, the other steps unrun and nothing said which path was wrong. On every
executor, for a step and for the items of a `foreach` step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

STEPS = """\
from pathlib import Path


def write(out):
    Path(out).write_text("written")
    return 1


def fine():
    return 2
"""

SINGLE = """\
name: blocked
results: {root: out}
executor: EXECUTOR
steps:
  writer:
    run: blocked_steps.write
    inputs: {out: data/plain/sub.txt}
    writes: [data/plain/sub.txt]
  other: {run: blocked_steps.fine}
"""

ITEMS = """\
name: blocked
results: {root: out}
executor: EXECUTOR
steps:
  writer:
    run: blocked_steps.write
    foreach: [data/plain/a.txt, data/plain/b.txt]
    as: out
    writes: ["${out}"]
  other: {run: blocked_steps.fine}
"""


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("shape", ["step", "items"])
def test_a_file_where_a_write_needs_a_folder_fails_its_step_in_words(
    tmp_path: Path, request: pytest.FixtureRequest, executor: str, shape: str
) -> None:
    (tmp_path / "blocked_steps.py").write_text(STEPS, encoding="utf-8")
    config = (SINGLE if shape == "step" else ITEMS).replace(
        "EXECUTOR", executor_spec(executor, request)
    )
    (tmp_path / "pipeline.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "plain").write_text("a file, not a folder", encoding="utf-8")
    done = pipeflow_in(tmp_path, "run", "pipeline.yaml", "--keep-going")
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "Traceback" not in said
    assert "writer: FAILED" in said
    assert "data/plain is a file, where the folder the step writes into must be" in said
    assert "other: done" in said
    assert (tmp_path / "data" / "plain").read_text() == "a file, not a folder"
