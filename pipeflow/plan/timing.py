"""When a step's files may be fingerprinted: once every step before it has finished.

A step's key takes the content of the files it reads, and a step before it (one whose value
it takes, one in its `after:`, one that writes what it reads) may change those files. So:

1. before the run, a step any of whose upstream steps will run is not decided: its files
   are as they were before that step ran ("`write` runs first"). The engine calls `settle`
   once all its upstream steps have finished, which fingerprints the files afresh, and
   decides it then: from what the writer actually wrote;
2. an upstream step that will be *restored* leaves exactly the files its manifest lists:
   the step's fingerprint is computed from that list (see `cache/workspace.py`), so it is
   decided before the run as usual. Where that cannot be computed (it reads a folder holding
   the restored write), it waits as in 1;
3. nothing upstream runs or is restored: the fingerprints taken before the run are right,
   and an unchanged re-run is decided entirely up front.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping

from pipeflow.cache.fingerprint import Fingerprint
from pipeflow.cache.workspace import Override, Unpredictable
from pipeflow.model.run import Action, Decision
from pipeflow.plan.graph import StepGraph

# (step, writes about to be restored) -> the step's fingerprint, its files taken now.
Refingerprint = Callable[[str, tuple[Override, ...]], Fingerprint]


class FileTiming:
    """Which steps' fingerprints were taken too early, and taking them again."""

    def __init__(self, graph: StepGraph, refingerprint: Refingerprint | None) -> None:
        self.graph = graph
        self.refingerprint = refingerprint
        self.stale: set[str] = set()  # fingerprinted before an upstream step ran
        self.settled: set[str] = set()  # every upstream step has finished
        # Per step decided `restore`: the writes it will put back, as they will be.
        self.restored: dict[str, tuple[Override, ...]] = {}
        # Steps decided `restore` that put their `result.target` back: a step after one may
        # read it (a target in the workspace), as it will be once the restore is done.
        self.republished: set[str] = set()

    def waiting(
        self, name: str, pending_value: str | None, decisions: Mapping[str, Decision]
    ) -> str | None:
        """Why `name` cannot be decided yet (an upstream step runs first), or None."""
        if name in self.settled:
            return None
        if pending_value is not None:
            self.stale.add(name)
            return f"`{pending_value}` runs first"
        for dep in self.graph.upstream[name]:
            decision = decisions.get(dep)
            if decision is not None and decision.action is Action.RUN:
                self.stale.add(name)
                return f"`{dep}` runs first"
        return None

    def predict(
        self,
        name: str,
        decisions: Mapping[str, Decision],
        fingerprints: MutableMapping[str, Fingerprint],
    ) -> str | None:
        """Fingerprint `name` as the restores before it will leave its files; the reason it
        must wait instead when that cannot be known now, else None."""
        if name in self.settled or self.refingerprint is None:
            return None
        restored = self._restored_before(name, decisions)
        read = self.graph.targets_read.get(name, ())
        if any(dep in self.republished and dep in read for dep in restored):
            return self.unpredictable(name, decisions)
        overrides = tuple(o for dep in restored for o in self.restored.get(dep, ()))
        if not overrides:
            return None
        try:
            fingerprints[name] = self.refingerprint(name, overrides)
        except Unpredictable:
            return self.unpredictable(name, decisions)
        return None

    def restores_first(self, name: str, decisions: Mapping[str, Decision]) -> bool:
        """Whether `name` waits only for restores: each step before it that is to run waits
        for one itself (`Decision.deferred`), and one before it is restored or waits."""
        waits = False
        for dep in self.graph.upstream[name]:
            decision = decisions.get(dep)
            if decision is None:
                continue
            if decision.action is Action.RUN and not decision.deferred:
                return False
            waits = waits or decision.action is Action.RESTORE or decision.deferred
        return waits

    def unpredictable(self, name: str, decisions: Mapping[str, Decision]) -> str:
        """`name`'s files cannot be known before the restores before it (a `foreach` item's
        are found when its items are keyed): fingerprinted again once they are done; the
        reason it waits."""
        self.stale.add(name)
        restored = self._restored_before(name, decisions)
        return f"`{restored[0]}` is restored first" if restored else "an upstream step runs first"

    def _restored_before(self, name: str, decisions: Mapping[str, Decision]) -> list[str]:
        return [
            dep
            for dep in self.graph.upstream[name]
            if dep in decisions and decisions[dep].action is Action.RESTORE
        ]

    def reopen(self, name: str) -> None:
        """`name` is decided again during the run: fingerprint its files afresh then."""
        self.settled.discard(name)
        self.stale.add(name)

    def settle(self, name: str, fingerprints: MutableMapping[str, Fingerprint]) -> None:
        """Every upstream step of `name` has finished: take its files again if needed."""
        if name in self.settled:
            return
        self.settled.add(name)
        if name in self.stale and self.refingerprint is not None:
            self.stale.discard(name)
            fingerprints[name] = self.refingerprint(name, ())
