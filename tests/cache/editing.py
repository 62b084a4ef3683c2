"""What the code-fingerprint tests share: edit a source file, see which steps `status` would
run, and check that a run then serves what a run without the cache computes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pipeflow
from pipeflow.model.run import Action


def rerun_after(config: Path, file: Path, old: str, new: str) -> tuple[set[str], str]:
    """Replace `old` by `new` in `file`; the steps `status` says run, and every reason (for a
    failure's message)."""
    text = file.read_text()
    assert old in text, (file, old)
    file.write_text(text.replace(old, new))
    decisions = pipeflow.load(config).status()
    ran = {d.step for d in decisions if d.action is Action.RUN}
    return ran, "; ".join(f"{d.step}: {d.reason}" for d in decisions)


def assert_nothing_stale(config: Path, steps: Iterable[str]) -> None:
    """A run (from the cache where it can) gives what a run without the cache computes."""
    run = pipeflow.load(config).run()
    fresh = pipeflow.load(config).run(no_cache=True)
    assert run.ok, run.failed
    assert fresh.ok, fresh.failed
    for name in steps:
        assert run.output(name) == fresh.output(name), name
