"""The files named by the values steps take from other steps (a step that returns
`data/x.txt`): they join the taker's fingerprint once those values are known, so that an edit
of such a file re-runs it, as it would a path written in the config (SPEC 12).

A value's paths are the same before the run and during it: read from its stored result's
manifest (`Manifest.paths`, recorded where the value was stored), so deciding a step reads no
value; a value that is not stored comes from the run (such a step always runs, so the steps
that take it are only decided during the run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import replace
from pathlib import PurePath
from typing import Any

from pipeflow.cache.fingerprint import Fingerprint
from pipeflow.cache.results import ResultCache
from pipeflow.model.locations import WALKED, value_paths
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref
from pipeflow.storage import Manifest

# (step, the paths of a step's value) -> the fingerprints of the files those paths name.
FilesOf = Callable[[Step, Callable[[Ref], Sequence[str]]], dict[str, str]]


class ValueFiles:
    """Adds to fingerprints the files the values their steps take name."""

    def __init__(
        self,
        pipeline: Pipeline,
        manifests: Mapping[str, Manifest],
        caches: Mapping[str, ResultCache | None],
    ) -> None:
        self.pipeline = pipeline
        self.manifests = manifests  # the planner's: stored results found or made by the run
        self.caches = caches
        self.files_of: FilesOf | None = None  # `Fingerprinter.value_files`, set by `prepare`
        self.run_values: Mapping[str, Any] = {}  # the values the run made, set by the engine
        self._done: dict[str, Fingerprint] = {}  # fingerprints with their value files

    def add(self, name: str, step: Step, fingerprints: MutableMapping[str, Fingerprint]) -> None:
        """Once the values `step` takes are known: the files they name join its
        fingerprint (once per fingerprint: a step fingerprinted again gets them again)."""
        fingerprint = fingerprints[name]
        if self.files_of is None or self._done.get(name) is fingerprint:
            return
        if step.value_upstream() and not self._none_named(step):
            files = self.files_of(step, self.paths)
            if files:
                fingerprint = replace(fingerprint, files={**fingerprint.files, **files})
                fingerprints[name] = fingerprint
        self._done[name] = fingerprint

    def _none_named(self, step: Step) -> bool:
        """Whether no value `step` takes names a path, as is known at once for most: a stored
        one whose manifest lists none, or one the run made that holds no text."""
        for name in step.value_upstream():
            manifest = self.manifests.get(name)
            if manifest is not None:
                if manifest.paths:
                    return False
                continue
            value = self.run_values.get(name, self)  # `self`: not made (yet)
            if value is self or isinstance(value, (str, PurePath, *WALKED)):
                return False
        return True

    def paths(self, ref: Ref) -> Sequence[str]:
        """The paths a step's value names (`value_paths`); LookupError when not known."""
        if self.pipeline.steps[ref.step].foreach is not None:
            return ()  # a list of items' results: its items' paths are not looked at
        manifest = self.manifests.get(ref.step)
        if manifest is not None:
            if ref.part is not None:
                return manifest.paths.get(ref.part, ())
            return [path for part in manifest.parts for path in manifest.paths.get(part, ())]
        if ref.step not in self.run_values or self.caches.get(ref.step) is not None:
            raise LookupError(ref.text)
        value = self.run_values[ref.step]
        if ref.part is not None:
            if not isinstance(value, Mapping) or ref.part not in value:
                raise LookupError(ref.text)
            value = value[ref.part]
        return value_paths(value)
