"""`when:` worked out before the run: from params and literals, and from the stored values of
cached steps.

A `when:` that names a step's value is known before the run when that step is taken from the
cache and the value is small (`SMALL`): it is read from the store, as the run would read it, so
that `status` and `run --dry-run` say "`when` is false" for a step the run will skip, rather
than "run". Anything else (a step that runs, a large or unreadable value, a `foreach` step's
items) is left to the run, which decides when the value exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

from pipeflow.cache.results import ResultCache
from pipeflow.model.pipeline import Step
from pipeflow.model.refs import Ref, references, resolve
from pipeflow.storage import Manifest

SMALL = 64 * 1024  # bytes stored, at most, of the values a `when:` is worked out from


class _Unknown(Exception):
    """A value a `when:` needs that is not known before the run."""


def static_when(when: Any, lookup: Callable[[Ref], Any]) -> bool | None:
    """The value of a `when:` known before the run, or None when it needs a step's value."""
    if when is None:
        return True
    if isinstance(when, bool):
        return when
    if any(ref.scope == "steps" for ref in references(when)):
        return None
    return truthy(resolve(when, lookup))


def truthy(value: Any) -> bool:
    """How a `when:` value reads: strings such as 'false', 'no', '0' and '' are false."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "off", "0", "none", "null")
    return bool(value)


def stored_when(
    when: Any,
    lookup: Callable[[Ref], Any],
    steps: Mapping[str, Step],
    stored: Callable[[str], tuple[Manifest, ResultCache] | None],
) -> bool | None:
    """The value of a `when:` that names steps' values, read from their stored results; None
    when one of them is not known before the run. `stored(name)`: the manifest and cache of a
    step taken from the cache, or None."""

    def value(ref: Ref) -> Any:
        if ref.scope != "steps":
            return lookup(ref)
        found = stored(ref.step)
        if found is None:
            raise _Unknown
        manifest, cache = found
        outputs = steps[ref.step].outputs
        names = [ref.part] if ref.part is not None and outputs else list(manifest.parts)
        if any(name not in manifest.parts for name in names):
            raise _Unknown
        if sum(manifest.parts[name].size for name in names) > SMALL:
            raise _Unknown
        try:
            read = cache.load(manifest, names)
            if ref.part is None:
                return read
            if outputs:
                return read[ref.part] if isinstance(read, Mapping) else read  # `outputs: [value]`
        except Exception as error:  # damaged, unsigned, gone: the run reports it
            raise _Unknown from error
        if isinstance(read, Mapping) and ref.part in read:
            return read[ref.part]
        raise _Unknown  # the run says the key is missing

    with suppress(_Unknown):
        return truthy(resolve(when, value))
    return None
