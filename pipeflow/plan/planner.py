"""The planner: decide for each step whether it runs, is taken from the cache, or is skipped.

For every step, in order (each rule only when the ones above it did not decide):

1. outside `--only/--from/--until/--tag`: skipped if its `when` is known false (as rule 2),
   else cached if a stored result fits, else skipped — unless a selected step needs its
   value, which is reported as missing; skipped as well when a step before it runs (its
   value, or the files it reads, are not known before the run);
2. a false `when` known before the run (from params, or from the stored values of cached
   steps: `when.py`), or a value it needs from a skipped step: skipped;
3. `--force`: runs ("forced");
4. caching off (`--no-cache`, `cache: false`, a result that is never stored): runs;
5. a step it takes values from will run: runs for now ("`x` runs first"); the engine decides
   again once that step's result exists, and takes this one from the cache if the result
   came out unchanged;
6. a stored result exists for its key: cached; otherwise it runs, with the reason read off
   the difference from its last stored result ("param test_data_ratio changed (0.2 -> 0.3)").
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any

from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.fingerprint import Fingerprint
from pipeflow.cache.restore import Assessment, Assessor
from pipeflow.cache.results import ResultCache
from pipeflow.cache.source import Source
from pipeflow.cache.unchanged import FileStamp
from pipeflow.cache.versions import data_version as stored_version
from pipeflow.cache.versions import digest, taken_version
from pipeflow.importing import READS_OTHER_RESULTS  # the built-in steps' registry
from pipeflow.model.locations import item_lookup, locate, path_texts
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, references, resolve
from pipeflow.model.run import ALL, Action, Decision
from pipeflow.plan.choices import CachePolicy, Selection
from pipeflow.plan.fan_out import decide_fan_out
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.reasons import why_not_stored, why_runs, why_waits
from pipeflow.plan.timing import FileTiming, Refingerprint
from pipeflow.plan.unselected import decide_unselected
from pipeflow.plan.values import ValueFiles
from pipeflow.plan.when import WhenUndecided, static_when, stored_items, stored_when, truthy
from pipeflow.storage import Manifest
from pipeflow.storage.blobs import FileHash, Restoration

__all__ = [
    "ALL",
    "READS_OTHER_RESULTS",
    "CachePolicy",
    "Planner",
    "Selection",
    "WhenUndecided",
    "static_when",
    "truthy",
]

NOTHING_STORED = Assessment()  # for a step with no stored result to assess (frozen: shared)


# Why a `pipeflow.read` step runs: its key cannot see a change in what it reads.
READ_AGAIN = "it reads a result or file that may have changed: read again"


class Planner:
    """Makes every decision before the run, and again during it as results come in."""

    def __init__(
        self,
        pipeline: Pipeline,
        graph: StepGraph,
        *,
        lookup: Callable[[Ref], Any],
        fingerprints: Mapping[str, Fingerprint],
        caches: Mapping[str, ResultCache | None],
        selection: Selection | None = None,
        policy: CachePolicy | None = None,
        refingerprint: Refingerprint | None = None,
        hashes: FileFingerprints | None = None,
        assessor: Assessor | None = None,
    ) -> None:
        """`refingerprint` computes a step's fingerprint again (its files as they are now, or
        as restores of its upstream steps will leave them)."""
        selection = selection or Selection()
        policy = policy or CachePolicy()
        self.pipeline = pipeline
        self.graph = graph
        self.lookup = lookup
        self.fingerprints = dict(fingerprints)
        self.caches = caches  # per step: where its results live (None: never stored)
        self.policy = policy
        self.selected = graph.select(
            only=selection.only, start=selection.start, until=selection.until, tags=selection.tags
        )
        self.forced = self._forced(policy.force)
        self.versions: dict[str, str] = {}  # data versions known so far
        self.keys: dict[str, str] = {}
        self.manifests: dict[str, Manifest] = {}
        self.item_manifests: dict[str, list[Manifest]] = {}  # `foreach` steps found cached
        self.missing: list[tuple[str, str]] = []  # (step, the selected step that needs it)
        self.timing = FileTiming(graph, refingerprint)
        self.hashes = hashes  # the file hashes this run remembers
        self.assessor = assessor  # compares stored results with the workspace
        self.restorations: dict[str, Restoration] = {}  # what steps decided `restore` put back
        self.lost: dict[str, str] = {}  # why a step's stored result for its key is unusable
        self.decisions: dict[str, Decision] = {}  # made before the run
        # What the key just computed for a step the run starts now is made of, for its
        # manifest: taken (once) when the step runs, so the run does not build it again.
        self._components: dict[str, tuple[str, dict[str, Any]]] = {}
        # The files other steps' values name, added to fingerprints (`values.py`).
        self.values = ValueFiles(pipeline, self.manifests, caches)
        # The source and local files each step's key was computed from (`prepare`): checked.
        self.sources_of: Callable[[Step], tuple[Source, ...]] = lambda step: ()
        self.stamps_of: Callable[[Step], tuple[FileStamp, ...]] = lambda step: ()

    def _forced(self, force: Iterable[str]) -> set[str]:
        names = list(force)
        if ALL in names:
            return set(self.graph.upstream)
        steps = self.graph.members(names)
        return set(steps) | self.graph.descendants(steps)

    def plan(self) -> list[Decision]:
        decisions = self.decisions
        needed = (
            self.graph.ancestors(self.selected) - self.selected
            if len(self.selected) < len(self.graph.upstream)
            else set()  # every step is selected: none is needed from outside (no graph walk)
        )
        for name in self.graph.order():
            step = self.pipeline.steps[name]
            upstream = self.upstream_versions(step)
            skipped_dep = next(
                (d for d in step.value_upstream() if decisions[d].action is Action.SKIPPED),
                None,
            )
            if name not in self.selected:
                decision = decide_unselected(self, name, upstream, needed)
            elif skipped_dep is not None:
                decision = Decision(
                    name, Action.SKIPPED, f"needs `{skipped_dep}`, which is skipped"
                )
            elif self.when_known(step) is False:
                decision = Decision(name, Action.SKIPPED, "`when` is false")
            else:
                decision = self.decide(name, upstream)
            decisions[name] = decision
        return list(decisions.values())

    def when_known(self, step: Step) -> bool | None:
        """A step's `when:` when it is known before the run (`when.py`), else None."""
        known = static_when(step.when, self.lookup)
        if known is None:
            known = stored_when(
                step.when, self.lookup, self.pipeline.steps, self._cached, self._cached_items
            )
        return known

    def _cached(self, name: str) -> tuple[Manifest, ResultCache] | None:
        """The stored result of a step taken from the cache, and its cache."""
        decision, manifest, cache = self.decisions.get(name), self.manifests.get(name), None
        if decision is not None and decision.action is Action.CACHED and manifest is not None:
            cache = self.caches.get(name)
        return (manifest, cache) if cache is not None and manifest is not None else None

    def _cached_items(self, name: str) -> tuple[list[Manifest], ResultCache] | None:
        """The stored results of a `foreach` step's items, taken from the cache, and its cache."""
        decision, items = self.decisions.get(name), self.item_manifests.get(name)
        cache = self.caches.get(name)
        if decision is None or decision.action is not Action.CACHED or cache is None:
            return None
        return (list(items), cache) if items is not None else None

    def cacheable(self, step: Step) -> str | None:
        """Why a step's result cannot come from the cache, or None when it can."""
        if not self.policy.use:
            return "--no-cache"
        if self.caches.get(step.name) is None:
            return why_not_stored(self.pipeline, step)
        if not step.cache:
            return "caching is off for it (`cache: false`)"
        if step.run in READS_OTHER_RESULTS:
            # What it reads is another pipeline's business: its key cannot see a change there.
            return READ_AGAIN
        return None

    def upstream_versions(self, step: Step) -> dict[str, str] | None:
        """Data versions of the steps it takes values from, or None if one is not known yet."""
        versions: dict[str, str] = {}
        for dep in step.value_upstream():
            if dep not in self.versions:
                return None
            versions[dep] = taken_version(
                self.versions[dep], self.manifests.get(dep), step.parts_taken(dep)
            )
        return versions

    def decide(
        self, name: str, upstream: Mapping[str, str] | None, *, starting: bool = False
    ) -> Decision:
        """Run or cached, with the reason; `upstream` None when some upstream result is pending.

        `starting`: the run starts the step now if it runs, so what its key is made of is kept
        for its manifest (not for every step a plan decides: that would hold them all)."""
        step = self.pipeline.steps[name]
        pending = (
            next((d for d in step.value_upstream() if d not in self.versions), None)
            if upstream is None
            else None
        )
        waiting = self.timing.waiting(name, pending, self.decisions)
        if waiting is None:
            waiting = self.timing.predict(name, self.decisions, self.fingerprints)
        components: dict[str, Any] | None = None
        if waiting is None and upstream is not None:
            self.values.add(name, step, self.fingerprints)
            self.keys[name], components = self.fingerprints[name].key_and_components(upstream)
            if not starting:
                components = None
        # A key computed before an upstream step ran would not be this step's: none yet.
        key = self.keys.get(name, "") if waiting is None else ""
        if name in self.forced:
            return self._runs(Decision(name, Action.RUN, "forced", key), components)
        cache = self.caches.get(name)
        not_cacheable = self.cacheable(step)
        if not_cacheable is not None:  # a read, or what is never stored: `deferred` (--frozen)
            again = not_cacheable == READ_AGAIN or (self.policy.frozen and cache is None)
            return self._runs(Decision(name, Action.RUN, not_cacheable, key, again), components)
        if waiting is not None or upstream is None:
            own = why_waits(cache, step, self.fingerprints[name])
            why = own or waiting or "an upstream step runs first"
            deferred = own is None and self.timing.restores_first(name, self.decisions)
            return Decision(name, Action.RUN, why, "", deferred)
        if step.foreach is not None:
            return decide_fan_out(self, name, upstream)
        found = self.find(name, upstream, key)  # the key just computed, not hashed again
        if found is not None:
            return found
        why = self.lost.get(name) or why_runs(
            cache,
            step,
            self.fingerprints[name],
            upstream,
            closest=not starting,
            project_dir=self.pipeline.project_dir,
        )
        return self._runs(Decision(name, Action.RUN, why, key), components)

    def _runs(self, decision: Decision, components: dict[str, Any] | None) -> Decision:
        """`decision` (to run), keeping what its key is made of for the manifest of a step
        whose result is stored (`components`)."""
        name = decision.step
        if components is not None and self.caches.get(name) is not None and self.policy.use:
            self._components[name] = decision.key, components
        return decision

    def items_of(self, name: str) -> Any:
        """What a `foreach` step's `foreach:` comes to before the run (a list, or something
        the run refuses), or None where it is not known: made of a step's value, it is that
        step's stored one if the step is cached and its value small enough to read."""
        step = self.pipeline.steps[name]
        if any(ref.scope == "steps" for ref in references(step.foreach)):
            return stored_items(
                step.foreach, self.lookup, self.pipeline.steps, self._cached, self._cached_items
            )
        try:
            return resolve(step.foreach, self.lookup)
        except Exception:
            return None  # reported by the run

    def find(
        self, name: str, upstream: Mapping[str, str], key: str | None = None
    ) -> Decision | None:
        """The cached decision for the stored result of `name` for its key (`key`, when the
        caller has just computed it from `upstream`), or None when there is none."""
        if key is None:
            key = self.fingerprints[name].key(upstream)
        self.keys[name] = key
        manifest, assessment = self.stored(name, key)
        if manifest is None:
            if assessment.lost is not None:
                self.lost[name] = assessment.lost
            return None
        self.manifests[name] = manifest
        self.versions[name] = stored_version(manifest)
        if assessment.restoration:
            self.restorations[name] = assessment.restoration
            self.timing.restored[name] = assessment.overrides(manifest.files)
            if assessment.restoration.parts and not assessment.published:
                self.timing.republished.add(name)  # put back elsewhere: its readers wait
            return Decision(name, Action.RESTORE, assessment.reason, key)
        return Decision(name, Action.CACHED, f"stored by run {manifest.run_id}", key)

    def stored(
        self, name: str, key: str, *, item: Any = None
    ) -> tuple[Manifest | None, Assessment]:
        """The stored result of `name` (of one `item` of a `foreach` step) for `key` that can
        be used, and what it takes to put its files and payloads back; (None, why) when there
        is none."""
        cache = self.caches.get(name)
        if cache is None:
            return None, NOTHING_STORED
        manifest = cache.find_manifest(name, key)
        if manifest is None:
            cache.note_unreadable(name, key)
            return None, NOTHING_STORED
        if self.assessor is None:
            return cache.find(name, key), NOTHING_STORED
        step = self.pipeline.steps[name]
        folder = self.pipeline.folder_of(step)
        writes = [
            locate(text, folder)
            for text in path_texts(step.writes, item_lookup(self.lookup, item, True))
        ]
        assessment = self.assessor.assess(cache, manifest, folder, writes)
        if assessment.lost is not None:
            return None, assessment
        return manifest, assessment

    def components(self, name: str, key: str) -> dict[str, Any] | None:
        """What `key`, the last key decided for `name`, is made of; None if not kept (then
        the fingerprint makes them again). Given once: the manifest keeps them after."""
        kept = self._components.pop(name, None)
        return kept[1] if kept is not None and kept[0] == key else None

    def settle(self, name: str) -> None:
        """Called when every upstream step of `name` has finished, before it is decided again
        or started: its files are fingerprinted afresh if they were taken too early."""
        self.timing.settle(name, self.fingerprints)

    def reopen(self, name: str, finished: Container[str]) -> list[str]:
        """A step decided cached runs after all (its stored result could not be read or
        restored): the steps after it that were decided from its stored result are decided
        again once it has run. Returns them."""
        reopened = []
        for later in self.graph.descendants([name]):
            decision = self.decisions.get(later)
            if later in finished or decision is None or decision.action is Action.SKIPPED:
                continue
            for found in (self.versions, self.manifests, self.restorations, self.keys):
                found.pop(later, None)
            self.item_manifests.pop(later, None)
            self.timing.reopen(later)
            reopened.append(later)
        return reopened

    def remember(self, hashes: Iterable[FileHash]) -> None:
        """Hashes of files a step wrote or restored, and of blobs it checked, taken on the
        worker."""
        if self.hashes is not None:
            for found in hashes:
                self.hashes.remember(found)

    def ran(self, name: str, manifest: Manifest | None, version: str | None = None) -> None:
        """Note a step's result from this run, so the steps after it can be decided: its
        stored checksums, or an unstored value's hash (`value_version`) taken where it ran."""
        if manifest is not None:
            self.manifests[name] = manifest
            self.versions[name] = stored_version(manifest)
        elif version is not None:
            self.versions[name] = version
        else:
            # A value no format holds (a connection), or one no later step is keyed by,
            # counts by its key: the same inputs, the same value.
            self.versions[name] = digest("unstored", self.keys.get(name, name))
