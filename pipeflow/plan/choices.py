"""What a run, plan or status was asked for: the steps selected, and how the cache is used."""

from __future__ import annotations

from pipeflow.records import record

__all__ = ["CachePolicy", "Selection"]


@record
class Selection:
    """What the user asked to run."""

    only: tuple[str, ...] = ()
    start: str | None = None
    until: str | None = None
    tags: tuple[str, ...] = ()  # steps with any of these tags


@record
class CachePolicy:
    """How this run uses the cache."""

    use: bool = True  # False: --no-cache
    force: tuple[str, ...] = ()  # step names, or ALL
    # `--frozen`: a step whose result is never stored is `deferred`, as a read is: it computes
    # the value the stored steps after it are keyed on, and they are decided once it has run.
    frozen: bool = False
