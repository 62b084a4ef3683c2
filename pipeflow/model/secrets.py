"""Secrets: the values pipeflow must never show, and the one way every output masks them.

The loader knows which values are secret: every environment variable a `${env.*}` reads
anywhere in a config (or a sub-pipeline's), and every storage credential (a value of
`results.storage_options` or a step's `result.storage_options` under a key such as `key`,
`secret`, `token` or `password`, even when written literally; a URL's password). It builds
one `Secrets`, and every channel goes through it: the engine masks each event before any
subscriber (console, live progress, JSON lines, history, CI reports) sees it, the loader masks
its problems, the API masks its errors, plans and result locations, and the command line masks
the errors and warnings it prints with everything the process has learnt (`known()`).

Masking replaces each occurrence of a secret value in a text, in the forms a channel may
write it (raw, JSON- and repr-escaped, URL-quoted, HTML-escaped), by `***`. Values shorter
than `MIN_LENGTH` are not masked in free text ("1" or "dev" would blank out half of every
message); a param whose value came from the environment is masked by name as well, whatever
its length or type.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, quote_plus

from pipeflow.errors import ConfigError, PipeflowError, Problem, mask_warnings_with
from pipeflow.records import record

if TYPE_CHECKING:  # imported where used: validation masks problems, never events
    from pipeflow.model.events import Event
    from pipeflow.model.run import Decision, StepOutcome

MASK = "***"
MIN_LENGTH = 4  # shorter values are masked by param name only, never in free text

# Keys of storage options whose values are credentials, even when written in the config.
CREDENTIAL_KEY = re.compile(
    r"key|secret|token|passw|credential|auth|session|signature|private|sas|connection",
    re.IGNORECASE,
)

T = TypeVar("T")


def spellings(value: str) -> set[str]:
    """The forms a value takes when a channel writes it out."""
    import html  # only once there is a secret: most runs have none

    forms = {
        value,
        json.dumps(value, allow_nan=False)[1:-1],
        json.dumps(value, ensure_ascii=False, allow_nan=False)[1:-1],
        repr(value)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
        quote(value),
        quote(value, safe=""),
        quote_plus(value),
    }
    # A multi-line secret (a private key) is printed, captured and stored line by line.
    forms.update(line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_LENGTH)
    return {form for form in forms if len(form) >= MIN_LENGTH}


@record
class Secrets:
    """What must never be shown: secret values, and the params whose values are secret."""

    values: frozenset[str] = frozenset()
    params: frozenset[str] = frozenset()  # dotted names of params from the environment
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        forms = {form for value in self.values for form in spellings(value)}
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(forms, key=lambda form: (-len(form), form))
        pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        object.__setattr__(self, "_pattern", pattern)

    def __bool__(self) -> bool:
        return bool(self.values or self.params)

    def __or__(self, other: Secrets) -> Secrets:
        return Secrets(values=self.values | other.values, params=self.params | other.params)

    def __reduce__(self) -> tuple[Any, ...]:  # the compiled pattern is rebuilt, not pickled
        return (Secrets, (self.values, self.params))

    def hides(self, path: Sequence[str]) -> bool:
        """Whether the param at `path` holds a value from the environment (is one, is inside
        one, or holds one)."""
        dotted = ".".join(path)
        if not dotted:
            return bool(self.params)
        return any(
            dotted == name or dotted.startswith(name + ".") or name.startswith(dotted + ".")
            for name in self.params
        )

    # -- text ---------------------------------------------------------------------------------

    def mask(self, text: str) -> str:
        """`text` with every secret value in it replaced by `***`."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def labels(self, texts: Sequence[str]) -> list[str]:
        """Names for paths that may be shown and stored (a manifest's `files`): each masked,
        and made distinct where two differ only in a secret (`data/***/a.txt`, then
        `data/***/a.txt (2)`), so the same paths in the same order always get the same names."""
        found: list[str] = []
        for text in texts:
            label = candidate = self.mask(text)
            count = 1
            while candidate in found:
                count += 1
                candidate = f"{label} ({count})"
            found.append(candidate)
        return found

    def mask_optional(self, text: str | None) -> str | None:
        return None if text is None else self.mask(text)

    def mask_data(self, value: T) -> T:
        """Every string inside plain data (mappings, lists, tuples), keys included, masked."""
        if self._pattern is None:
            return value
        return self._data(value)  # type: ignore[no-any-return]

    def _data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, Mapping):
            return {self._data(key): self._data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._data(item) for item in value]
        if type(value) is tuple:
            return tuple(self._data(item) for item in value)
        return value

    def redact(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Params as they may be stored or shown: a param from the environment is `***`
        (by name, whatever its value), and secret values inside any other are masked."""

        def walk(value: Any, path: str) -> Any:
            if path in self.params or any(path.startswith(name + ".") for name in self.params):
                return MASK
            if isinstance(value, Mapping):
                return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
            return self.mask_data(value)

        return {str(name): walk(value, str(name)) for name, value in params.items()}

    # -- pipeflow's records -------------------------------------------------------------------

    def outcome(self, outcome: StepOutcome) -> StepOutcome:
        if self._pattern is None:
            return outcome
        from pipeflow.model.events import outcome_texts

        return outcome_texts(outcome, self.mask)

    def decision(self, decision: Decision) -> Decision:
        if self._pattern is None:
            return decision
        from pipeflow.model.events import decision_texts

        return decision_texts(decision, self.mask)

    def problem(self, problem: Problem) -> Problem:
        if self._pattern is None:
            return problem
        return replace(
            problem, message=self.mask(problem.message), hint=self.mask_optional(problem.hint)
        )

    def event(self, event: Event) -> Event:
        """The event as subscribers may see it. Names (run, pipeline, step) are never masked:
        they come from the config and key every record."""
        if not self:
            return event
        from pipeflow.model.events import event_texts

        return event_texts(event, self.mask, self.redact)

    def error(self, error: PipeflowError) -> PipeflowError:
        """Mask an error's message (a ConfigError's every problem) in place; returns it."""
        if self._pattern is None:
            return error
        if isinstance(error, ConfigError):
            error.problems = tuple(self.problem(problem) for problem in error.problems)
            error.args = (error.format(),)
        else:
            error.args = tuple(self.mask(a) if isinstance(a, str) else a for a in error.args)
        return error

    @contextlib.contextmanager
    def masking(self) -> Iterator[None]:
        """Any PipeflowError leaving the block has its message masked."""
        try:
            yield
        except PipeflowError as error:
            self.error(error)
            raise


NO_SECRETS = Secrets()


def storage_credentials(options: Any, *, under_credential: bool = False) -> set[str]:
    """The credential values in (resolved) storage options: every string under a key that
    names a credential, at any depth."""
    found: set[str] = set()
    if isinstance(options, Mapping):
        for key, value in options.items():
            secret = under_credential or bool(CREDENTIAL_KEY.search(str(key)))
            found |= storage_credentials(value, under_credential=secret)
    elif isinstance(options, list | tuple):
        for value in options:
            found |= storage_credentials(value, under_credential=under_credential)
    elif under_credential and isinstance(options, str):
        found.add(options)
    return found


def secret_scalars(value: Any) -> set[str]:
    """The texts of a secret param's value as messages would show them (`42` for an int
    read from the environment as `042`)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for item in value.values():
            found |= secret_scalars(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= secret_scalars(item)
    elif isinstance(value, str):
        found.add(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found.update({str(value), repr(value)})
    return found


# -- what this process knows ------------------------------------------------------------------
# The command line prints errors and warnings that may come from deep inside a run (a store's
# warning naming a location); it masks them with every secret any load in this process found.

_known = NO_SECRETS
_known_lock = threading.Lock()


def remember(secrets: Secrets) -> None:
    """Add to what `known()` masks."""
    global _known
    if not secrets.values or secrets.values <= _known.values:
        return
    with _known_lock:
        _known = Secrets(values=_known.values | secrets.values)


def known() -> Secrets:
    """Every secret value a load in this process has found."""
    return _known


mask_warnings_with(lambda text: known().mask(text))
