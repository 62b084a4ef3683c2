"""Checks of `reads:` and `writes:`: what a step may write, and that each file has one writer.

A write is where pipeflow will later restore a stored version, so it must be a place the
project owns: under the config's folder or under a local results root, or, for a URL, under
a results root URL (the config's, or the one a run is given with `--results`). It may not
be, or hold, the config itself, a results store, or a `.pipeflow/` folder; it names a file
or a folder, not a pattern. Two steps (or two items of one `foreach` step) may not write the
same file or one inside the other's folder. Paths are known before the run here (params,
literal lists): what depends on a step's value is not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pipeflow.config.checks import Checker
from pipeflow.config.result_checks import static_items
from pipeflow.model.locations import (
    Location,
    NotAPath,
    has_item,
    is_pattern,
    item_lookup,
    locate,
    path_texts,
)
from pipeflow.model.pipeline import Step
from pipeflow.model.refs import (
    ITEM,
    Ref,
    ReferenceSyntaxError,
    Template,
    lookup_path,
    parse_string,
    references,
    resolve,
)
from pipeflow.plan.files import (
    StepFiles,
    Unknown,
    WriteIndex,
    base_dir,
    declared_files,
    load_time_lookup,
)
from pipeflow.plan.roots import store_url
from pipeflow.storage.escapes import escape
from pipeflow.storage.paths import MOST_NAME_BYTES, NUL_HINT, name_bytes, nul_problem

DocPath = list[str | int]
FIELDS = ("reads", "writes")
RESERVED = ".pipeflow"


def check_files(
    checker: Checker, files: Mapping[str, StepFiles], *, results: str | None = None
) -> None:
    """Add every problem of the pipeline's `reads:`/`writes:` to `checker.problems`;
    `results` is the store a run uses besides `results.root` (`--results`)."""
    pipeline = checker.pipeline
    roots = _roots(checker, results)
    for name, step in pipeline.steps.items():
        if step.origin is not None:
            continue  # checked when its own config was loaded
        if step.reads or step.writes:
            _references(checker, name, step)
        found = files.get(name)
        for location in found.reads if found is not None else ():
            nul = nul_problem(location.text)  # from a param (a literal one is not read)
            if nul is not None:
                checker.fail(["steps", name, "reads"], nul, NUL_HINT)
        if step.reads:  # what the step names itself (a long input string is a label)
            for location in declared_files(pipeline, step, checker.params).reads:
                long = _long_name("reads", location)
                if long is not None:
                    checker.fail(["steps", name, "reads"], *long)
        if found is None or not found.writes:
            continue
        own_roots = roots.get(name, ())
        for location, index in zip(found.writes, found.write_entries, strict=True):
            path = entry_path(checker, name, "writes", index)
            problem = (
                _late_items(step, index) or _from_run(step, index) if location.pattern else None
            )
            if problem is None:
                problem = _write_problem(location, base_dir(pipeline, step), own_roots, checker)
            if problem is not None:
                checker.fail(path, *problem)
    _overlaps(checker, files)


def entry_path(checker: Checker, step: str, field: str, index: int) -> DocPath:
    """Where entry `index` of a step's `reads`/`writes` is in the document. The model holds
    only the entries the builder could read (strings whose references parse), so the index
    counts those: `writes: [5, "../x"]` has `../x` at 0 in the model, at 1 in the file."""
    data = checker.document.data
    raw: Any = None
    entry: Any = None
    if isinstance(data, Mapping) and isinstance(data.get("steps"), Mapping):
        entry = data["steps"].get(step)
        raw = entry.get(field) if isinstance(entry, Mapping) else None
    if isinstance(raw, str):
        return ["steps", step, field]
    if isinstance(raw, list) and isinstance(entry, Mapping):
        named = entry.get("as")
        item = (
            (named if isinstance(named, str) else "item")
            if entry.get("foreach") is not None
            else None
        )
        kept = [at for at, text in enumerate(raw) if _readable(text, item)]
        index = kept[index] if index < len(kept) else index
    return ["steps", step, field, index]


def _readable(text: Any, item: str | None) -> bool:
    """Whether the builder keeps this entry of a `reads`/`writes` list (`build.py`)."""
    if not isinstance(text, str):
        return False
    try:
        parse_string(text, item=item)
    except ReferenceSyntaxError:
        return False
    return True


def _references(checker: Checker, name: str, step: Step) -> None:
    items = static_items(step, checker.params) if step.foreach is not None else None
    for field in FIELDS:
        for index, value in enumerate(getattr(step, field)):
            path = entry_path(checker, name, field, index)
            if isinstance(value, Ref):
                _whole(checker, path, field, value, items)
            for ref in _refs(value):
                if ref.scope == ITEM and items is not None:
                    _item_part(checker, path, ref, items)
                elif ref.scope == "params":
                    checker.param_reference(path, ref)
                elif ref.scope == "env":
                    checker.env_reference(path, ref)
                elif ref.scope == "steps":
                    checker.fail(
                        path,
                        f"`{field}` cannot use a step's value (`{ref.text}`): the paths a step "
                        "reads and writes must be known before the run",
                        f"pass the path as an input (`${{steps.{ref.step}}}`) and add "
                        f"`after: [{ref.step}]` where it is read",
                    )


def _whole(checker: Checker, path: DocPath, field: str, ref: Ref, items: list[Any] | None) -> None:
    """An entry that is a whole reference stands for a path, or a list of them, as far as
    its value is known before the run (a param, an item of a list known before it)."""
    if ref.scope == "env" and ref.default is None and ref.path[0] not in os.environ:
        return  # not set: said by the checks of references
    lookup = load_time_lookup(checker.params)
    for item, known in [(item, True) for item in items] if items is not None else [(None, False)]:
        try:
            path_texts([ref], item_lookup(lookup, item, known), field)
        except NotAPath as wrong:
            checker.fail(path, checker.secrets.mask(str(wrong)), wrong.hint)
            return
        except (Unknown, KeyError):
            return  # said by the checks of references


def _item_part(checker: Checker, path: DocPath, ref: Ref, items: list[Any]) -> None:
    """`${item.a}`, `${item.1}`: each item known before the run has what the entry names (the
    run would otherwise stop while planning, when it works out the item's files)."""
    for number, item in enumerate(items, 1):
        try:
            lookup_path(item, ref.path[1:])
        except KeyError as missing:
            whole = f"${{{ref.path[0]}}}"
            checker.fail(
                path,
                f"`{ref.text}` names `{'.'.join(ref.path[1:])}` of each `foreach` item, but "
                f"item {number} ({_item_text(checker, item)}) has no `{missing.args[0]}`",
                f"name a key (or an index) every item has, or the item whole (`{whole}`)",
            )
            return


def _item_text(checker: Checker, item: Any) -> str:
    """An item as a message shows it: masked, then cut short."""
    text = checker.secrets.mask(repr(item))
    return text if len(text) <= 40 else text[:37] + "..."


def _late_items(step: Step, index: int) -> tuple[str, str] | None:
    """(message, hint) when write `index` of a `foreach` step is made from its items and they
    come from a step's value: only known during the run (the write then reads as a pattern,
    the item standing as `*`)."""
    if step.foreach is None or index >= len(step.writes):
        return None
    entry = step.writes[index]
    if not has_item(entry):
        return None
    sources = sorted({ref.step for ref in references(step.foreach) if ref.scope == "steps"})
    if not sources:
        return None
    parts = entry.parts if isinstance(entry, Template) else (entry,)
    shown = "".join(part.text if isinstance(part, Ref) else part for part in parts)
    head = shown.split("${", 1)[0]
    folder = head[: head.rfind("/") + 1] or "FOLDER/"
    return (
        f"`writes` names {shown}, made from the `foreach` items, which come from step "
        f"`{sources[0]}`'s value: they are only known during the run, and the paths a step "
        "writes must be known before it",
        f"declare the folder the items write into (`writes: [{folder}]`), or give `foreach` a "
        "list known before the run (written out, or `${params.NAME}`)",
    )


def _long_name(field: str, location: Location) -> tuple[str, str] | None:
    """(message, hint) when a local path has a file or folder name longer than a disk takes
    (the OS would refuse even to look it up: "File name too long"); a glob's wildcard parts
    may match shorter names."""
    if location.remote:
        return None
    parts = location.key.split("/")
    long = next((p for p in parts if not is_pattern(p) and name_bytes(p) > MOST_NAME_BYTES), None)
    if long is None:
        return None
    return (
        f"`{field}` names {_cut(location.text)}, whose name `{_cut(long)}` has "
        f"{name_bytes(long)} bytes, longer than the {MOST_NAME_BYTES} a disk takes",
        "shorten it (or the param or `foreach` item it is made from)",
    )


def _cut(text: str) -> str:
    return text if len(text) <= 60 else f"{text[:40]}...{text[-12:]}"


def _from_run(step: Step, index: int) -> tuple[str, str] | None:
    """(message, hint) when write `index` is made from `${run.id}` or `${run.date}`: known
    only as the run starts (before the run it reads as a pattern, the field standing as `*`)."""
    if index >= len(step.writes):
        return None
    refs = [ref for ref in _refs(step.writes[index]) if ref.scope == "run"]
    if not refs:
        return None
    entry = step.writes[index]
    parts = entry.parts if isinstance(entry, Template) else (entry,)
    shown = "".join(part.text if isinstance(part, Ref) else str(part) for part in parts)
    return (
        f"`writes` names {shown}, made from `{refs[0].text}`, which is known only as the run "
        "starts: the paths a step writes must be known before it, so that a later run can "
        "restore them",
        "make the path from a param (`--param stamp=...`), or declare the folder the files go into",
    )


def _refs(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Template):
        return [part for part in value.parts if isinstance(part, Ref)]
    return []


def _roots(checker: Checker, results: str | None) -> dict[str, tuple[Location, ...]]:
    """Per step, the results roots its writes may be under: the pipeline's (and the one a run
    uses instead, `--results`, relative to the current directory) and its own."""
    pipeline = checker.pipeline
    lookup = load_time_lookup(checker.params)
    found: dict[str, tuple[Location, ...]] = {}
    main = [_root(pipeline.results.root, pipeline.project_dir, lookup)]
    if results is not None:
        main.append(_root(results, os.getcwd(), lookup))
    for name, step in pipeline.steps.items():
        roots = [root for root in main if root is not None]
        if step.result.root is not None:
            own = _root(step.result.root, pipeline.project_dir, lookup)
            roots += [own] if own is not None else []
        found[name] = tuple(roots)
    return found


def _root(value: Any, folder: str, lookup: Any) -> Location | None:
    """A results root as a location, labelled as the config writes it; None if unknown."""
    try:
        text = str(resolve(value, lookup))
    except Exception:
        return None  # an unknown param: reported where it is
    return replace(locate(store_url(text, folder), "/"), text=text)


def _write_problem(
    location: Location, folder: str, roots: tuple[Location, ...], checker: Checker
) -> tuple[str, str] | None:
    """(message, hint) when a step may not write `location`."""
    text = location.text
    nul = nul_problem(text)  # from a param: the OS would refuse it with a traceback
    if nul is not None:
        return nul, NUL_HINT
    long = _long_name("writes", location)
    if long is not None:
        return long
    if location.pattern:
        return (
            f"`writes` names files or folders, not a pattern: {text}",
            "list each path, or the folder that holds them",
        )
    project = locate(folder, "/")
    config = locate(checker.pipeline.source, "/")
    reserved = [locate(os.path.join(project.key, RESERVED), "/")]
    reserved += [locate(f"{root.key}/{RESERVED}", "/") for root in roots]
    if any(location.inside(place) for place in reserved):
        return (
            f"`writes` names {text}, inside pipeflow's own `.pipeflow/` folder",
            "write somewhere else in the project",
        )
    if config.inside(location):
        return (
            f"`writes` names {text}, which holds the config itself",
            "name the file or folder the step writes, e.g. `data/features`",
        )
    for root in roots:
        if root.inside(location):
            return (
                f"`writes` names {text}, which holds the results store {root.text}",
                "name the file or folder the step writes, outside the results root",
            )
    real = None if location.remote else escape(location.key, project.key)
    if real is not None:
        return (
            f"`writes` names {text}, which leads out of the project folder through a "
            f"symbolic link (to {real}): pipeflow never deletes or writes files there",
            "replace the link with a folder of the project, or write somewhere else",
        )
    allowed = [project, *roots]
    if not any(location.inside(place) and location.key != place.key for place in allowed):
        places = [f"the results root ({root.text})" for root in roots if root.remote]
        if not location.remote:
            places = ["the config's folder"] + [
                f"the results root ({root.text})" for root in roots if not root.remote
            ]
        where = " or ".join(places) or "the config's folder"
        return (
            f"`writes` names {text}, outside the project folder and the results root",
            f"a step may only write under {where}: pipeflow restores what it writes there",
        )
    return None


def _overlaps(checker: Checker, files: Mapping[str, StepFiles]) -> None:
    """Two steps, or two items of one step, writing the same file or one inside the other."""
    steps = checker.pipeline.steps
    index = checker.writes if checker.writes is not None else WriteIndex(files)
    order = {name: position for position, name in enumerate(steps)}
    reported: set[tuple[str, str]] = set()
    for name, found in files.items():
        seen: set[str] = set()
        for location, entry in zip(found.writes, found.write_entries, strict=True):
            if location.pattern:
                continue
            if location.key in seen:
                if steps[name].foreach is not None and steps[name].origin is None:
                    checker.fail(
                        entry_path(checker, name, "writes", entry),
                        f"every item of `{name}` writes {location.text}",
                        "name each item's files by the item, e.g. `counts/${item}.json`",
                    )
                continue
            seen.add(location.key)
            for other, written in index.writers(location):
                pair = tuple(sorted((name, other), key=lambda n: order.get(n, 0)))
                if other == name or written.pattern or pair in reported:
                    continue
                # Reported at the later step of the pair that this config defines; two
                # steps of sub-pipelines, at the later step running one (two instances of
                # one child: its own config saw one step).
                own = [n for n in pair if steps[n].origin is None]
                tops = [n.split("/")[0] for n in pair]
                if own and own[-1] != name:
                    continue
                if not own and (tops[0] == tops[1] or name != pair[-1]):
                    continue  # within one instance: reported when its config was loaded
                reported.add((pair[0], pair[1]))
                checker.fail(
                    entry_path(checker, name, "writes", entry)
                    if own
                    else ["steps", tops[-1], "pipeline"],
                    f"steps `{pair[0]}` and `{pair[1]}` both write {_shown(location, written)}",
                    "each file or folder has one writer: give each step its own path"
                    + ("" if own else " (a param that sets the instances apart)"),
                )


def _shown(one: Location, other: Location) -> str:
    if one.key == other.key:
        return one.text
    inner, outer = (one, other) if one.inside(other) else (other, one)
    return f"{inner.text} (inside {outer.text})"
