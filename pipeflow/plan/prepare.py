"""Preparing a plan: fingerprint every step, open the stores, and build the planner."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.keys import Fingerprinter
from pipeflow.cache.restore import Assessor
from pipeflow.cache.results import ResultCache
from pipeflow.model.locations import locate
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, resolve
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.plan.graph import StepGraph
from pipeflow.plan.planner import CachePolicy, Planner, Selection
from pipeflow.plan.roots import same_kind, store_url
from pipeflow.storage import ResultStore

HASHES_FILE = ".pipeflow/file-hashes.json"


def prepare(
    pipeline: Pipeline,
    graph: StepGraph,
    *,
    lookup: Callable[[Ref], Any],
    secrets: Secrets = NO_SECRETS,
    selection: Selection | None = None,
    policy: CachePolicy | None = None,
    results: str | None = None,
) -> tuple[Planner, FileFingerprints]:
    """A planner for one run; `results` overrides the config's store (relative to the cwd)."""
    hashes = FileFingerprints(Path(pipeline.project_dir) / HASHES_FILE)
    caches = _caches(pipeline, lookup, hashes, results)
    fingerprinter = Fingerprinter(pipeline, hashes, secrets, _written_by(pipeline, caches))
    fingerprints = {
        name: fingerprinter.fingerprint(pipeline.steps[name], lookup) for name in graph.order()
    }
    planner = Planner(
        pipeline,
        graph,
        lookup=lookup,
        fingerprints=fingerprints,
        caches=caches,
        selection=selection or Selection(),
        policy=policy or CachePolicy(),
        refingerprint=lambda name, overrides: fingerprinter.fingerprint(
            pipeline.steps[name], lookup, overrides=overrides
        ),
        hashes=hashes,
        assessor=Assessor(
            hashes,
            lambda url: fingerprinter.options_for(url, lookup),
            secrets,
            pipeline.project_dir,
        ),
    )
    planner.values.files_of = lambda step, paths: fingerprinter.value_files(step, lookup, paths)
    planner.sources_of = fingerprinter.sources
    planner.stamps_of = fingerprinter.stamps
    return planner, hashes


def _written_by(
    pipeline: Pipeline, caches: Mapping[str, ResultCache | None]
) -> Callable[[Step], frozenset[str]]:
    """What the stored versions of a step wrote into its declared writes (absolute paths and
    URLs), less what was there before each ran (`kept`), as `execute/clearing.py` finds it."""

    def written(step: Step) -> frozenset[str]:
        cache = caches.get(step.name)
        if cache is None:
            return frozenset()
        folder = pipeline.folder_of(step)
        found: set[str] = set()
        for label, files in (pair for m in cache.versions(step.name) for pair in m.files.items()):
            base = locate(label, folder).key.rstrip("/")
            found.update(
                f"{base}/{name}" if name else base
                for name, entry in files.entries.items()
                if not entry.kept
            )
        return frozenset(found)

    return written


def _caches(
    pipeline: Pipeline,
    lookup: Callable[[Ref], Any],
    hashes: FileFingerprints,
    results: str | None,
) -> dict[str, ResultCache | None]:
    """Where each step's results live; None for a step whose results are never stored."""
    opened: dict[tuple[str, str], ResultCache] = {}
    protected = pipeline.config_files()

    def cache_at(url: str, options: Mapping[str, Any], name: str = pipeline.name) -> ResultCache:
        if (url, name) not in opened:
            opened[url, name] = ResultCache(
                ResultStore(url, options, protected=protected), name, hashes=hashes
            )
        return opened[url, name]

    main_url = store_url(resolve(pipeline.results.root, lookup), pipeline.project_dir)
    main_options = resolve(dict(pipeline.results.storage_options), lookup)
    if results is not None:
        # Another root, reached as the config says to reach its own when of its kind.
        given = store_url(results, os.getcwd())
        main_options = main_options if same_kind(given, main_url) else {}
        main_url = given
    caches: dict[str, ResultCache | None] = {}
    for name, step in pipeline.steps.items():
        if not step.result.persist or (not pipeline.results.persist and results is None):
            caches[name] = None
        elif step.result.root is not None:
            url = store_url(resolve(step.result.root, lookup), pipeline.project_dir)
            options = resolve(dict(step.result.storage_options), lookup)
            if results is not None and url == main_url:  # a sub-pipeline's, moved there
                options = main_options
            # A sub-pipeline's step is stored as that pipeline stores it: one shared cache.
            owner = step.origin.pipeline if step.origin is not None else pipeline.name
            caches[name] = cache_at(url, options, owner)
        else:
            caches[name] = cache_at(main_url, main_options)
    return caches
