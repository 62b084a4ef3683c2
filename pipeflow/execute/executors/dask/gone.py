"""A scheduler gone in the middle of a run (killed, its machine gone): each step running there
fails saying so (`protocol.lost`), and a value left there is said to be lost. What
`distributed`'s client logs meanwhile is left out: its ERROR line on the reconnection it gave
up, and the tracebacks of the close that follows racing with that reconnection (a
CancelledError of its own), which would come beside pipeflow's words and say less."""

from __future__ import annotations

import asyncio
import logging


class _SaidByPipeflow(logging.Filter):
    """Drops the client's own lines on a scheduler gone: the steps' errors say it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Failed to reconnect to scheduler after"):
            return False
        raised = record.exc_info[1] if record.exc_info else None
        return not isinstance(raised, asyncio.CancelledError)


_FILTER = _SaidByPipeflow()


def quiet_client() -> None:
    """For the run's client: no raw ERROR line or traceback of `distributed` on a scheduler
    gone beside pipeflow's words."""
    logging.getLogger("distributed.client").addFilter(_FILTER)  # once: a set of one
