"""The planner's decisions, rule by rule, against a real result store in a temporary folder.

Each step gets a fixed fingerprint, so a key changes only where a test changes it; results are
stored for real (a payload, then its manifest) so the planner finds them as a run would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.fingerprint import Fingerprint
from pipeflow.cache.results import ResultCache
from pipeflow.cache.versions import canonical_json, data_version, digest, fan_out_version
from pipeflow.model.pipeline import Pipeline, ResultSpec, Step
from pipeflow.model.refs import Ref, parse_value
from pipeflow.model.run import ALL, Action, Decision
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import (
    READS_OTHER_RESULTS,
    CachePolicy,
    Planner,
    Selection,
    static_when,
    truthy,
)
from pipeflow.storage import Manifest, ResultStore, get_format

PARAMS: dict[str, Any] = {"flag": "no", "on": "yes", "items": [1, 2, 3], "n": 3}


def lookup(ref: Ref) -> Any:
    assert ref.scope == "params", f"{ref.text} needs a step's value: not known before the run"
    return PARAMS[ref.path[0]]


def step(name: str, *needs: str, **fields: Any) -> Step:
    inputs = {f"x_{need}": f"${{steps.{need}}}" for need in needs}
    inputs.update(fields.pop("inputs", {}))
    return Step(name=name, run=fields.pop("run", "m.f"), inputs=parse_value(inputs), **fields)


class Project:
    """A pipeline of steps, fingerprints that change only when asked, and a real store."""

    def __init__(self, tmp_path: Path, *steps: Step) -> None:
        self.steps = {s.name: s for s in steps}
        self.pipeline = Pipeline(
            name="p",
            steps=self.steps,
            source=str(tmp_path / "pipeline.yaml"),
            project_dir=str(tmp_path),
        )
        self.graph = StepGraph(self.steps)
        self.store = ResultStore(str(tmp_path / "store"))
        self.codes = dict.fromkeys(self.steps, "v1")
        self.runs = 0

    def fingerprint(self, name: str) -> Fingerprint:
        return Fingerprint(
            code={"m.py::f": self.codes[name]},
            values={"name": name},
            params={},
            files={},
            settings="settings",
        )

    def cache(self) -> ResultCache:
        return ResultCache(self.store, "p", hashes=FileFingerprints(None))

    def planner(
        self,
        *,
        selection: Selection | None = None,
        policy: CachePolicy | None = None,
        unstored: tuple[str, ...] = (),
    ) -> Planner:
        cache = self.cache()
        return Planner(
            self.pipeline,
            self.graph,
            lookup=lookup,
            fingerprints={name: self.fingerprint(name) for name in self.steps},
            caches={name: None if name in unstored else cache for name in self.steps},
            selection=selection,
            policy=policy,
        )

    def store_result(self, name: str, upstream: Mapping[str, str], value: Any = 1) -> Manifest:
        """Store `value` as the step's result for its key given `upstream` versions."""
        key = self.fingerprint(name).key(upstream)
        return self.store_under(name, key, value, upstream)

    def store_under(
        self, name: str, key: str, value: Any, upstream: Mapping[str, str] | None = None
    ) -> Manifest:
        self.runs += 1
        cache = self.cache()
        part = self.store.write(
            f"{cache.payload_prefix(name, key)}/value.json",
            value,
            format=get_format("json"),
            internal=True,
        )
        manifest = Manifest(
            key=key,
            pipeline="p",
            step=name,
            run_id=f"run-{self.runs}",
            created=datetime.now(timezone.utc).isoformat(),
            params={},
            parts={"value": part},
            components=self.fingerprint(name).components(upstream=upstream or {}),
        )
        cache.record(manifest)
        return manifest

    def store_chain(self, *names: str) -> dict[str, Manifest]:
        """Store results for a chain of steps, each one's upstream being the one before."""
        stored: dict[str, Manifest] = {}
        previous: str | None = None
        for name in names:
            upstream = {} if previous is None else {previous: data_version(stored[previous])}
            stored[name] = self.store_result(name, upstream, value=f"{name} value")
            previous = name
        return stored


def decided(planner: Planner) -> dict[str, tuple[Action, str]]:
    return {d.step: (d.action, d.reason) for d in planner.plan()}


# -- `when` ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["", "  ", "false", "False", "FALSE", " false ", "no", "No", "NO", "off", "Off", "OFF",
     "0", " 0", "none", "None", "NONE", "null", "Null", "NULL", False, 0, 0.0, None, [], {}],
)  # fmt: skip
def test_false_spellings_read_as_false(value: Any) -> None:
    assert truthy(value) is False


@pytest.mark.parametrize(
    "value",
    ["yes", "true", "True", "on", "1", "n", "nope", "falsey", "no way", "-",
     True, 1, 2.5, [0], {"a": 0}],
)  # fmt: skip
def test_other_values_read_as_true(value: Any) -> None:
    assert truthy(value) is True


def test_static_when_is_known_before_the_run_unless_it_needs_a_step() -> None:
    assert static_when(None, lookup) is True
    assert static_when(True, lookup) is True
    assert static_when(False, lookup) is False
    assert static_when(parse_value("${params.flag}"), lookup) is False  # "no"
    assert static_when(parse_value("${params.on}"), lookup) is True  # "yes"
    assert static_when(parse_value("no"), lookup) is False
    assert static_when(parse_value("${steps.a}"), lookup) is None
    assert static_when(parse_value("${steps.a.part}"), lookup) is None
    assert static_when(parse_value({"x": "${steps.a}", "y": "${params.on}"}), lookup) is None


@pytest.mark.parametrize("when", [False, "no", "${params.flag}", "off", "0", ""])
def test_a_false_when_skips_the_step_and_what_needs_its_value(tmp_path: Path, when: Any) -> None:
    project = Project(
        tmp_path,
        step("a"),
        step("b", "a", when=parse_value(when)),
        step("c", "b"),
        step("d", after=("b",)),  # only after: it needs no value, so it runs
    )
    assert decided(project.planner()) == {
        "a": (Action.RUN, "no stored result yet"),
        "b": (Action.SKIPPED, "`when` is false"),
        "c": (Action.SKIPPED, "needs `b`, which is skipped"),
        "d": (Action.RUN, "no stored result yet"),
    }


@pytest.mark.parametrize("when", [True, "yes", "${params.on}", "${params.n}"])
def test_a_true_when_decides_as_without_it(tmp_path: Path, when: Any) -> None:
    project = Project(tmp_path, step("a", when=parse_value(when)))
    assert decided(project.planner()) == {"a": (Action.RUN, "no stored result yet")}


def test_a_when_on_a_step_value_is_decided_during_the_run(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("b", when=parse_value("${steps.a}")))
    assert decided(project.planner())["b"] == (Action.RUN, "`a` runs first")


# -- the cache -------------------------------------------------------------------------------


def test_stored_results_are_taken_with_their_key_and_version(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("b", "a"))
    stored = project.store_chain("a", "b")
    planner = project.planner()
    decisions = planner.plan()
    assert decisions == [
        Decision("a", Action.CACHED, "stored by run run-1", stored["a"].key),
        Decision("b", Action.CACHED, "stored by run run-2", stored["b"].key),
    ]
    assert planner.keys == {"a": stored["a"].key, "b": stored["b"].key}
    assert planner.manifests == stored
    assert planner.versions == {name: data_version(m) for name, m in stored.items()}


@pytest.mark.parametrize("stored", [True, False])
def test_each_decided_key_is_hashed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored: bool
) -> None:
    """Deciding a stored step hashes its key once (a run decides every step of a chain of
    stored steps again as it goes: issue 13's stored path), found or not."""
    project = Project(tmp_path, step("a"), step("b", "a"), step("c"))
    if stored:
        project.store_chain("a", "b")
    hashed: list[str] = []
    key, key_and_components = Fingerprint.key, Fingerprint.key_and_components

    def counted(self: Fingerprint, upstream: Mapping[str, str]) -> str:
        hashed.append(str(self.values["name"]))
        return key(self, upstream)

    def counted_too(self: Fingerprint, upstream: Mapping[str, str]) -> tuple[str, Any]:
        hashed.append(str(self.values["name"]))
        return key_and_components(self, upstream)

    monkeypatch.setattr(Fingerprint, "key", counted)
    monkeypatch.setattr(Fingerprint, "key_and_components", counted_too)
    planner = project.planner()
    planner.plan()
    if stored:
        assert sorted(hashed) == ["a", "b", "c"]
        return
    assert sorted(hashed) == ["a", "c"]  # `b` waits for `a`, which runs
    planner.ran("a", project.store_result("a", {}))
    planner.settle("b")
    hashed.clear()
    assert planner.decide("b", planner.upstream_versions(project.steps["b"])).key
    assert hashed == ["b"]


def test_the_components_of_a_key_are_kept_only_for_a_step_the_run_starts(tmp_path: Path) -> None:
    """What a key is made of goes to the manifest of the step the run starts now, once, and
    matches the key; a plan keeps none (it would hold them for every step it decides)."""
    project = Project(tmp_path, step("a"), step("b", "a"), step("c"))
    planner = project.planner()
    plan = {decision.step: decision for decision in planner.plan()}
    assert plan["a"].key  # decided with their keys, and not started
    assert plan["c"].key
    assert planner.components("a", plan["a"].key) is None
    assert planner.components("c", plan["c"].key) is None
    planner.ran("a", project.store_result("a", {}))
    planner.settle("b")
    upstream = planner.upstream_versions(project.steps["b"])
    assert upstream is not None
    decision = planner.decide("b", upstream, starting=True)
    assert decision.action is Action.RUN
    components = planner.components("b", decision.key)
    assert components == planner.fingerprints["b"].components(upstream)
    assert digest(canonical_json(components)) == decision.key
    assert planner.components("b", decision.key) is None  # given once
    planner.decide("b", upstream, starting=True)
    assert planner.components("b", "another key") is None  # not for another key


def test_a_changed_step_runs_and_what_follows_waits_for_it(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("b", "a"), step("c", "b"))
    project.store_chain("a", "b", "c")
    project.codes["a"] = "v2"
    planner = project.planner()
    decisions = planner.plan()
    assert [(d.step, d.action, d.reason) for d in decisions] == [
        ("a", Action.RUN, "code of m.py changed (`f`)"),
        ("b", Action.RUN, "`a` runs first"),
        ("c", Action.RUN, "`b` runs first"),
    ]
    assert decisions[0].key == project.fingerprint("a").key({})
    assert decisions[1].key == ""  # not known until `a` has a result
    assert decisions[2].key == ""
    assert planner.upstream_versions(project.steps["b"]) is None


def test_an_unchanged_upstream_result_keeps_the_rest_cached(tmp_path: Path) -> None:
    """The engine decides again once a step ran: the same bytes, the same downstream key."""
    project = Project(tmp_path, step("a"), step("b", "a"))
    stored = project.store_chain("a", "b")
    project.codes["a"] = "v2"
    planner = project.planner()
    planner.plan()
    again = project.store_result("a", {}, value="a value")  # the same bytes under a new key
    planner.ran("a", again)
    assert planner.manifests["a"] is again
    assert planner.versions["a"] == data_version(stored["a"])
    upstream = planner.upstream_versions(project.steps["b"])
    assert upstream == {"a": data_version(again)}
    planner.settle("b")  # as the engine does once every upstream step has finished
    assert planner.decide("b", upstream) == Decision(
        "b", Action.CACHED, "stored by run run-2", stored["b"].key
    )


def test_a_changed_upstream_result_runs_what_follows_saying_why(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("b", "a"))
    project.store_chain("a", "b")
    project.codes["a"] = "v2"
    planner = project.planner()
    planner.plan()
    planner.ran("a", project.store_result("a", {}, value="another value"))
    upstream = planner.upstream_versions(project.steps["b"])
    planner.settle("b")
    decision = planner.decide("b", upstream)
    assert decision.action is Action.RUN
    assert decision.reason == "the result of `a` changed"
    assert decision.key == project.fingerprint("b").key(upstream or {})
    assert planner.keys["b"] == decision.key


# -- an unstored step's version ---------------------------------------------------------------


def test_an_unstored_steps_version_follows_its_key(tmp_path: Path) -> None:
    """A value never stored counts by its key: the same inputs, the same version; other
    inputs, another version (so what follows runs again)."""
    versions = []
    for code in ("v1", "v1", "v2"):
        project = Project(tmp_path, step("a"), step("b", "a"))
        project.codes["a"] = code
        planner = project.planner(unstored=("a",))
        decisions = decided(planner)
        assert decisions["a"] == (Action.RUN, "its result is never stored (`result: false`)")
        planner.ran("a", None)
        versions.append(planner.versions["a"])
        assert planner.upstream_versions(project.steps["b"]) == {"a": versions[-1]}
    assert isinstance(versions[0], str)
    assert versions[0] == versions[1]
    assert versions[0] != versions[2]


def test_unstored_steps_with_different_keys_differ_even_with_one_name(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"))
    one, other = project.planner(unstored=("a",)), project.planner(unstored=("a",))
    one.keys["a"], other.keys["a"] = "key-one", "key-two"
    one.ran("a", None)
    other.ran("a", None)
    assert one.versions["a"] != other.versions["a"]


def test_a_step_that_ran_before_its_key_was_known_still_gets_a_version(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"))
    planner = project.planner(unstored=("a",))
    planner.ran("a", None)  # no key decided: the step's name stands in
    assert isinstance(planner.versions["a"], str)
    assert planner.versions["a"]
    assert planner.manifests == {}


# -- what cannot come from the cache ------------------------------------------------------------


@pytest.mark.parametrize("run", READS_OTHER_RESULTS)
def test_pipeflow_read_is_never_taken_from_the_cache(tmp_path: Path, run: str) -> None:
    """What it reads belongs to another pipeline: its key cannot see a change there."""
    project = Project(tmp_path, step("r", run=run))
    project.store_result("r", {})
    decision = project.planner().plan()[0]
    assert (decision.action, decision.reason) == (
        Action.RUN,
        "it reads a result or file that may have changed: read again",
    )
    assert decision.key == project.fingerprint("r").key({})


def test_the_read_spellings_are_the_builtin_step() -> None:
    assert set(READS_OTHER_RESULTS) == {
        "pipeflow.read",
        "pipeflow:read",
        "pipeflow.builtin.read",
        "pipeflow.builtin:read",
    }


def test_another_run_path_is_cached(tmp_path: Path) -> None:
    project = Project(tmp_path, step("r", run="pipeflow_reader.read"))
    project.store_result("r", {})
    assert decided(project.planner())["r"][0] is Action.CACHED


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("no-cache", "--no-cache"),
        ("cache-false", "caching is off for it (`cache: false`)"),
        ("unstored", "its result is never stored (`result: false`)"),
    ],
)
def test_caching_off_runs_with_its_reason_and_key(tmp_path: Path, kind: str, reason: str) -> None:
    a = step("a", cache=kind != "cache-false", result=ResultSpec(persist=kind != "unstored"))
    project = Project(tmp_path, a)
    project.store_result("a", {})
    planner = project.planner(
        policy=CachePolicy(use=kind != "no-cache"),
        unstored=("a",) if kind == "unstored" else (),
    )
    assert planner.plan() == [Decision("a", Action.RUN, reason, project.fingerprint("a").key({}))]


def test_caching_off_with_a_pending_upstream_has_no_key_yet(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("b", "a", cache=False))
    decisions = project.planner().plan()
    assert decisions[1] == Decision("b", Action.RUN, "caching is off for it (`cache: false`)", "")


# -- --force -----------------------------------------------------------------------------------


def test_force_all_runs_every_step_with_its_key(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("b", "a"))
    stored = project.store_chain("a", "b")
    decisions = project.planner(policy=CachePolicy(force=(ALL,))).plan()
    assert decisions == [
        Decision("a", Action.RUN, "forced", stored["a"].key),
        Decision("b", Action.RUN, "forced", ""),  # `a` runs: b's key is not known yet
    ]


def test_force_a_step_forces_it_and_what_follows_only(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("b", "a"), step("c", "b"), step("d"))
    stored = project.store_chain("a", "b", "c")
    project.store_result("d", {})
    decisions = decided(project.planner(policy=CachePolicy(force=("b",))))
    assert decisions == {
        "a": (Action.CACHED, "stored by run run-1"),
        "b": (Action.RUN, "forced"),
        "c": (Action.RUN, "forced"),
        "d": (Action.CACHED, "stored by run run-4"),
    }
    assert stored  # the control: there was something to take from the cache


# -- selection ---------------------------------------------------------------------------------


def test_steps_outside_the_selection_come_from_the_cache_or_are_missing(tmp_path: Path) -> None:
    """`--only c`: `a` is stored, `b` is not, so `c` cannot run and `b` is reported missing."""
    project = Project(tmp_path, step("a"), step("b", "a"), step("c", "b"), step("other"))
    project.store_result("a", {})
    planner = project.planner(selection=Selection(only=("c",)))
    assert decided(planner) == {
        "a": (Action.CACHED, "stored by run run-1"),
        "b": (Action.SKIPPED, "not selected"),
        "c": (Action.SKIPPED, "needs `b`, which is skipped"),
        "other": (Action.SKIPPED, "not selected"),
    }
    assert planner.missing == [("b", "c")]


def test_an_unselected_step_is_not_taken_from_the_cache_when_caching_is_off(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path, step("a"), step("b", "a"))
    project.store_result("a", {})
    planner = project.planner(selection=Selection(only=("b",)), policy=CachePolicy(use=False))
    assert decided(planner)["a"] == (Action.SKIPPED, "not selected")
    assert planner.missing == [("a", "b")]


# -- foreach -----------------------------------------------------------------------------------


def fan(items: Any = "${params.items}") -> Step:
    return step("f", foreach=parse_value(items), item_name="x")


def store_items(project: Project, items: list[Any]) -> list[Manifest]:
    fingerprint = project.fingerprint("f")
    return [
        project.store_under("f", fingerprint.item_key({}, item), value=item * 10) for item in items
    ]


def test_a_foreach_step_is_cached_when_every_item_is(tmp_path: Path) -> None:
    project = Project(tmp_path, fan())
    stored = store_items(project, [1, 2, 3])
    planner = project.planner()
    assert planner.plan() == [Decision("f", Action.CACHED, "all 3 items are stored", "")]
    assert planner.item_manifests["f"] == stored
    assert planner.versions["f"] == fan_out_version([data_version(m) for m in stored])


def test_a_foreach_step_runs_saying_how_many_items_are_missing(tmp_path: Path) -> None:
    project = Project(tmp_path, fan())
    store_items(project, [1, 3])
    planner = project.planner()
    assert planner.plan() == [Decision("f", Action.RUN, "1 of 3 items have no stored result", "")]
    assert "f" not in planner.versions
    assert "f" not in planner.item_manifests


def test_a_foreach_over_a_step_value_is_decided_item_by_item(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), fan("${steps.a}"))
    project.store_result("a", {})
    planner = project.planner()
    assert planner.plan()[1] == Decision(
        "f", Action.RUN, "runs once per item; each item is cached", ""
    )


def test_a_pipeline_that_stores_nothing_says_so_not_result_false(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"))
    project.pipeline = replace(
        project.pipeline, results=replace(project.pipeline.results, persist=False)
    )
    decision = project.planner(unstored=("a",)).plan()[0]
    assert decision.reason == "nothing is stored (`results: {persist: false}`)"


def test_a_foreach_step_never_stored_runs_item_by_item(tmp_path: Path) -> None:
    project = Project(tmp_path, fan())
    planner = project.planner(unstored=("f",))
    decision = planner.plan()[0]
    assert (decision.action, decision.reason) == (
        Action.RUN,
        "its result is never stored (`result: false`)",
    )


def test_a_foreach_over_a_value_that_is_not_a_list_runs(tmp_path: Path) -> None:
    project = Project(tmp_path, fan("${params.n}"))
    assert project.planner().plan() == [
        Decision("f", Action.RUN, "runs once per item; each item is cached", "")
    ]


def test_foreach_items_are_found_by_their_upstream_too(tmp_path: Path) -> None:
    project = Project(tmp_path, step("a"), step("f", "a", foreach=parse_value("${params.items}")))
    stored_a = project.store_result("a", {})
    upstream = {"a": data_version(stored_a)}
    fingerprint = project.fingerprint("f")
    for item in PARAMS["items"]:
        project.store_under("f", fingerprint.item_key(upstream, item), item, upstream)
    assert decided(project.planner())["f"] == (Action.CACHED, "all 3 items are stored")
    project.store_result("a", {}, value="changed")  # a's newest result differs now
    project.codes["a"] = "v2"
    planner = project.planner()
    planner.plan()
    planner.ran("a", project.store_result("a", {}, value="changed"))
    planner.settle("f")
    again = planner.decide("f", planner.upstream_versions(project.steps["f"]))
    assert again == Decision(
        "f", Action.RUN, "3 of 3 items have no stored result (the result of `a` changed)", ""
    )


@pytest.mark.parametrize(
    ("selection", "selected"),
    [
        (Selection(start="b"), {"b", "c"}),
        (Selection(until="b"), {"a", "b"}),
        (Selection(start="b", until="b"), {"b"}),
        (Selection(only=("a", "c")), {"a", "c"}),
    ],
)
def test_from_and_until_select_part_of_the_chain(
    tmp_path: Path, selection: Selection, selected: set[str]
) -> None:
    project = Project(tmp_path, step("a"), step("b", "a"), step("c", "b"))
    planner = project.planner(selection=selection)
    assert planner.selected == selected
    unselected = {s for s, (_, reason) in decided(planner).items() if reason == "not selected"}
    assert unselected == {"a", "b", "c"} - selected
