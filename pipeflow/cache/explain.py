"""Why a step must run again: the difference between its key's parts now and its last result's.

Every part of a key is kept by name in the manifest (`keys.py`), so a change can be named:
"param test_data_ratio changed (0.2 -> 0.3)", "code of steps/iris.py changed (`split`)",
"input file data/raw/iris.csv changed", rather than "the key changed".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pipeflow.cache.settings_reasons import ResultSettings, settings_changes
from pipeflow.model.locations import is_pattern
from pipeflow.storage import Manifest

NOTHING_CHANGED = "no stored result for its current inputs"  # that a key's parts show
_LONG = 60  # a value's text longer than this is shown around its change (`_shown`)
_AROUND = 20  # characters shown on each side of the change


def explain(
    now: Mapping[str, Any],
    before: Manifest,
    params_now: Mapping[str, Any],
    missing: Callable[[str], bool] = lambda file: False,
    hidden: Mapping[str, str] | None = None,
    settings: ResultSettings | None = None,
    named: Callable[[str], str] | None = None,
    shown: Callable[[str], str] = str,
) -> str:
    """Why a step must run again, compared with its last stored result. `missing`: whether
    a file its result was made from, named as the manifest names it, is gone (its config
    still names it, but it is no file to fingerprint); `hidden`: for a value (`inputs.x`)
    that takes something no message shows (from the environment, a secret), what that is;
    `settings`: the step's result settings now, to say which of them changed; `named`: what a
    path it reads, as the manifest names it, is called ("input folder data/prepared"; by
    default a glob's "input files matching ...", else "input file ..."); `shown`: how a
    path, as the manifest names it, is written in a reason (relative to the project)."""
    then = before.components
    reasons: list[str] = []
    code_now, code_then = now.get("code", {}), then.get("code", {})
    changed = sorted(
        {name for name in {*code_now, *code_then} if code_now.get(name) != code_then.get(name)}
    )
    for name in changed:
        reasons.append(_describe_code(name, code_now, code_then))
    reasons += param_changes(params_now, before)
    values_now, values_then = now.get("values", {}), then.get("values", {})
    for name in sorted({*values_now, *values_then}):
        if values_now.get(name) != values_then.get(name) and not _is_param_change(name, reasons):
            takes = (hidden or {}).get(name)
            said = f" (it takes {takes}, whose value is not shown)" if takes else ""
            reasons.append(f"{name.replace('inputs.', 'input ')} changed{said}")
    files_now, files_then = now.get("files", {}), then.get("files", {})
    # A file read or no longer read because a param now names another: the param says it.
    renamed = any(reason.startswith("param ") for reason in reasons)
    for name in sorted({*files_now, *files_then}):
        if files_now.get(name) == files_then.get(name):
            continue
        if name not in files_then:
            if not renamed:
                reasons.append(f"it now reads {shown(name)}")
        elif name not in files_now:
            if missing(name):
                reasons.append(f"input file {shown(name)} is missing")
            elif not renamed:
                reasons.append(f"it no longer reads {shown(name)}")
        else:
            reasons.append(f"{(named or input_named)(name)} changed")
    upstream_now, upstream_then = now.get("upstream", {}), then.get("upstream", {})
    for name in sorted({*upstream_now, *upstream_then}):
        if name not in upstream_then:
            reasons.append(f"it now takes the result of `{name}`")
        elif name not in upstream_now:
            reasons.append(f"it no longer takes the result of `{name}`")
        elif upstream_now[name] != upstream_then[name]:
            reasons.append(f"the result of `{name}` changed")
    if now.get("settings") != then.get("settings"):
        settings_said = settings_changes(settings, before) if settings is not None else []
        reasons += settings_said or ["its result settings changed"]
    if not reasons:
        return NOTHING_CHANGED
    return joined(reasons)


def input_named(name: str) -> str:
    """What a path a step reads is called in a reason, as far as its name tells."""
    return f"input files matching {name}" if is_pattern(name) else f"input file {name}"


def joined(reasons: list[str]) -> str:
    """The first three of `reasons` on one line, and how many more: a step with many changes
    (files to restore, params) keeps a reason that fits a status line."""
    shown = "; ".join(reasons[:3])
    return shown + (f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else "")


def param_changes(params_now: Mapping[str, Any], before: Manifest) -> list[str]:
    """ "param seed changed (42 -> 2024)" for each param a step consumes that differs from
    what its stored result `before` was made with."""
    found: list[str] = []
    for name, value in params_now.items():
        if name not in before.params:
            found.append(f"param {name} is new")
        elif before.params[name] != value:
            found += _value_changes(name, before.params[name], value)
    return found


def _value_changes(name: str, then: Any, now: Any) -> list[str]:
    """How a param's value `then` became `now`. A mapping is compared key by key, each
    changed key named by its dotted path ("param options.seed changed (3 -> 4)"), so a step
    taking a mapping of many options says which one changed, not both whole mappings."""
    if now == "***":
        return [f"param {name} changed"]
    if not (isinstance(then, Mapping) and isinstance(now, Mapping)):
        return [f"param {name} changed ({_shown(then, now)})"]
    found: list[str] = []
    for key in sorted({*now, *then}, key=str):
        path = f"{name}.{key}"
        if key not in then:
            found.append(f"param {path} is new")
        elif key not in now:
            found.append(f"param {path} was removed")
        elif then[key] != now[key]:
            found += _value_changes(path, then[key], now[key])
    return found or [f"param {name} changed"]


def _shown(then: Any, now: Any) -> str:
    """ "THEN -> NOW", each value whole when short. A long one (a query, a list of ids) is cut
    to where the two differ, with a little on each side, `…` standing for what is left out:
    its whole text would bury the change in a line of thousands of characters."""
    texts = [value if isinstance(value, str) else repr(value) for value in (then, now)]
    if all(len(text) <= _LONG for text in texts):
        return f"{then!r} -> {now!r}"
    first, second = texts
    same_start = _same_start(first, second)
    same_end = _same_start(first[same_start:][::-1], second[same_start:][::-1])
    start = max(0, same_start - _AROUND)
    if start and first[start - 1] != " ":  # from a word's start (the same in both texts)
        start = first[start:same_start].find(" ") + 1 + start
    shown: list[str] = []
    for value, text in zip((then, now), texts, strict=True):
        differs_until = len(text) - same_end
        stop = min(differs_until + _AROUND, len(text), start + _LONG)
        if stop < len(text):  # to a word's end, past the difference
            space = text.rfind(" ", differs_until, stop)
            stop = space if space > 0 else stop
        cut = text[start:stop] if stop == len(text) else text[start:stop].rstrip() + "…"
        cut = ("…" if start else "") + cut
        shown.append(repr(cut) if isinstance(value, str) else cut)
    return " -> ".join(shown)


def _same_start(first: str, second: str) -> int:
    """How many characters `first` and `second` begin with alike."""
    return next(
        (index for index, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
        min(len(first), len(second)),
    )


def _describe_code(name: str, now: Mapping[str, str], then: Mapping[str, str]) -> str:
    if name == "code_version":
        return f"code_version changed ({then.get(name)!r} -> {now.get(name)!r})"
    if name.startswith("package:"):
        package = name.removeprefix("package:")
        if name not in then:
            return f"it now uses package {package}"
        if name not in now:
            return f"it no longer uses package {package}"
        return f"package {package} changed ({then[name]} -> {now[name]})"
    where = name.split("::")[0]
    if "::" in name:
        function = name.split("::")[1]
        if name not in then:
            return f"it now uses `{function}` of {where}"
        if name not in now:
            return f"it no longer uses `{function}` of {where}"
        return f"code of {where} changed (`{function}`)"
    if name not in then:  # a module it now imports (or one its modules import)
        return f"it now uses {where}"
    if name not in now:
        return f"it no longer uses {where}"
    return f"code of {where} changed"


def _is_param_change(name: str, reasons: list[str]) -> bool:
    """Whether a changed value is already explained by a param change."""
    return any(reason.startswith("param ") for reason in reasons) and (
        name.startswith("inputs.") or name == "target.params"
    )
