"""Ctrl-C while a large result is written to a local store leaves no temporary file behind, on
every executor. A payload is written to `.NAME.tmp-UUID` beside its place and moved there whole
(`storage/publish.py`); the run's own process removes that file as Ctrl-C unwinds it, but on
`processes` the run ends its workers with SIGTERM, and a worker ended in the middle of a write
left its temporary: as large as the value was by then (hundreds of MB), hidden, for good.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from tests.interrupting import interrupted

STEPS = """
import numpy as np


def big(seed):
    value = np.random.default_rng(seed).random(15_000_000)  # 120 MB to write
    print("made", flush=True)
    return value
"""

RESULTS = {"payload": "{format: npy}", "target": '{target: "arrays/big.npy"}'}


def _project(folder: Path, result: str) -> Path:
    (folder / "writesteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: writes
            params: {{seed: 1}}
            results: {{root: results}}
            steps:
              big: {{run: writesteps.big, inputs: {{seed: "${{params.seed}}"}}, result: {result}}}
            """
        )
    )
    return config


@pytest.mark.parametrize("place", sorted(RESULTS))
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_ctrl_c_during_a_local_write_leaves_no_temporary(
    tmp_path: Path, executor: str, place: str
) -> None:
    """Ctrl-C at points into the write; how long it takes varies with the machine's load: an
    attempt whose write was over first succeeded, and the next presses earlier or later."""
    config = _project(tmp_path, RESULTS[place])
    landed = 0
    for seed, settle in enumerate([0.05, 0.2, 0.0, 0.4, 0.1, 0.3]):
        command = [sys.executable, "-m", "pipeflow", "run", str(config), "--executor", executor]
        code, output = interrupted(
            [*command, "--param", f"seed={seed}"], cwd=tmp_path, marker="made", settle=settle
        )
        assert "Traceback" not in output, output
        left = [p for p in (tmp_path / "results").rglob("*") if ".tmp-" in p.name]
        assert left == [], (left, output)
        if " succeeded in " in output:
            continue
        assert code == 130, output
        landed += 1
        if landed == 2:
            break
    assert landed, "Ctrl-C never came during the write"
