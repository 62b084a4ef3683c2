"""Cache keys: what each is made of (every part changes it), step references in fingerprints,
the reasons `explain` gives, and code digests remembered across runs."""

from __future__ import annotations

import os
import textwrap
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeflow.cache import code, keys, project_paths, source, versions
from pipeflow.cache.explain import explain
from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.fingerprint import Fingerprint
from pipeflow.cache.keys import Fingerprinter
from pipeflow.cache.versions import (
    StepValue,
    canonical_json,
    data_version,
    digest,
    fan_out_version,
)
from pipeflow.model.pipeline import Origin, Pipeline, ResultsConfig, ResultSpec, Step
from pipeflow.model.refs import Ref, parse_string, parse_value
from pipeflow.model.secrets import Secrets
from pipeflow.storage import Manifest, PartRecord
from pipeflow.storage.blobs import FileHash


def pipeline(tmp_path: Path, **steps: Step) -> Pipeline:
    return Pipeline(
        name="p", steps=steps, source=str(tmp_path / "p.yaml"), project_dir=str(tmp_path)
    )


def fingerprint(tmp_path: Path, step: Step) -> Fingerprint:
    def lookup(ref: Ref) -> Any:
        return {"n": 3}[ref.path[0]]

    found = Fingerprinter(pipeline(tmp_path, **{step.name: step}), FileFingerprints(None))
    return found.fingerprint(step, lookup)


def test_a_step_reference_is_written_as_its_text() -> None:
    assert canonical_json({"x": StepValue("${steps.a}")}) == canonical_json({"x": "${steps.a}"})
    assert str(StepValue("${steps.a.part}")) == "${steps.a.part}"


def test_a_step_reference_keeps_the_key_it_had_as_text(tmp_path: Path) -> None:
    step = Step(name="b", run="m.f", inputs=parse_value({"x": "${steps.a}", "n": "${params.n}"}))
    found = fingerprint(tmp_path, step)
    assert found.values == {
        "inputs.x": digest(canonical_json("${steps.a}")),
        "inputs.n": digest(canonical_json(3)),
    }
    # As every earlier pipeflow computed it: stored results keep their keys.
    assert found.values["inputs.x"] == "fecd1d4d29a32de6aaa686d3"
    # A part, and a reference inside a list, enter the key the same way.
    step = Step(name="b", run="m.f", inputs=parse_value({"x": "${steps.a.p}", "y": ["${steps.a}"]}))
    assert fingerprint(tmp_path, step).values == {
        "inputs.x": digest(canonical_json("${steps.a.p}")),
        "inputs.y": digest(canonical_json(["${steps.a}"])),
    }


def test_the_key_changes_with_the_name_of_the_step_referenced(tmp_path: Path) -> None:
    one = Step(name="c", run="m.f", inputs=parse_value({"x": "${steps.a}"}))
    other = Step(name="c", run="m.f", inputs=parse_value({"x": "${steps.b}"}))
    part = Step(name="c", run="m.f", inputs=parse_value({"x": "${steps.a.part}"}))
    values = {fingerprint(tmp_path, s).values["inputs.x"] for s in (one, other, part)}
    assert len(values) == 3
    assert fingerprint(tmp_path, one).values == fingerprint(tmp_path, one).values


def test_a_step_reference_is_never_taken_for_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "${steps.a}").write_text("a file of that very name", encoding="utf-8")
    (tmp_path / "data.csv").write_text("1,2\n", encoding="utf-8")
    asked: list[str] = []
    names_place = keys.names_place

    def spying(text: str, folder: str, places: frozenset[str]) -> bool:
        asked.append(text)
        return names_place(text, folder, places)

    monkeypatch.setattr(keys, "names_place", spying)
    step = Step(
        name="b",
        run="m.f",
        inputs=parse_value({"x": "${steps.a}", "y": ["${steps.a.part}"], "f": "data.csv"}),
    )
    found = fingerprint(tmp_path, step)
    assert asked == ["data.csv"]
    assert list(found.files) == ["data.csv"]


def test_a_template_with_a_step_reference_is_still_text(tmp_path: Path) -> None:
    step = Step(name="b", run="m.f", inputs=parse_value({"x": "out/${steps.a}.csv"}))
    assert fingerprint(tmp_path, step).values == {
        "inputs.x": digest(canonical_json("out/${steps.a}.csv"))
    }


WRAPPED = """
import functools

def f(x):
    return x

f = functools.lru_cache(f)

def g(x):
    return f(x) + 1
"""


def test_a_definition_and_its_rebinding_both_count_whatever_came_first(tmp_path: Path) -> None:
    """`f` is `def f` and `f = lru_cache(f)`: both statements, for `g` that uses it and for a
    step that is `f` itself (what runs is the rebound one), in either order of fingerprinting
    (each statement is analysed once, by its place in the file)."""
    (tmp_path / "wrapped.py").write_text(textwrap.dedent(WRAPPED), encoding="utf-8")
    source.ANALYSED.clear()
    g_alone = code.CodeFingerprinter(str(tmp_path)).fingerprint("wrapped.g").parts
    fingerprinter = code.CodeFingerprinter(str(tmp_path))
    f_first = fingerprinter.fingerprint("wrapped.f").parts
    g_after = fingerprinter.fingerprint("wrapped.g").parts
    assert g_after == g_alone
    assert f_first["wrapped.py::f"] == g_after["wrapped.py::f"]
    module = fingerprinter._module("wrapped")
    assert module is not None
    definition, rebinding = module.definitions["f"]
    alone = [source.analysed(module, node).digest for node in (definition, rebinding)]
    assert f_first["wrapped.py::f"] == source.hash_text("\n".join(alone))


def test_an_edited_function_gets_a_new_digest_in_the_same_process(tmp_path: Path) -> None:
    source = tmp_path / "edited.py"
    source.write_text("def f(x):\n    return x\n", encoding="utf-8")
    before = code.CodeFingerprinter(str(tmp_path)).fingerprint("edited.f").parts
    again = code.CodeFingerprinter(str(tmp_path)).fingerprint("edited.f").parts
    source.write_text("def f(x):\n    return x + 1\n", encoding="utf-8")
    status = source.stat()
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    after = code.CodeFingerprinter(str(tmp_path)).fingerprint("edited.f").parts
    assert before == again
    assert before != after


# -- what the key is made of: each part changes it ---------------------------------------------


def key_of(tmp_path: Path, step: Step, upstream: dict[str, str] | None = None) -> str:
    return fingerprint(tmp_path, step).key(upstream or {})


@pytest.mark.parametrize(
    "result",
    [
        ResultSpec(format="csv"),
        ResultSpec(format="parquet"),
        ResultSpec(target="out/{step}.json"),
        ResultSpec(target="out/{step}.csv"),
        ResultSpec(target="out/{step}.json", format="json"),
    ],
)
def test_each_result_setting_changes_the_key(tmp_path: Path, result: ResultSpec) -> None:
    plain = Step(name="a", run="m.f")
    assert key_of(tmp_path, replace(plain, result=result)) != key_of(tmp_path, plain)


@pytest.mark.parametrize("outputs", [("x",), ("x", "y"), ("y", "x")])
def test_the_outputs_change_the_key(tmp_path: Path, outputs: tuple[str, ...]) -> None:
    keys_seen = {
        key_of(tmp_path, Step(name="a", run="m.f", outputs=other))
        for other in [(), ("x",), ("x", "y"), ("y", "x")]
    }
    assert len(keys_seen) == 4
    step = Step(name="a", run="m.f", outputs=outputs)
    assert key_of(tmp_path, step) == key_of(tmp_path, step)  # and it is stable


def test_settings_changes_are_named_in_the_reason(tmp_path: Path) -> None:
    before = fingerprint(tmp_path, Step(name="a", run="m.f", result=ResultSpec(format="csv")))
    now = fingerprint(tmp_path, Step(name="a", run="m.f", result=ResultSpec(format="json")))
    assert before.settings != now.settings
    assert explain(now.components({}), manifest(before), {}) == "its result settings changed"


def test_the_root_and_persistence_of_a_result_do_not_change_the_key(tmp_path: Path) -> None:
    """Where a result is stored is not what it is: the same value, found by the same key."""
    plain = Step(name="a", run="m.f")
    elsewhere = replace(plain, result=ResultSpec(root="s3://bucket/x", persist=False))
    assert key_of(tmp_path, elsewhere) == key_of(tmp_path, plain)


@pytest.mark.parametrize(
    "other",
    [
        {"inputs": parse_value({"n": "${params.n}", "extra": 1})},
        {"inputs": parse_value({"n": 4})},
        {"code_version": "v2"},
        {"foreach": parse_value([1, 2])},
        {"foreach": parse_value([1]), "item_name": "row"},
        {"run": "m.g"},
    ],
)
def test_inputs_code_and_foreach_change_the_key(tmp_path: Path, other: dict[str, Any]) -> None:
    base = Step(name="a", run="m.f", inputs=parse_value({"n": "${params.n}"}), code_version="v1")
    if "run" in other:
        base = replace(base, code_version=None)
        (tmp_path / "m.py").write_text("def f(n):\n    return n\n\ndef g(n):\n    return -n\n")
    assert key_of(tmp_path, replace(base, **other)) != key_of(tmp_path, base)


def test_the_data_versions_of_upstream_results_change_the_key(tmp_path: Path) -> None:
    step = Step(name="b", run="m.f", inputs=parse_value({"x": "${steps.a}"}), code_version="1")
    one = key_of(tmp_path, step, {"a": "version-1"})
    assert one == key_of(tmp_path, step, {"a": "version-1"})
    assert one != key_of(tmp_path, step, {"a": "version-2"})
    assert one != key_of(tmp_path, step, {"z": "version-1"})


def test_an_input_files_content_changes_the_key(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("1,2\n", encoding="utf-8")
    step = Step(name="a", run="m.f", inputs=parse_value({"path": "data.csv"}), code_version="1")
    before = fingerprint(tmp_path, step)
    data.write_text("1,3\n", encoding="utf-8")
    after = fingerprint(tmp_path, step)
    assert list(before.files) == ["data.csv"]
    assert before.key({}) != after.key({})
    assert explain(after.components({}), manifest(before), {}) == "input file data.csv changed"


def test_consumed_params_are_recorded_and_secrets_masked(tmp_path: Path) -> None:
    step = Step(
        name="a",
        run="m.f",
        inputs=parse_value({"n": "${params.n}", "t": "${params.token}", "k": "${params.db.key}"}),
    )
    values = {"n": 3, "token": "s3cret", "db": {"key": "hidden"}}

    def lookup(ref: Ref) -> Any:
        found: Any = values
        for part in ref.path:
            found = found[part]
        return found

    secrets = Secrets(values=frozenset({"s3cret", "hidden"}), params=frozenset({"token", "db"}))
    fingerprinter = Fingerprinter(pipeline(tmp_path, a=step), FileFingerprints(None), secrets)
    assert fingerprinter.fingerprint(step, lookup).params == {
        "n": 3,
        "token": "***",
        "db.key": "***",
    }


def test_a_sub_pipeline_step_keys_on_its_own_step_names(tmp_path: Path) -> None:
    origin = Origin(pipeline="child", step="b", prefix="data/")
    inside = Step(name="data/b", run="m.f", inputs=parse_value({"x": "${steps.data/a}"}))
    alone = Step(name="b", run="m.f", inputs=parse_value({"x": "${steps.a}"}))
    inlined = fingerprint(tmp_path, replace(inside, origin=origin))
    assert inlined.upstream_names == {"data/a": "a"}
    assert inlined.values == fingerprint(tmp_path, alone).values
    assert inlined.key({"data/a": "v"}) == fingerprint(tmp_path, alone).key({"a": "v"})


# -- parts of the key ---------------------------------------------------------------------------


def test_digest_keeps_its_parts_apart() -> None:
    assert digest("ab", "c") != digest("a", "bc")
    assert digest("a") != digest("a", "")
    assert len(digest("x")) == versions.KEY_LENGTH == 24
    assert digest("x") == digest("x")


def test_canonical_json_sorts_keys_and_writes_what_json_cannot_hold() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert canonical_json(moment) == '{"\\u0000datetime":"2026-01-02T03:04:05+00:00"}'
    assert canonical_json({3, 1, 2}) == canonical_json(frozenset({2, 3, 1}))
    assert canonical_json(StepValue("${steps.a}")) == '"${steps.a}"'
    # What JSON cannot hold never reads as a value it holds: a date is not its ISO text, a
    # set is not a list, bytes and a path are not their repr.
    assert canonical_json(moment) != canonical_json(moment.isoformat())
    assert canonical_json(moment.date()) != canonical_json(moment.date().isoformat())
    assert canonical_json({3, 1, 2}) != canonical_json(["1", "2", "3"])
    assert canonical_json(b"hi") != canonical_json(repr(b"hi"))
    assert canonical_json(Path("x")) != canonical_json(repr(Path("x")))


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1, 2.5, None, True, False]},
        {"é": "naïve ✓", "z": {"y": {"x": [[], {}]}}},
        [float("nan"), float("inf"), -float("inf"), 10**30, -0.0, 1e-300],
        ("a", ("b",)),
        {"x": StepValue("${steps.a}"), "y": [StepValue("${steps.b.p}"), "t"]},
        {2: "int keys", 1: "sorted as text"},
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        {"set": {3, 1, 2}, "path": Path("x/y.csv")},
        'plain text with "quotes" and \n new lines',
        "",
        0,
    ],
)
def test_canonical_json_is_what_json_dumps_wrote_so_stored_keys_stay_valid(value: Any) -> None:
    """Keys of results stored by earlier versions were written with json.dumps and these
    options: the encoder kept for every call writes the very same text."""
    import json

    written = json.dumps(value, sort_keys=True, separators=(",", ":"), default=versions._fallback)
    assert canonical_json(value) == written
    assert canonical_json(value) == written  # the same again from the same encoder


def part(checksum: str, path: str = "p") -> PartRecord:
    return PartRecord(path=path, format="json", size=1, checksum=checksum)


def test_the_data_version_is_the_checksums_of_the_parts_by_name() -> None:
    def stored(**parts: PartRecord) -> Manifest:
        return Manifest(
            key="k", pipeline="p", step="s", run_id="r", created="2026-01-01T00:00:00+00:00",
            params={}, parts=parts,
        )  # fmt: skip

    one = data_version(stored(a=part("sha256:1"), b=part("sha256:2")))
    assert one == data_version(stored(b=part("sha256:2"), a=part("sha256:1")))  # order-free
    assert one == data_version(stored(a=part("sha256:1", "elsewhere"), b=part("sha256:2")))
    assert one != data_version(stored(a=part("sha256:2"), b=part("sha256:1")))
    assert one != data_version(stored(a=part("sha256:1"), c=part("sha256:2")))
    assert one != data_version(stored(a=part("sha256:1")))
    # One part and no files (most results) is taken a shorter way: the same digest.
    assert data_version(stored(value=part("sha256:1"))) == digest("value=sha256:1")
    assert data_version(stored(a=part("sha256:1"))) == digest("a=sha256:1")
    assert data_version(stored(a=part("sha256:1"))) != data_version(stored(b=part("sha256:1")))


def test_a_foreach_items_key_counts_its_item_not_the_others(tmp_path: Path) -> None:
    step = Step(name="a", run="m.f", foreach=parse_value([1, 2, 3]), code_version="1")
    other_list = replace(step, foreach=parse_value([1, 5]))
    found, other = fingerprint(tmp_path, step), fingerprint(tmp_path, other_list)
    assert found.key({}) != other.key({})
    assert found.item_key({}, 1) == other.item_key({}, 1)
    assert found.item_key({}, 1) != found.item_key({}, 2)
    assert found.item_key({}, 1) != found.item_key({"u": "v"}, 1)
    assert found.item_key({}, 1) != found.key({})
    components = found.item_components({}, 1)
    assert "foreach" not in components["values"]
    assert components["values"]["as"] == "item"
    assert components["item"] == digest(canonical_json(1))


ITEMS = [
    0,
    -7,
    10**30,
    2.5,
    True,
    None,
    "",
    "plain",
    'with "quotes" and \\ and é and \u2603',
    "\0item\0",  # what item_keys writes in place of an item's digest
    [1, [2, "x"]],
    {"b": 1, "a": [None, {"z": "\0item\0"}]},
    datetime(2024, 1, 31, tzinfo=timezone.utc),
]


@pytest.mark.parametrize(
    "upstream", [{}, {"u": "v"}, {"a": "1", "b": "\0item\0"}], ids=["none", "one", "marked"]
)
def test_item_keys_gives_each_item_the_key_item_key_gives(
    tmp_path: Path, upstream: dict[str, str]
) -> None:
    plain = Step(
        name="a", run="m.f", foreach=parse_value([1]), inputs=parse_value({"k": "\0item\0"})
    )
    with_files = replace(plain, name="b", reads=(parse_string("data/${item}.csv", item="item"),))
    # Items that name files go through item_key itself: the same key by construction.
    for step, items in ((plain, ITEMS), (with_files, [0, "plain", 2.5])):
        found = fingerprint(tmp_path, step)
        key_of = found.item_keys(upstream)
        assert [key_of(item) for item in items] == [
            found.item_key(upstream, item) for item in items
        ]


def test_fan_out_hasher_gives_fan_out_version() -> None:
    for item_versions in ([], [""], ["a", "b", ""], [digest(str(i)) for i in range(50)]):
        hasher = versions.FanOutHasher()
        for version in item_versions:
            hasher.update(version)
        assert hasher.hexdigest()[: versions.KEY_LENGTH] == fan_out_version(item_versions)


def test_fan_out_version_follows_its_items_in_order() -> None:
    assert fan_out_version(["a", "b"]) == fan_out_version(["a", "b"])
    assert fan_out_version(["a", "b"]) != fan_out_version(["b", "a"])
    assert fan_out_version([]) != fan_out_version([""])
    assert fan_out_version(["a"]) != digest("a")


# -- local_path: which strings are taken for files ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("data.csv", True),
        ("folder/data.csv", True),
        ("folder", False),  # a bare word is a label, not the folder of that name
        ("folder/", True),
        ("./folder", True),
        ("missing.csv", False),
        ("", False),
        (".", False),
        ("..", False),
        ("a\nb.csv", False),
        ("x" * 5000 + ".csv", False),
    ],
)
def test_which_strings_name_local_files(tmp_path: Path, text: str, found: bool) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "data.csv").write_text("1\n", encoding="utf-8")
    (tmp_path / "folder" / "data.csv").write_text("1\n", encoding="utf-8")
    assert (project_paths.local_path(text, str(tmp_path)) is not None) is found


def test_an_absolute_path_is_taken_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "data.csv"
    target.parent.mkdir()
    target.write_text("1\n", encoding="utf-8")
    assert project_paths.local_path(str(target), str(tmp_path / "project")) == target


# -- explain: what changed, in words ------------------------------------------------------------


def manifest(found: Fingerprint, upstream: dict[str, str] | None = None) -> Manifest:
    return Manifest(
        key=found.key(upstream or {}),
        pipeline="p",
        step="a",
        run_id="r",
        created="2026-01-01T00:00:00+00:00",
        params=dict(found.params),
        parts={},
        components=found.components(upstream or {}),
    )


def made(**fields: Any) -> Fingerprint:
    base: dict[str, Any] = {
        "code": {"m.py::f": "1"},
        "values": {"inputs.x": "1"},
        "params": {},
        "files": {},
        "settings": "s",
    }
    base.update(fields)
    return Fingerprint(**base)


@pytest.mark.parametrize(
    ("before", "now", "reason"),
    [
        (made(), made(), "no stored result for its current inputs"),
        (made(), made(code={"m.py::f": "2"}), "code of m.py changed (`f`)"),
        (made(), made(code={"m.py::f": "1", "m.py::g": "1"}), "it now uses `g` of m.py"),
        (made(), made(code={"m.py::f": "1", "h.py": "1"}), "it now uses h.py"),
        (made(code={"m.py::f": "1", "h.py": "1"}), made(), "it no longer uses h.py"),
        (
            made(code={"m.py::f": "1", "h.py": "1"}),
            made(code={"m.py::f": "1", "h.py": "2"}),
            "code of h.py changed",
        ),
        (made(code={"m.py::f": "1", "m.py::g": "1"}), made(), "it no longer uses `g` of m.py"),
        (
            made(code={"code_version": "v1"}),
            made(code={"code_version": "v2"}),
            "code_version changed ('v1' -> 'v2')",
        ),
        (
            made(code={"package:pandas": "2.1"}),
            made(code={"package:pandas": "2.2"}),
            "package pandas changed (2.1 -> 2.2)",
        ),
        (
            made(code={}),
            made(code={"package:pandas": "2.2"}),
            "it now uses package pandas",
        ),
        (
            made(code={"package:pandas": "2.2"}),
            made(code={}),
            "it no longer uses package pandas",
        ),
        (made(), made(values={"inputs.x": "2"}), "input x changed"),
        (made(), made(values={"inputs.x": "1", "foreach": "2"}), "foreach changed"),
        (
            made(files={"data.csv": "1"}),
            made(files={"data.csv": "2"}),
            "input file data.csv changed",
        ),
        (made(), made(files={"data.csv": "2"}), "it now reads data.csv"),
        (made(files={"data.csv": "1"}), made(), "it no longer reads data.csv"),
        (
            made(params={"data": "a.csv"}, values={"inputs.x": "1"}, files={"a.csv": "1"}),
            made(params={"data": "b.csv"}, values={"inputs.x": "2"}, files={"b.csv": "1"}),
            "param data changed ('a.csv' -> 'b.csv')",
        ),
        (made(), made(settings="t"), "its result settings changed"),
        (
            made(params={"ratio": 0.2}, values={"inputs.x": "1"}),
            made(params={"ratio": 0.3}, values={"inputs.x": "2"}),
            "param ratio changed (0.2 -> 0.3)",
        ),
        (made(), made(params={"ratio": 0.3}), "param ratio is new"),
    ],
)
def test_explain_names_what_changed(before: Fingerprint, now: Fingerprint, reason: str) -> None:
    assert explain(now.components({}), manifest(before), now.params) == reason


def test_a_masked_param_change_shows_no_value() -> None:
    before, now = made(params={"token": "old"}), made(params={"token": "***"})
    assert explain(now.components({}), manifest(before), now.params) == "param token changed"


def test_explain_names_a_changed_upstream_result() -> None:
    found = made()
    reason = explain(found.components({"a": "2"}), manifest(found, {"a": "1"}), {})
    assert reason == "the result of `a` changed"
    new = explain(found.components({"a": "1", "b": "1"}), manifest(found, {"a": "1"}), {})
    assert new == "it now takes the result of `b`"
    gone = explain(found.components({}), manifest(found, {"a": "1"}), {})
    assert gone == "it no longer takes the result of `a`"


def test_explain_lists_three_reasons_and_counts_the_rest() -> None:
    before = made()
    now = made(
        code={"m.py::f": "2"},
        values={"inputs.x": "2"},
        files={"a.csv": "1", "b.csv": "1"},
        settings="t",
    )
    assert explain(now.components({}), manifest(before), {}) == (
        "code of m.py changed (`f`); input x changed; it now reads a.csv (and 2 more)"
    )
    three = made(code={"m.py::f": "2"}, values={"inputs.x": "2"}, settings="t")
    assert explain(three.components({}), manifest(before), {}) == (
        "code of m.py changed (`f`); input x changed; its result settings changed"
    )


# -- mutants that survived the first round of the tests above (benchmarks/mutation.py) ---------


def test_a_sub_pipeline_steps_part_reference_keys_on_its_own_names(tmp_path: Path) -> None:
    origin = Origin(pipeline="child", step="b", prefix="data/")
    inside = Step(name="data/b", run="m.f", inputs=parse_value({"x": "${steps.data/a.part}"}))
    alone = Step(name="b", run="m.f", inputs=parse_value({"x": "${steps.a.part}"}))
    inlined = fingerprint(tmp_path, replace(inside, origin=origin))
    assert inlined.values == fingerprint(tmp_path, alone).values


def test_a_foreach_over_a_param_keys_on_the_params_value(tmp_path: Path) -> None:
    step = Step(name="a", run="m.f", foreach=parse_value("${params.n}"), code_version="1")
    found = fingerprint(tmp_path, step)
    assert found.values["foreach"] == digest(canonical_json(3))


def test_a_sub_pipeline_steps_params_and_file_are_in_its_key(tmp_path: Path) -> None:
    base = Step(name="s", pipeline="child.yaml", params=parse_value({"n": "${params.n}"}))
    found = fingerprint(tmp_path, base)
    assert found.code == {"pipeline": "child.yaml"}
    assert found.values["params"] == digest(canonical_json({"n": 3}))
    other_params = fingerprint(tmp_path, replace(base, params=parse_value({"n": 4})))
    other_file = fingerprint(tmp_path, replace(base, pipeline="other.yaml"))
    assert len({found.key({}), other_params.key({}), other_file.key({})}) == 3


def test_a_code_version_change_is_named_as_such(tmp_path: Path) -> None:
    before = fingerprint(tmp_path, Step(name="a", run="m.f", code_version="v1"))
    now = fingerprint(tmp_path, Step(name="a", run="m.f", code_version="v2"))
    assert explain(now.components({}), manifest(before), {}) == (
        "code_version changed ('v1' -> 'v2')"
    )


@pytest.mark.parametrize("nested", [["data.csv"], ("x", "data.csv"), {"deep": {"f": "data.csv"}}])
def test_files_named_inside_lists_and_mappings_count(tmp_path: Path, nested: Any) -> None:
    (tmp_path / "data.csv").write_text("1\n", encoding="utf-8")
    step = Step(name="a", run="m.f", inputs={"x": nested})
    assert list(fingerprint(tmp_path, step).files) == ["data.csv"]


def test_a_remote_input_keys_on_the_objects_fingerprint(tmp_path: Path) -> None:
    """An input URL on the results store's protocol: its size and stamp enter the key, read
    with the store's options (a root that names a param resolves it first)."""
    import fsspec

    memory = fsspec.filesystem("memory")
    url = f"memory://pipeflow-keys-{tmp_path.name}/raw.csv"
    memory.pipe(url, b"1,2\n")
    step = Step(name="a", run="m.f", inputs=parse_value({"src": url}), code_version="1")
    with_root = replace(
        pipeline(tmp_path, a=step),
        results=ResultsConfig(root=parse_value("memory://store-${params.n}")),
    )

    def keyed() -> Fingerprint:
        found = Fingerprinter(with_root, FileFingerprints(None))
        return found.fingerprint(step, lambda ref: {"n": 3}[ref.path[0]])

    try:
        before = keyed()
        assert list(before.files) == [url]
        both = replace(step, inputs=parse_value({"src": [url, "local.csv"]}))
        (tmp_path / "local.csv").write_text("1\n", encoding="utf-8")
        found = Fingerprinter(with_root, FileFingerprints(None)).fingerprint(
            both, lambda ref: {"n": 3}[ref.path[0]]
        )
        assert set(found.files) == {url, "local.csv"}  # a URL does not end the list
        assert before.files[url].startswith("4:")
        memory.pipe(url, b"1,2,3\n")
        after = keyed()
        assert after.files[url].startswith("6:")
        assert after.key({}) != before.key({})
    finally:
        memory.rm(url)
    assert list(keyed().files) == []  # a URL naming nothing is not a file input


@pytest.mark.parametrize("name", ["a\nb.csv", "a\\b"])
def test_odd_file_names(tmp_path: Path, name: str) -> None:
    """A name with a newline is never a path (it is text); a backslash counts as a separator."""
    (tmp_path / name).write_text("1\n", encoding="utf-8")
    assert (project_paths.local_path(name, str(tmp_path)) is None) is ("\n" in name)


def test_a_nul_byte_is_never_a_path(tmp_path: Path) -> None:
    assert project_paths.local_path("a\0b.csv", str(tmp_path)) is None


@pytest.mark.parametrize("missing", ["code", "values", "files", "upstream", "settings"])
def test_explain_reads_manifests_that_lack_a_part(missing: str) -> None:
    """A manifest written by an older pipeflow may lack a part; so may the current one."""
    found = made()
    stored = manifest(found, {"a": "1"})
    partial = {k: v for k, v in stored.components.items() if k != missing}
    old = replace(stored, components=partial)
    now = found.components({"a": "1"})
    assert isinstance(explain(now, old, {}), str)
    assert isinstance(explain({k: v for k, v in now.items() if k != missing}, stored, {}), str)


def test_explain_with_four_reasons_counts_one_more() -> None:
    now = made(code={"m.py::f": "2"}, values={"inputs.x": "2"}, files={"a.csv": "1"}, settings="t")
    assert explain(now.components({}), manifest(made()), {}) == (
        "code of m.py changed (`f`); input x changed; it now reads a.csv (and 1 more)"
    )


# -- remembered file hashes ---------------------------------------------------------------------


def test_a_hash_taken_elsewhere_is_used_and_stored_under_a_hash_of_the_path(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "s3cret-tenant"
    folder.mkdir()
    file = folder / "out.txt"
    file.write_text("made\n")
    status = file.stat()
    remembered = "0" * 64  # not the file's real hash: proves the file was not read again
    cache_file = tmp_path / "file-hashes.json"
    hashes = FileFingerprints(cache_file)
    hashes.remember(
        FileHash(str(file), status.st_size, status.st_mtime_ns, remembered, status.st_ctime_ns)
    )
    assert hashes.checksum(file) == (status.st_size, f"sha256:{remembered}")
    hashes.save()
    assert "s3cret-tenant" not in cache_file.read_text()
    assert FileFingerprints(cache_file).checksum(file) == (status.st_size, f"sha256:{remembered}")
