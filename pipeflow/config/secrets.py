"""A config's secrets: the environment values it reads and its storage credentials.

Found from the document itself, so that every `${env.*}` counts wherever it is written
(params, inputs, `when`, `foreach`, roots, storage options, a sub-pipeline's `params:`), and
from the built pipeline, whose storage options (a sub-pipeline's included) are resolved with
the merged params to find the credentials in them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from pipeflow.config.reader import Document
from pipeflow.model.pipeline import Pipeline
from pipeflow.model.refs import (
    Ref,
    ReferenceSyntaxError,
    lookup_path,
    parse_string,
    references,
    resolve,
)
from pipeflow.model.secrets import Secrets, secret_scalars, storage_credentials


def find_secrets(
    document: Document,
    pipeline: Pipeline,
    params: Mapping[str, Any],
    secret_params: Iterable[str],
    *,
    environment: frozenset[str] | None = None,
) -> Secrets:
    """What a loaded config must never show; robust to a config with problems.

    `environment`: `environment_values(document)`, when the caller has it already."""
    values = set(environment_values(document) if environment is None else environment)

    def lookup(ref: Ref) -> Any:
        if ref.scope == "params":
            return lookup_path(params, ref.path)
        if ref.scope == "env":
            value = os.environ.get(ref.path[0])
            return ref.default if value is None else value
        return ref.text  # `${run.*}` is not known yet, and is no secret

    stores = [(pipeline.results.root, pipeline.results.storage_options)]
    stores += [
        (step.result.root, step.result.storage_options)
        for step in pipeline.steps.values()
        if step.result.root is not None or step.result.storage_options
    ]  # a step with neither has no store of its own
    for root, options in stores:
        values |= storage_credentials(_resolved(options, lookup))
        password = _password(_resolved(root, lookup))
        if password:
            values.add(password)
    names = frozenset(secret_params)
    for name in names:
        path = tuple(name.split("."))
        try:
            default, value = lookup_path(pipeline.params, path), lookup_path(params, path)
        except KeyError:
            continue
        # The text of a value read from the environment (`42` for `042`); not a fallback's,
        # which is written in the config.
        if any(os.environ.get(ref.path[0]) for ref in references(default) if ref.scope == "env"):
            values |= secret_scalars(value)
    return Secrets(values=frozenset(values), params=names)


def environment_values(document: Document) -> frozenset[str]:
    """The value of every environment variable a `${env.*}` in the document reads."""
    if not document.mentions_env:
        return frozenset()  # a big config's values are not walked for nothing
    values: set[str] = set()
    for text in _strings(document.data):
        for ref in _env_references(text):
            value = os.environ.get(ref.path[0])
            if value:
                values.add(value)
    return frozenset(values)


def _strings(value: Any) -> Iterator[str]:
    """Every string inside `value` that holds a `${`, depth first, in order."""
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)  # the plain types first: isinstance of an ABC is slow
        if kind is str:
            if "${" in item:
                yield item
        elif kind is dict:
            push(reversed(list(item.values())))
        elif kind is list:
            push(reversed(item))
        elif item is None or kind is int or kind is float or kind is bool:
            continue
        elif isinstance(item, str):
            if "${" in item:
                yield item
        elif isinstance(item, Mapping):
            push(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            push(reversed(item))


def _env_references(text: str) -> list[Ref]:
    if "${" not in text or "env" not in text:  # every `${env.NAME}` (spaced or not) has both
        return []
    try:
        parsed = parse_string(text)
    except ReferenceSyntaxError:
        return []
    return [ref for ref in references(parsed) if ref.scope == "env"]


def _resolved(value: Any, lookup: Any) -> Any:
    try:
        return resolve(value, lookup)
    except (KeyError, TypeError, ValueError):
        return None  # a broken reference is a problem the checks report


def _password(root: Any) -> str | None:
    if not isinstance(root, str) or "://" not in root:
        return None
    try:
        return urlsplit(root).password
    except ValueError:
        return None
