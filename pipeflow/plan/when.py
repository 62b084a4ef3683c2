"""`when:` worked out before the run: from params and literals, and from the stored values of
cached steps.

A `when:` that names a step's value is known before the run when that step is taken from the
cache and the value is small (`SMALL`): it is read from the store, as the run would read it, so
that `status` and `run --dry-run` say "`when` is false" for a step the run will skip, rather
than "run". Anything else (a step that runs, a large or unreadable value) is left to the run,
which decides when the value exists.

A `foreach:` that names a cached step's value is worked out the same way (`stored_items`), so
that its items' stored results are found before the run: `status` says it is cached, `run
--frozen` passes, `--only` a step after it takes it from the cache. A cached `foreach` step's
own value is the list of its items' stored results, in order.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

from pipeflow.cache.results import ResultCache
from pipeflow.model.pipeline import Step
from pipeflow.model.refs import Ref, references, resolve
from pipeflow.model.words import a_kind
from pipeflow.storage import Manifest

SMALL = 64 * 1024  # bytes stored, at most, of the values a `when:` is worked out from
ITEMS = 16 * 1024 * 1024  # and of those a `foreach:` is (its items' keys need the list whole)


class _Unknown(Exception):
    """A value a `when:` needs that is not known before the run."""


class WhenUndecided(ValueError):
    """A `when:` value that is neither true nor false (its `bool()` raises, and it has no size)."""


def static_when(when: Any, lookup: Callable[[Ref], Any]) -> bool | None:
    """The value of a `when:` known before the run, or None when it needs a step's value (or
    cannot be told: the run then fails the step, saying why)."""
    if when is None:
        return True
    if isinstance(when, bool):
        return when
    if any(ref.scope == "steps" for ref in references(when)):
        return None
    with suppress(WhenUndecided):
        return truthy(resolve(when, lookup))
    return None


def truthy(value: Any) -> bool:
    """How a `when:` value reads: strings such as 'false', 'no', '0' and '' are false, and so
    is an empty collection: a DataFrame, Series or numpy array counts by its size (its
    `bool()` raises "ambiguous"). WhenUndecided for a value that can tell neither."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "off", "0", "none", "null")
    try:
        return bool(value)
    except Exception as error:
        size = getattr(value, "size", None)
        if isinstance(size, numbers.Integral):
            return int(size) > 0
        try:
            return len(value) > 0
        except Exception:
            raise WhenUndecided(
                f"`when` cannot tell whether {a_kind(type(value).__name__)} is true or false "
                f"({type(error).__name__}: {error}); make the step it names return a boolean"
            ) from None


Stored = Callable[[str], tuple[Manifest, ResultCache] | None]
StoredItems = Callable[[str], tuple[list[Manifest], ResultCache] | None]


def stored_when(
    when: Any,
    lookup: Callable[[Ref], Any],
    steps: Mapping[str, Step],
    stored: Stored,
    stored_items: StoredItems = lambda name: None,
) -> bool | None:
    """The value of a `when:` that names steps' values, read from their stored results; None
    when one of them is not known before the run. `stored(name)`: the manifest and cache of a
    step taken from the cache, or None; `stored_items(name)`: the same for a `foreach` step,
    its items' manifests in order."""
    value = _stored_lookup(lookup, steps, stored, stored_items, SMALL)
    with suppress(_Unknown, WhenUndecided):  # undecided: the run fails the step, saying why
        return truthy(resolve(when, value))
    return None


def stored_items(
    foreach: Any,
    lookup: Callable[[Ref], Any],
    steps: Mapping[str, Step],
    stored: Stored,
    stored_items: StoredItems,
) -> Any:
    """What a `foreach:` that names steps' values comes to, read from their stored results
    (each at most ITEMS bytes, as the run would read them); None when one of them is not
    known before the run."""
    value = _stored_lookup(lookup, steps, stored, stored_items, ITEMS)
    with suppress(_Unknown):
        return resolve(foreach, value)
    return None


def _stored_lookup(
    lookup: Callable[[Ref], Any],
    steps: Mapping[str, Step],
    stored: Stored,
    stored_items: StoredItems,
    limit: int,
) -> Callable[[Ref], Any]:
    """A lookup that reads steps' values from their stored results, up to `limit` bytes
    each, and raises _Unknown for one it cannot."""

    def value(ref: Ref) -> Any:
        if ref.scope != "steps":
            return lookup(ref)
        if steps[ref.step].foreach is not None:
            return _items(ref, steps[ref.step], stored_items, limit)
        found = stored(ref.step)
        if found is None:
            raise _Unknown
        manifest, cache = found
        outputs = steps[ref.step].outputs
        names = [ref.part] if ref.part is not None and outputs else list(outputs or manifest.parts)
        if any(name not in manifest.parts for name in names):
            raise _Unknown
        if sum(manifest.parts[name].size for name in names) > limit:
            raise _Unknown
        try:
            read = cache.load(manifest, names if outputs else ())
            if ref.part is None:
                return read
            if outputs:
                return read[ref.part]
        except Exception as error:  # damaged, unsigned, gone: the run reports it
            raise _Unknown from error
        if isinstance(read, Mapping) and ref.part in read:
            return read[ref.part]
        raise _Unknown  # the run says the key is missing

    return value


def _items(ref: Ref, step: Step, stored_items: StoredItems, limit: int) -> list[Any]:
    """A cached `foreach` step's value, the list of its items' results (with `outputs:`, each
    item's dict of parts in `outputs:` order), or of each item's PART (`${steps.NAME.PART}`),
    as the run reads them."""
    found = stored_items(ref.step)
    if found is None or (ref.part is not None and not step.outputs):
        raise _Unknown  # a key of items without `outputs:`: the run says what is wrong
    manifests, cache = found
    names = [ref.part] if ref.part is not None else list(step.outputs)
    if any(name not in manifest.parts for manifest in manifests for name in names):
        raise _Unknown
    if sum(item.parts[name].size for item in manifests for name in names or item.parts) > limit:
        raise _Unknown
    try:
        read = cache.load_all(manifests, names)
    except Exception as error:  # damaged, unsigned, gone: the run reports it
        raise _Unknown from error
    if ref.part is None:
        return read
    return [value[ref.part] for value in read]
