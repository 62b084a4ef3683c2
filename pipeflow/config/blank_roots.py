"""A results root that names nothing: empty, or spaces only, once its params and environment
variables are filled in.

As a path it would be the config's own folder (or the current one), or a folder named by
the spaces, and no one meant either: `.` says the config's folder when that is meant. A root
made of `${env.*}` values (`${env.RESULTS:-}`, or a param whose default is one) is judged on
the environment of the command, as the run resolves it; the message names the variables,
never their values. `s3://bucket/${env.TEAM:-}/x`, whose variable leaves only a part empty,
is a root like any other (docs/stores.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipeflow.model.refs import Ref, Template, lookup_path, references, resolve

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
