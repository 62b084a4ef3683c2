"""Where results go, checked before anything runs: roots and targets against the store's bounds.

`storage/boundaries.py` holds the rules (no write under a `.pipeflow/` folder, none on the
history database or the signing key, none out of the root through a link); the store applies
them to every write, and this module applies them to what a config says, so that a config that
breaks them is refused with exit 2 and nothing written. A root is checked when it is known
before the run: a literal, or made of params only (never of `${env.*}` values, which must not
appear in messages). A target rendering into a `.pipeflow/` folder is refused by
`render_target` itself; here, targets under a local root are also judged where they really
lead (links resolved, pipeflow's own files).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from pipeflow.config.blank_roots import blank_root, rooted_at_top
from pipeflow.config.param_types import describe
from pipeflow.config.result_checks import static_items
from pipeflow.config.worker_roots import (
    OUT_OF_PROCESS,
    executor_workers,
    in_memory_root,
    is_local,
    is_memory,
    unreachable_root,
    workers_of,
)
from pipeflow.errors import Problem
from pipeflow.model import jsontext
from pipeflow.model.locations import Location, locate
from pipeflow.model.pipeline import SINGLE_PART, Pipeline, Step
from pipeflow.model.refs import Ref, Template, lookup_path, references, resolve
from pipeflow.model.secrets import MASK
from pipeflow.plan.files import WriteIndex
from pipeflow.plan.roots import store_url
from pipeflow.storage import TargetFields, TemplateError, render_target
from pipeflow.storage.boundaries import BoundaryError, check_folder, check_local, check_root
from pipeflow.storage.clashes import CASE_ONLY, clash_message, item_clash
from pipeflow.storage.failures import redact
from pipeflow.storage.interpreter import python_place, python_place_message
from pipeflow.storage.paths import nul_problem
from pipeflow.storage.protocols import protocol_problem

Fail = Callable[..., None]  # (path, message, hint=None): `Checker.fail`


def check_stores(
    pipeline: Pipeline,
    params: Mapping[str, Any],
    fields: TargetFields,
    fail: Fail,
    results: str | None = None,
) -> None:
    """Report every root that a param makes other than text, every root inside a
    `.pipeflow/` folder, and every target under a local root that leads onto pipeflow's own
    files, onto a config of the run, or out of the root. `results`: the root a run is given
    instead of `results.root` (`--results`, relative to the current directory)."""
    _check_root_kinds(pipeline, params, fail)
    for path, value in _declared_roots(pipeline):
        if results is not None and path == ["results", "root"]:
            continue  # replaced for this run: the one given is checked instead
        blank = blank_root(value, _resolved_root(pipeline, value, params), pipeline.params, params)
        blank = blank or rooted_at_top(value, params)
        if blank is not None:
            fail(path, *blank)
    if results is None:
        main_root = _static_root(pipeline, pipeline.results.root, params)
    else:  # empty: refused by `given_store_problems`
        main_root = store_url(results, os.getcwd()) if results.strip() else None
    main_bad = _root_problem(main_root)
    # A root given with `--results` is no line of the config: `given_store_problems` refuses
    # it, once, for the run; only the targets under a root that is fine are judged here.
    reported_main = results is not None
    configs = pipeline.config_files()
    for name, step in pipeline.steps.items():
        if step.origin is not None or not step.result.persist:
            continue  # a sub-pipeline's steps were checked with their own config
        if step.result.root is not None:
            root = _static_root(pipeline, step.result.root, params)
            bad = _root_problem(root)
            if bad is not None:
                fail(["steps", name, "result", "root"], bad)
                continue
        elif not pipeline.results.persist:
            continue
        else:
            root, bad = main_root, main_bad
            if bad is not None:
                if not reported_main:
                    fail(["results", "root"], bad)
                    reported_main = True
                continue
        if root is None or step.result.target is None or "://" in root:
            continue
        for target in _targets(step, fields):
            try:
                check_local(root, target, protected=configs)
            except BoundaryError as error:
                fail(["steps", name, "result", "target"], str(error))
                break


def check_collisions(
    pipeline: Pipeline,
    params: Mapping[str, Any],
    fields: TargetFields,
    fail: Fail,
    writes: WriteIndex | None = None,
) -> None:
    """Report two steps whose targets lead to the same place of one store (reported at the
    later one): each run would overwrite one's result with the other's. Fields are rendered as
    one run renders them (its date and id, the params), with a key and, where no `format:`
    says it, an extension of each step's own; roots known only at run time are left out. A
    `foreach` step whose items are known now has two items that lead to one place reported
    (`storage/clashes.py`; items known only during the run are checked then). Sub-pipelines'
    steps count too: two instances of one store at the same place unless their targets
    differ by key or param.
    A target that a step's `writes:` names (the file, or a folder holding it) is reported as
    well: the writer and the publish overwrite each other, and so do their restores."""
    main_root = _static_root(pipeline, pipeline.results.root, params)
    claimed: dict[tuple[str, str], str] = {}
    folded: dict[tuple[str, str], tuple[str, str]] = {}  # on a local disk: (step, target)
    for name, step in pipeline.steps.items():
        spec = step.result
        if not spec.persist or spec.target is None:
            continue
        if spec.root is None and not pipeline.results.persist:
            continue
        root = main_root if spec.root is None else _static_root(pipeline, spec.root, params)
        if step.foreach is not None:
            _check_items(
                name, step, params, fields, fail, local=root is not None and is_local(root)
            )
            continue
        if root is None:
            continue
        own = replace(fields, key=f"key-of-{name}", ext=spec.format or f"ext-of-{name}")
        # A sub-pipeline's step: reported at the step that runs it (`{step}` is its own
        # name there, the same in two instances of it).
        inlined = step.origin is not None
        where: list[str | int] = (
            ["steps", name.split("/")[0], "pipeline"]
            if inlined
            else ["steps", name, "result", "target"]
        )
        for target in _targets(step, own):
            place = (root.rstrip("/"), posixpath.normpath(target))
            written = _written(writes, place)
            if written is not None:
                writer, location = written
                whose = "it writes" if writer == name else f"step `{writer}` writes"
                fail(
                    where,
                    f"step `{name}` stores its result at {place[1]}, which {whose} "
                    f"({location.text}): each run would overwrite one with the "
                    "other; give the result a target outside what steps write",
                )
                break
            other = claimed.setdefault(place, name)
            if other != name:
                fail(
                    where,
                    f"steps `{other}` and `{name}` both store their result at {place[1]}: "
                    "each run would overwrite one with the other; give each its own target "
                    + ("(with `{key}` in it, for one)" if inlined else "(with `{step}` in it)"),
                )
                break
            if is_local(place[0]):
                other, seen = folded.setdefault((place[0], place[1].casefold()), (name, place[1]))
                if seen != place[1]:
                    fail(where, _case_only(other, seen, name, place[1]))
                    break


def _case_only(first: str, seen: str, second: str, target: str) -> str:
    return (
        f"steps `{first}` and `{second}` store their results at {seen} and {target}, "
        f"{CASE_ONLY}: each run would overwrite one with the other; give them names that "
        "differ in more than case"
    )


def _check_items(
    name: str,
    step: Step,
    params: Mapping[str, Any],
    fields: TargetFields,
    fail: Fail,
    *,
    local: bool,
) -> None:
    """Report two items of a `foreach` step known now whose targets lead to one place. Items
    with the same key store the same result; a key is told from the item's JSON here."""
    items = static_items(step, params)
    target = step.result.target
    if not items or target is None:
        return
    item_name = step.item_name or "item"
    own = replace(
        fields, step=name, key="", ext=step.result.format or f"ext-of-{name}", item_name=item_name
    )
    clash = item_clash(
        target,
        own,
        items,
        key_of=lambda index: jsontext.dumps(items[index], sort_keys=True, default=repr),
        parts=step.parts or (SINGLE_PART,),
        fold_case=local,
    )
    if clash is not None:
        where: list[str | int] = (
            ["steps", name.split("/")[0], "pipeline"]
            if step.origin is not None
            else ["steps", name, "result", "target"]
        )
        fail(where, clash_message(name, items, clash, item_name))


def _written(writes: WriteIndex | None, place: tuple[str, str]) -> tuple[str, Location] | None:
    """The (step, location) of a `writes:` entry that is the target at `place` or a folder
    holding it (a pattern only may: left out)."""
    if writes is None:
        return None
    target = locate(f"{place[0]}/{place[1]}", "/")
    for writer, location in writes.writers(target):
        if not location.pattern and target.inside(location):
            return writer, location
    return None


def check_reachable(
    pipeline: Pipeline, params: Mapping[str, Any], fail: Fail, kind: str | None = None
) -> None:
    """With a Dask cluster at an address, every results root must be one its workers reach:
    a local folder is refused unless `executor.shared_filesystem` says they see it. `kind`:
    the executor the run is given instead of `executor.type` (`--executor`)."""
    executor = pipeline.executor
    remote = executor.address or executor.cluster
    if (kind or executor.type) != "dask" or not remote or executor.shared_filesystem:
        return
    workers = workers_of(executor.address, executor.cluster)
    for path, value in _declared_roots(pipeline):
        root = _static_root(pipeline, value, params)
        if root is not None and is_local(root):
            fail(path, unreachable_root(root, workers))


def check_in_memory(
    pipeline: Pipeline, params: Mapping[str, Any], fail: Fail, kind: str | None = None
) -> None:
    """With an executor whose steps run in other processes (`processes`, `dask`), no results
    root may be `memory://`: that memory is this process's, and what the workers store there
    is lost with them (never cached). `kind`: as for `check_reachable`."""
    executor = pipeline.executor
    kind = kind or executor.type
    if kind not in OUT_OF_PROCESS:
        return
    workers = executor_workers(kind, executor.address, executor.cluster)
    for path, value in _declared_roots(pipeline):
        root = _static_root(pipeline, value, params)
        if root is not None and is_memory(root):
            fail(path, in_memory_root(root, workers))


def _declared_roots(pipeline: Pipeline) -> list[tuple[list[str | int], Any]]:
    """Where the config names the roots results are stored under, and what it says there."""
    roots: list[tuple[list[str | int], Any]] = []
    if pipeline.results.persist:
        roots.append((["results", "root"], pipeline.results.root))
    for name, step in pipeline.steps.items():
        if step.origin is None and step.result.persist and step.result.root is not None:
            roots.append((["steps", name, "result", "root"], step.result.root))
    return roots


def _targets(step: Step, fields: TargetFields) -> Iterator[str]:
    """The paths a step's target renders to, one per part (a bad template is reported
    elsewhere)."""
    assert step.result.target is not None
    for part in step.parts or ("value",):
        trial = replace(fields, step=step.name, output=part)
        try:
            yield render_target(step.result.target, trial)
        except TemplateError:
            return


def _root_problem(root: str | None) -> str | None:
    if root is None:
        return None
    unknown = nul_problem(root) or protocol_problem(root)  # NUL: from a param
    if unknown is not None:
        return unknown
    local = is_local(root)
    path = root.partition("://")[2] if "://" in root else root
    real = os.path.realpath(path) if local else root
    try:
        check_root(real)
        if local:
            check_folder(real)
    except BoundaryError as error:
        return str(error)
    if local:
        place = python_place(real, real)
        if place is not None:
            return python_place_message(f"the results root {root}", place)
    return None


def _check_root_kinds(pipeline: Pipeline, params: Mapping[str, Any], fail: Fail) -> None:
    """A root that is one `${params.NAME}` takes the param's value as it is: it must be text,
    as a root written in the config must (the store would be a folder named `None`)."""
    roots: list[tuple[list[str | int], Any]] = [(["results", "root"], pipeline.results.root)]
    roots += [
        (["steps", name, "result", "root"], step.result.root)
        for name, step in pipeline.steps.items()
        if step.origin is None and step.result.root is not None
    ]
    for path, value in roots:
        if not isinstance(value, Ref) or value.scope != "params":
            continue
        try:
            resolved = lookup_path(params, value.path)
        except KeyError:
            continue  # an unknown param: reported by the reference checks
        if not isinstance(resolved, str) and not isinstance(resolved, Ref | Template):
            fail(
                path,
                f"the results root `{value.text}` is {describe(resolved)}, not a path or URL",
            )


def given_store_problems(results: str | None) -> list[Problem]:
    """The store given for the run (`--results`, `run(results=...)`), checked as a
    `results.root` is, before any step runs."""
    if results is None:
        return []
    if not results.strip():
        hint = "give a folder or a URL such as `s3://bucket/prefix`, or leave it out to use "
        hint += "`results.root`"
        return [
            Problem(
                "`--results` (`results=` in Python) is empty: it names no folder or store",
                hint=hint,
            )
        ]
    bad = _root_problem(store_url(results, os.getcwd()))
    if bad is None:
        return []
    password = urlsplit(results).password  # `ftp://user:PASSWORD@host/x`: never shown
    if password:
        bad = bad.replace(password, MASK)
    return [Problem(f"{bad} (from --results {redact(results)})")]


def _static_root(pipeline: Pipeline, value: Any, params: Mapping[str, Any]) -> str | None:
    """The store URL a root names, when it is known before the run and safe to show."""
    resolved = _resolved_root(pipeline, value, params)
    if resolved is None or not resolved.strip():
        return None  # not known now, or empty: reported by `check_stores`
    return store_url(resolved, pipeline.project_dir)


def _resolved_root(pipeline: Pipeline, value: Any, params: Mapping[str, Any]) -> str | None:
    """The text a root is, its params filled in, when that is known before the run and safe
    to show."""
    found = list(references(value)) if isinstance(value, Ref | Template) else []
    for ref in found:
        if ref.scope != "params" or _from_environment(pipeline.params, ref.path):
            return None
    try:
        resolved = resolve(value, lambda ref: lookup_path(params, ref.path))
    except (KeyError, TypeError, ValueError):
        return None  # an unknown param: reported by the reference checks
    if not isinstance(resolved, str | os.PathLike):
        return None
    return os.fspath(resolved)


def _from_environment(defaults: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Whether a param's default is (or holds) an `${env.*}` value, which must stay unshown."""
    try:
        default = lookup_path(defaults, path)
    except KeyError:
        return False
    return any(ref.scope == "env" for ref in references(default))
