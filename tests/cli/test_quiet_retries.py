"""`pipeflow run -q` shows only failures and the summary: an attempt that failed and was retried
is no failure of the step. Before, each retry's notice ("f: attempt 1 failed (...); retrying
in 0.00s") was printed under -q, on every executor, even when the step then succeeded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

__all__ = ["dask_address"]

STEPS = """
from pathlib import Path


def second_time(marker: str, item: int = 0) -> int:
    # Fails on its first call (for each item), succeeds on the next.
    path = Path(marker + str(item))
    if not path.exists():
        path.write_text("called")
        raise RuntimeError("first call fails")
    return item


def never(item: int = 0) -> int:
    raise RuntimeError("always fails")
"""

CONFIG = """
name: quiet
executor: {executor}
results: {{root: out}}
defaults: {{retries: 1, retry_delay: 0s}}
steps:
  once: {{run: qsteps.second_time, inputs: {{marker: "{marker}"}}}}
  items:
    run: qsteps.second_time
    inputs: {{marker: "{marker}"}}
    foreach: [1, 2]
    as: item
  broken: {{run: qsteps.never, after: [once, items]}}
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_quiet_shows_no_retry_but_the_failure_and_its_attempts(
    make_project: ProjectFactory, request: pytest.FixtureRequest, tmp_path: Path, executor: str
) -> None:
    marker = tmp_path / "called-"
    spec = executor_spec(executor, request)
    config = make_project(CONFIG.format(executor=spec, marker=marker), qsteps=STEPS)
    done = pipeflow_in(config.parent, "run", config.name, "-q")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "retrying" not in done.stdout + done.stderr
    assert "attempt 1 failed" not in done.stdout + done.stderr
    assert "broken: FAILED after 2 attempts: RuntimeError: always fails" in done.stdout
    assert done.stdout.strip().splitlines()[-1].endswith(": 2 done, 1 failed"), done.stdout
    # Without -q, each retry is said.
    for item in ("0", "1", "2"):
        Path(f"{marker}{item}").unlink()
    shown = pipeflow_in(config.parent, "run", config.name, "--force")
    assert "once: attempt 1 failed (RuntimeError: first call fails); retrying in" in shown.stdout
    assert "items: attempt 1 failed (item 1 of 2 (1): RuntimeError" in shown.stdout
    assert "broken: attempt 1 failed (RuntimeError: always fails); retrying in" in shown.stdout
