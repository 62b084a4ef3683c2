"""Params: reading params files and `--param` options, merging them over the defaults.

Precedence, lowest first: the config's `params:` defaults, a schedule's `params`, each
params file in order, each `--param KEY=VALUE` in order. An override must name a param the
defaults declare (unless extra params are allowed) and keep its type; an int is accepted
where the default is a float and becomes a float.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pipeflow.config import yaml_loading
from pipeflow.config.limits import (
    MAX_DEPTH,
    NON_FINITE_HINT,
    TOO_DEEP_HINT,
    non_finite,
    non_finite_message,
    too_deep,
    too_deep_message,
)
from pipeflow.config.overrides import copied, nested_overrides
from pipeflow.config.param_names import nesting_hint
from pipeflow.config.param_types import (
    MISMATCH,
    TOO_LARGE,
    check_items,
    check_type,
    describe,
    item_type,
    items_named,
    same_type_hint,
    shortened_int,
)
from pipeflow.config.reader import Document, read_document
from pipeflow.config.suggest import did_you_mean
from pipeflow.errors import ConfigError, Problem, UsageError
from pipeflow.model.refs import list_index
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.model.words import a_kind, counted, indexes
from pipeflow.records import record

EXTRA_HINT = "declare it under `params:` in the config, or pass --allow-extra-params"


@record
class ParamSource:
    """One layer of overrides, and where it came from (for messages)."""

    values: Mapping[str, Any]
    label: str  # "params/params.json", "--param seed=3", "schedule 2"
    document: Document | None = None
    at: tuple[str | int, ...] = ()  # where `values` are in `document` (a schedule's params)
    unknown_hint: str = EXTRA_HINT  # what to do about an unknown param, when nothing is like it
    # How values that are no text are spelt, by path, where no document says (`--param`).
    spelt: Mapping[tuple[str, ...], str] | None = None

    def written(self, path: Sequence[str]) -> str | None:
        """How the value at `path` was written, when it is no text (`off` for False)."""
        if self.document is not None:
            return self.document.written([*self.at, *path])
        return (self.spelt or {}).get(tuple(path))

    def problem(
        self,
        path: Sequence[str | int],
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
    ) -> Problem:
        dotted = ".".join(str(part) for part in path)
        if self.document is not None:
            return self.document.problem([*self.at, *path], message, hint=hint, key=key)
        return Problem(message=f"{message} (from {self.label})", path=f"params.{dotted}", hint=hint)


def read_param_file(path: str | Path) -> ParamSource:
    """A JSON, YAML or TOML params file (by extension); raises ConfigError when unreadable."""
    document = read_document(path, purpose="params")
    if document.problems:  # values the reader could not take as written
        raise ConfigError(list(document.problems))
    return ParamSource(values=document.data, label=str(path), document=document)


def parse_assignment(text: str) -> ParamSource:
    """`--param a.b=VALUE`: VALUE is read as a YAML scalar, the dotted key nests."""
    key, separator, raw = text.partition("=")
    key = key.strip()
    if not separator or not key:
        raise UsageError(
            f"`--param {text}` needs the form KEY=VALUE",
            hint="e.g. `--param test_data_ratio=0.3`; `--param model.depth=4` sets a nested param",
        )
    names = key.split(".")
    if not all(names):
        raise UsageError(f"`--param {text}`: the key `{key}` has an empty part")
    if len(names) > MAX_DEPTH:
        raise UsageError(
            f"`--param {_short(text)}`: the key nests {len(names)} levels deep; "
            f"at most {MAX_DEPTH} are allowed",
            hint=TOO_DEEP_HINT,
        )
    value, spelt = _scalar_written(raw, f"--param {_short(text)}")
    if isinstance(value, Mapping | list):  # `title=Results: v2`: a text param wants it quoted
        spelt = {(): raw.strip(), **spelt}
    return ParamSource(
        values=nested_overrides({key: value}),
        label=f"--param {text}",
        spelt={(*names, *path): written for path, written in spelt.items()},
    )


def givers(sources: Sequence[ParamSource]) -> dict[tuple[str, ...], str]:
    """Which source gave each param (and each key of a mapping param), by path: the last one
    to give it, as they are merged (a mapping key by key)."""
    found: dict[tuple[str, ...], str] = {}

    def walk(values: Any, path: tuple[str, ...], label: str) -> None:
        if path:
            found[path] = label
        if isinstance(values, Mapping):
            for key, value in values.items():
                walk(value, (*path, str(key)), label)

    for source in sources:
        if isinstance(source.values, Mapping):
            walk(source.values, (), source.label)
    return found


def given_by(found: Mapping[tuple[str, ...], str], path: tuple[str, ...]) -> str | None:
    """The source that gave the param at `path`, or the mapping that holds it (`givers`)."""
    for end in range(len(path), 0, -1):
        if path[:end] in found:
            return found[path[:end]]
    return None


def scalar(raw: str, label: str) -> Any:
    """A `--param` value (or an environment variable's) read as YAML."""
    return _scalar_written(raw, label)[0]


def _scalar_written(raw: str, label: str) -> tuple[Any, dict[tuple[str, ...], str]]:
    """A `--param` value read as YAML, and how its values that are no text are spelt."""
    if raw == "":
        return "", {}
    try:
        value, spelt = yaml_loading.load_written(raw)
    except (yaml.YAMLError, ValueError, TypeError, AttributeError):
        # Not valid YAML, or a scalar YAML cannot build (`2024-02-30`, `!!float abc`, an int
        # of more than 4300 digits): take the text as it is.
        return raw, {}
    except RecursionError:
        value, spelt = None, {}
        deep: tuple[str | int, ...] | None = ()
    else:
        deep = too_deep(value)
    if deep is not None:
        raise UsageError(
            f"`{label}`: the value nests more than {MAX_DEPTH} levels deep",
            hint=TOO_DEEP_HINT,
        )
    if "#" in raw and (value is None or isinstance(value, str)) and value != raw:
        return raw, {}  # YAML took a `#` for a comment (`color=#ff0000`): the text as given
    if "#" in raw and yaml_loading.before_a_comment(raw, value):
        return raw, {}  # `3 # three`: not 3 with the rest dropped
    return value, spelt


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def merge_params(
    defaults: Mapping[str, Any],
    sources: Sequence[ParamSource],
    *,
    allow_extra: bool = False,
    secrets: Secrets = NO_SECRETS,
) -> tuple[dict[str, Any], list[Problem]]:
    """Deep-merge each source over the defaults; every unknown key and type change is a problem.

    Messages show no value of a param from the environment, nor any secret value."""
    merged: dict[str, Any] = copied(defaults)
    problems: list[Problem] = []
    for source in sources:
        if not isinstance(source.values, Mapping):
            problems.append(
                source.problem(
                    [],
                    f"a params file must hold a mapping of names to values, "
                    f"got {a_kind(type(source.values).__name__)}",
                    'write e.g. {"test_data_ratio": 0.3}',
                )
            )
            continue
        deep = too_deep(source.values)
        if deep is not None:
            message = too_deep_message(deep, f"the params from {_short(source.label)}")
            problems.append(source.problem([], message, TOO_DEEP_HINT))
            continue
        found = non_finite_problems(source.values, source.problem)
        if found:
            problems += found
            continue
        _merge_into(merged, defaults, source.values, source, (), allow_extra, problems, secrets)
    return merged, problems


def _suggestion(path: tuple[str, ...], name: str, known: list[Any]) -> str | None:
    """'did you mean `model.depth`?' for `model.dept`: the whole dotted name to write."""
    closest = did_you_mean(name, known)
    if closest is None or not path:
        return closest
    return closest.replace("`", f"`{'.'.join(path)}.", 1)


def non_finite_problems(
    values: Mapping[str, Any], problem: Callable[..., Problem]
) -> list[Problem]:
    """A problem for each NaN or infinity among params: `problem(path, message, hint)`."""
    problems = []
    for path in non_finite(values):
        parts = [str(part) for part in path]
        value = _at(values, path)
        problems.append(problem(parts, non_finite_message(".".join(parts), value), NON_FINITE_HINT))
    return problems


def _at(value: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        value = value[part]
    return value


def _default_key(defaults: Mapping[Any, Any] | None, name: Any) -> Any:
    """The key of `defaults` that `name` gives: itself, or a number key written as text (JSON,
    TOML and `--param` write every key as text: `classes.0` for `{0: setosa}`), or a text key
    written as a number (a YAML file's `0:` for a TOML config's `"0"`)."""
    if defaults is None or name in defaults or isinstance(name, bool):
        return name
    same = [
        key
        for key in defaults
        if not isinstance(key, bool)
        and isinstance(key, str) != isinstance(name, str)
        and str(key) == str(name)
    ]
    return same[0] if len(same) == 1 else name


def _merge_into(
    target: dict[str, Any],
    defaults: Mapping[str, Any] | None,
    overrides: Mapping[str, Any],
    source: ParamSource,
    path: tuple[str, ...],
    allow_extra: bool,
    problems: list[Problem],
    secrets: Secrets = NO_SECRETS,
) -> None:
    for written, value in overrides.items():
        here = (*path, str(written))
        dotted = ".".join(here)
        name = _default_key(defaults, written)
        if defaults is None or name not in defaults or "." in str(name):
            if not allow_extra or "." in str(name):
                known = list(defaults or ())
                hint = (
                    nesting_hint(str(name), defaults)
                    or _suggestion(path, str(name), known)
                    or source.unknown_hint
                )
                problems.append(source.problem(here, f"unknown param `{dotted}`", hint, key=True))
                continue
            target[name] = copied(value)
            continue
        default = defaults[name]
        if isinstance(default, list) and isinstance(value, Mapping) and value:
            _merge_items(target, name, default, value, source, here, allow_extra, problems, secrets)
            continue
        if isinstance(default, Mapping) and isinstance(value, Mapping):
            child = target.get(name)
            if not isinstance(child, dict):
                child = {}
                target[name] = child
            _merge_into(child, default, value, source, here, allow_extra, problems, secrets)
            continue
        if isinstance(default, list) and isinstance(value, list):
            items, wrong = check_items(default, value)
            for index, said in wrong.items():
                problems.append(_item_problem(default, value, index, said, source, here, secrets))
            if not wrong:
                target[name] = copied(items)
            continue
        checked = check_type(default, value)
        if checked is TOO_LARGE or checked is MISMATCH:
            hidden = secrets.hides(here)
            expected = describe(default, secrets, hidden=hidden)
            if checked is TOO_LARGE:
                shown = shortened_int(value, secrets, hidden=hidden)
                got = f"an int too large to be a number ({shown})"
                hint = f"give `{dotted}` a number between -1.7e308 and 1.7e308"
            else:
                got = describe(value, secrets, hidden=hidden)
                hint = same_type_hint(dotted, default, value, source.written(here))
            message = f"param `{dotted}` is {expected} in the defaults; got {got}"
            problems.append(source.problem(here, message, hint))
            continue
        target[name] = copied(checked)


def _item_problem(
    default: list[Any],
    value: list[Any],
    index: int,
    said: Any,
    source: ParamSource,
    path: tuple[str, ...],
    secrets: Secrets,
) -> Problem:
    """Item `index` of the list `value` given for a list param is not of the type of its
    default's items (`check_items` `said` MISMATCH or TOO_LARGE)."""
    kind = item_type(default)
    assert kind is not None  # only such a default's items are checked
    dotted, item = ".".join(path), value[index]
    hidden = secrets.hides(path)
    if said is TOO_LARGE:
        got = f"an int too large to be a number ({shortened_int(item, secrets, hidden=hidden)})"
    else:
        got = describe(item, secrets, hidden=hidden)
    message = (
        f"param `{dotted}` is a list of {items_named(kind)} in the defaults; item {index} is {got}"
    )
    example = next(each for each in default if type(each) is kind)
    written = source.written([*path, str(index)])
    hint = same_type_hint(f"{dotted}.{index}", example, item, written)
    if not hint.startswith("quote"):
        hint = f"give each item of `{dotted}` the type of its default's items"
    return source.problem([*path, index], message, hint)


def _merge_items(
    target: dict[str, Any],
    name: str,
    default: list[Any],
    value: Mapping[Any, Any],
    source: ParamSource,
    path: tuple[str, ...],
    allow_extra: bool,
    problems: list[Problem],
    secrets: Secrets,
) -> None:
    """`--param files.1=z`: items of a list param set by their index, as `${params.files.1}`
    names them (of the list so far: the defaults', or one an earlier override gave). Each
    keeps its type, and an item that is a mapping merges key by key."""
    current = target.get(name)
    items: list[Any] = current if isinstance(current, list) else copied(default)
    count = len(items)
    for key in value:
        if isinstance(key, bool) or list_index(str(key), count) is None:
            dotted = ".".join(path)
            problems.append(
                source.problem(
                    [*path, str(key)],
                    f"param `{dotted}` is a list of {counted(count, 'item')}, so it has no `{key}`",
                    f"set an item by its index, "
                    f"{indexes(count, (dotted + '.{}').format)}, or give the whole list"
                    if count
                    else "give the whole list",
                    key=True,
                )
            )
            return
    by_index = {str(index): item for index, item in enumerate(items)}
    overrides = {str(key): item for key, item in value.items()}
    _merge_into(by_index, copied(by_index), overrides, source, path, allow_extra, problems, secrets)
    target[name] = [by_index[str(index)] for index in range(count)]
