"""Text that any channel can write: lone surrogates shown as `\\udcff`-style escapes.

A step's text may hold characters no encoder takes: a lone surrogate, which is how Python
decodes a file name that is not UTF-8 (`os.listdir` on a Latin-1 name gives `caf\\udce9.csv`).
Written as is, it fails every UTF-8 writer: the history's database, the `--json` and `--junit`
reports, the console on a strict terminal, the UI's JSON. The engine passes every event
through `event()` (after masking its secrets), so every subscriber, pipeflow's and the user's,
sees such a character as the six characters of its escape; the history and the reports escape
what they write again, for text that did not come through the engine.
`takes_utf8`: whether a stream takes every character (a console or pipe may be ASCII).
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pipeflow.model.events import RunFinished, StepFinished, StepStarted, event_texts

if TYPE_CHECKING:
    from pipeflow.model.events import Event
    from pipeflow.model.run import StepOutcome

T = TypeVar("T")


def printable(text: str) -> str:
    """`text` with each character UTF-8 cannot encode (a lone surrogate) as its escape."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def printable_optional(text: str | None) -> str | None:
    return None if text is None else printable(text)


def printable_data(value: T) -> T:
    """Every string inside plain data (mappings, lists, tuples), keys included, printable."""
    return cast(T, _data(value))


def _data(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {_data(key): _data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_data(item) for item in value]
    if type(value) is tuple:
        return tuple(_data(item) for item in value)
    return value


def event(event: Event) -> Event:
    """The event with every text in it printable (names are ASCII: the config's schema says
    so). Returns the same event when nothing changes, as most do: every event passes here, and
    a step's that holds only ASCII is let through after a look at its texts."""
    if type(event) is StepStarted and event.reason.isascii():
        return event
    if type(event) is StepFinished and _ascii(event.outcome):
        return event
    if type(event) is RunFinished and all(_ascii(outcome) for outcome in event.outcomes):
        return event
    return event_texts(event, printable, printable_data)


def _ascii(outcome: StepOutcome) -> bool:
    return (
        outcome.reason.isascii()
        and (outcome.error is None or outcome.error.isascii())
        and (outcome.traceback is None or outcome.traceback.isascii())
        and all(location.isascii() for location in outcome.locations)
    )


def takes_utf8(stream: object) -> bool:
    """Whether `stream` writes UTF-8 (or text alone, as `io.StringIO`), so that every
    character reaches it; an ASCII or Latin-1 terminal or pipe does not."""
    encoding = getattr(stream, "encoding", None)
    if encoding is None:
        return True
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False
