"""A results root that names nothing: empty, or spaces only, once its params and environment
variables are filled in.

As a path it would be the config's own folder (or the current one), or a folder named by
the spaces, and no one meant either: `.` says the config's folder when that is meant. A root
made of `${env.*}` values (`${env.RESULTS:-}`, or a param whose default is one) is judged on
the environment of the command, as the run resolves it; the message names the variables,
never their values. `s3://bucket/${env.TEAM:-}/x`, whose variable leaves only a part empty,
is a root like any other (docs/stores.md). But a root whose leading references are all
empty and whose text goes on with `/` (`${env.DATA}/results`, DATA empty) is refused too:
it would be `/results`, at the top of the filesystem, which no one wrote.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipeflow.model.refs import Ref, Template, lookup_path, references, resolve, unparse

BLANK_ROOT_HINT = (
    "give a folder (relative to the config's folder) or a URL such as `s3://bucket/prefix`; "
    "write `.` for the config's own folder"
)
_BLANK = "the results root is empty: it names no folder or store"


def blank_root(
    value: Any, resolved: str | None, defaults: Mapping[str, Any], params: Mapping[str, Any]
) -> tuple[str, str] | None:
    """The problem (message, hint) of a root that names nothing, or None.

    `resolved`: the root's text when known and safe to show (params only), else None;
    `defaults`: the config's params as written, to find those that come from the environment.
    """
    if resolved is not None:
        return (_BLANK, BLANK_ROOT_HINT) if not resolved.strip() else None
    names = _variables(value, defaults)
    if not names:
        return None

    def find(ref: Ref) -> Any:
        if ref.scope == "env":
            found = os.environ.get(ref.path[0], ref.default)
            if found is None:  # unset without a default: the run's own error says so
                raise KeyError(ref.path[0])
            return found
        return lookup_path(params, ref.path)

    try:
        text = resolve(value, find)
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(text, str) or text.strip():
        return None
    listed = ", ".join(f"`{name}`" for name in names)
    return (
        f"{_BLANK} ({listed} in the environment left it empty)",
        f"set {listed} to a folder or a URL such as `s3://bucket/prefix`, or give a default "
        f"(`${{env.{names[0]}:-out}}`)",
    )


def _variables(value: Any, defaults: Mapping[str, Any]) -> list[str]:
    """The environment variables a root is made of, directly or through params' defaults."""
    if not isinstance(value, Ref | Template):
        return []
    names: list[str] = []
    for ref in references(value):
        if ref.scope == "env":
            names.append(ref.path[0])
        elif ref.scope == "params":
            try:
                default = lookup_path(defaults, ref.path)
            except KeyError:
                continue
            names += [inner.path[0] for inner in references(default) if inner.scope == "env"]
    return list(dict.fromkeys(names))


def rooted_at_top(value: Any, params: Mapping[str, Any]) -> tuple[str, str] | None:
    """The problem (message, hint) of a root that empty leading references turn into a path
    from the top of the filesystem (`${env.DATA}/results` -> `/results`), or None."""
    if not isinstance(value, Template):
        return None
    empty: list[Ref] = []
    for part in value.parts:
        if isinstance(part, str):
            break
        found = _text_of(part, params)
        if found != "":
            return None
        empty.append(part)
    else:
        return None
    if not empty or not part.startswith("/"):
        return None
    listed = ", ".join(f"`{ref.text}`" for ref in empty)
    verb = "is" if len(empty) == 1 else "are"
    first = empty[0]
    default = f"${{env.{first.path[0]}:-.}}" if first.scope == "env" else "${env.NAME:-.}"
    return (
        f"the results root `{unparse(value)}` would start at the top of the filesystem "
        f"(`/...`): {listed} {verb} empty",
        f"set it to a folder, or give a default that names one (`{default}` for the config's "
        "folder); write the root from `/` if the top of the filesystem is meant",
    )


def _text_of(ref: Ref, params: Mapping[str, Any]) -> Any:
    """What a reference in a root is now: an environment variable (its default when unset),
    a param; None when not known before the run."""
    if ref.scope == "env":
        return os.environ.get(ref.path[0], ref.default)
    if ref.scope == "params":
        try:
            return lookup_path(params, ref.path)
        except KeyError:
            return None
    return None
