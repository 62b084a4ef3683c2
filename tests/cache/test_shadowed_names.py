"""A name a function binds itself (a parameter, a local variable, a lambda's argument, a
comprehension's variable, `except ... as`, a `match` capture, a nested `def`, an import, a
`for` or `with` target, `del`) is local to it by Python's scope rules, and does not refer to a
module-level function of that name: editing that function does not re-run the step. Before, any
occurrence of the name counted, and editing `def features` re-ran every step with a parameter
called `features`. A name the function reads from the module (directly, from a nested
function or a lambda, through `global`, in a default or a decorator) still counts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pipeflow
from tests.cache.editing import assert_nothing_stale, rerun_after

STEPS = """
import contextlib


def features(raw=1):
    return raw * 100


def parameter(features):
    return features + 1


def local(x):
    features = x * 2
    return features


def local_used_first(x):
    if x > 10:
        return features  # local by Python's rule: bound below in the same function
    features = x
    return features


def lam(x):
    f = lambda features: features + 1
    return f(x)


def comprehension(x):
    return [features for features in range(x)]


def generator(x):
    return sum(features for features in range(x))


def except_as(x):
    try:
        raise ValueError(x)
    except ValueError as features:
        return str(features)


def match_capture(x):
    match x:
        case [features]:
            return features
        case {"k": 1, **features}:
            return len(features)
        case features:
            return features


def nested_def(x):
    def features(v):
        return v
    return features(x)


def imported(x):
    import json as features
    return features.dumps(x)


def loop_and_with(x):
    for features in range(x):
        pass
    with contextlib.nullcontext(x) as features:
        return features


def deleted(x):
    features = x
    del features
    return x


def closure(x):
    features = x

    def inner():
        return features  # the enclosing function's `features`
    return inner()


def calls(x):
    return features(x)


def from_nested(x):
    def inner():
        return features(x)
    return inner()


def from_lambda(x):
    return (lambda v: features(v))(x)


def through_global(x):
    global features
    return features(x)


def in_default(x, f=features):
    return f(x)


def first_iterable(x):
    return [features for features in [features(x)]]


class Holder:
    made = features(2)


def from_class(x):
    return Holder.made + x
"""

SHADOWING = [
    "parameter",
    "local",
    "local_used_first",
    "lam",
    "comprehension",
    "generator",
    "except_as",
    "match_capture",
    "nested_def",
    "imported",
    "loop_and_with",
    "deleted",
    "closure",
]
USING = [
    "calls",
    "from_nested",
    "from_lambda",
    "through_global",
    "in_default",
    "first_iterable",
    "from_class",
]


def test_a_name_bound_in_the_function_does_not_count_as_the_module_level_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "st.py").write_text(textwrap.dedent(STEPS))
    steps = "\n".join(
        f"  {name}: {{run: st.{name}, inputs: {{x: 1}}}}" for name in SHADOWING + USING
    )
    config = f"name: shadow\nsteps:\n  features: {{run: st.features}}\n{steps}\n"
    (tmp_path / "pipeline.yaml").write_text(
        config.replace("parameter, inputs: {x: 1}", "parameter, inputs: {features: 1}")
    )
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    ran, reasons = rerun_after(
        tmp_path / "pipeline.yaml", tmp_path / "st.py", "raw * 100", "raw * 200"
    )
    assert ran == {"features", *USING}, reasons
    assert_nothing_stale(tmp_path / "pipeline.yaml", ["features", *SHADOWING, *USING])
