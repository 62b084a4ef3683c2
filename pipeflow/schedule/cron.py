"""Cron triggers: a 5-field expression read on the wall clock of a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipeflow.schedule.zones import aware, local_instant

# Wall-clock candidates that map to an instant at or before the moment asked about (the
# repeated hour after clocks go back, the skipped hour before clocks go forward) are passed
# over; this bounds that loop far above the 60 or so a per-minute expression can produce.
_MAX_CANDIDATES = 10_000
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class CronTrigger:
    """Fires at the wall-clock times a cron expression names in `zone`, within start..end.

    croniter walks naive wall-clock times (so it never sees daylight saving); each is turned
    into an instant by `zones.local_instant`: a repeated time fires once (its first
    occurrence), a skipped time fires at the end of the gap. Several skipped times (e.g.
    02:00, 02:15, ... with `*/15`) fall on the same instant and fire once.
    """

    expression: str
    zone: ZoneInfo
    start: datetime | None = None  # aware; the first instant a fire may happen at
    end: datetime | None = None  # aware; the last instant a fire may happen at

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire strictly after `moment` (aware, in `zone`), or None after `end`."""
        from croniter import CroniterBadDateError, croniter

        after = aware(moment)
        if self.start is not None and self.start - _TICK > after:
            after = self.start - _TICK
        wall = after.astimezone(self.zone).replace(tzinfo=None)
        walker = croniter(self.expression, wall)
        for _ in range(_MAX_CANDIDATES):
            try:
                candidate_wall = walker.get_next(datetime)
            except CroniterBadDateError:  # e.g. `0 0 30 2 *`: no such day
                return None
            candidate = local_instant(candidate_wall, self.zone)
            if candidate <= after:
                continue
            if self.end is not None and candidate > self.end:
                return None
            return candidate
        return None
