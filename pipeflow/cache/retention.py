"""What `pipeflow gc` keeps and what it reports (`collect.py` judges and deletes): the retention
rules given on the command line, and what one collection found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pipeflow.errors import UsageError
from pipeflow.model.durations import parse_duration
from pipeflow.storage import Manifest, ResultStore


@dataclass(frozen=True)
class Retention:
    """What gc keeps besides current results (see the module's docstring)."""

    keep_last: int = 3
    older_than: timedelta | None = None
    grace: timedelta = timedelta(hours=1)
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    # The results of a step the config no longer has go too, its latest included (but the
    # young ones): by default they stay, for a branch or a copy of the config that has it.
    removed_steps: bool = False

    @property
    def cutoff(self) -> datetime:
        """Anything written after this instant is kept."""
        age = max(self.grace, self.older_than or timedelta(0))
        return self.now - age

    def young(self, written: datetime | None) -> bool:
        """Whether an object written at `written` (None: unknown) is kept for its age."""
        if written is None:
            return self.cutoff < self.now  # unknown age: kept, unless no age protects anything
        return written > self.cutoff


@dataclass(frozen=True)
class Removal:
    """One object gc deletes (or would, in a dry run)."""

    kind: str  # manifest, payload or blob
    path: str  # relative to the store's root
    size: int


@dataclass(frozen=True)
class Collection:
    """What gc found in one store: what goes, and how many manifests stay and why."""

    store: ResultStore
    removals: tuple[Removal, ...]
    kept: Mapping[str, int]  # reason -> manifests of the pipelines asked about kept for it
    # Journals rewritten with only these of their records (the others are RECORD removals).
    rewrites: Mapping[str, tuple[Manifest, ...]] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(removal.kind == kind for removal in self.removals)

    @property
    def size(self) -> int:
        return sum(removal.size for removal in self.removals)


@dataclass(frozen=True)
class Report:
    """What one `pipeflow gc` deleted (or, in a dry run, would delete), store by store."""

    collections: tuple[Collection, ...]
    dry_run: bool = False

    @property
    def removals(self) -> tuple[Removal, ...]:
        return tuple(removal for found in self.collections for removal in found.removals)

    def count(self, kind: str) -> int:
        return sum(found.count(kind) for found in self.collections)

    @property
    def size(self) -> int:
        return sum(found.size for found in self.collections)

    @property
    def kept(self) -> dict[str, int]:
        """Manifests kept, per reason, over every store."""
        total: dict[str, int] = {}
        for found in self.collections:
            for reason, count in found.kept.items():
                total[reason] = total.get(reason, 0) + count
        return total


def age(value: object, option: str) -> timedelta | None:
    """An age given as `7d`, `12h30m`, a number of seconds or a timedelta; None stays None.
    UsageError (exit 2) for anything else."""
    if value is None or isinstance(value, timedelta):
        if isinstance(value, timedelta) and value < timedelta(0):
            raise UsageError(f"{option}: an age cannot be negative, got {value}")
        return value
    if not isinstance(value, str | int | float):
        raise UsageError(f"{option}: expected an age such as `7d`, got {type(value).__name__}")
    hint = "write an age like `7d`, `12h` or `90m`"
    try:
        return timedelta(seconds=parse_duration(value))
    except ValueError as error:
        raise UsageError(f"{option}: {error}", hint=hint) from None
    except OverflowError:
        raise UsageError(f"{option}: `{value}` is too long an age", hint=hint) from None
