"""What a test project's steps were called for: each step notes its name in `calls.log`
beside its module, and a test reads (and empties) that log to see what really ran."""

from __future__ import annotations

from pathlib import Path


def calls_in_order(folder: Path) -> list[str]:
    """The names noted in `folder`'s `calls.log` since the last look, in call order; the log
    is emptied."""
    log = folder / "calls.log"
    found = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return found


def calls(folder: Path) -> list[str]:
    """As `calls_in_order`, sorted: for steps that may run side by side."""
    return sorted(calls_in_order(folder))
