"""What `pipeflow runs show RUN` says of one step, for tests of durations and attempts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def shown_seconds(folder: Path, run_id: str, step: str) -> float:
    """The duration `pipeflow runs show` gives `step` of run `run_id` (run from `folder`)."""
    shown = subprocess.run(
        [sys.executable, "-m", "pipeflow", "runs", "show", run_id],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in shown.splitlines() if line.strip().startswith(f"{step} "))
    seconds = re.search(r"([0-9.]+)s", line)
    assert seconds is not None, shown
    return float(seconds.group(1))
