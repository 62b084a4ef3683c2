"""`pipeflow gc`: delete stored results that no current key and no kept run needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeflow.cli.main import cli, config_argument, load_with_params, param_options
from pipeflow.model import jsontext

if TYPE_CHECKING:
    from pipeflow.api import Pipeline
    from pipeflow.cache.retention import Removal, Report

_KINDS = ("manifest", "payload", "blob", "journal", "record")
_RECORD = "record"  # a result a journal is rewritten without (`cache/collect.py`)
# What a write cut short for good left; counted in the summary only when there are some.
_TEMPORARY = "temporary"


@cli.command()
@config_argument
@param_options
@click.option(
    "--keep-last",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    metavar="N",
    help="keep the results of the last N runs of each step",
)
@click.option(
    "--older-than",
    metavar="AGE",
    callback=lambda _context, parameter, value: _age(parameter, value),
    help="delete only results older than AGE (7d, 12h, 90m); newer ones are kept",
)
@click.option(
    "--grace",
    metavar="AGE",
    default="1h",
    show_default=True,
    callback=lambda _context, parameter, value: _age(parameter, value),
    help="never delete anything written in the last AGE (a run in progress writes objects "
    "before its manifest); 0s when no run can be going on",
)
@click.option(
    "--removed-steps",
    is_flag=True,
    help="also delete every result of a step the config no longer has (removed or renamed), "
    "its latest included; by default they stay, for a branch or a copy that still has it",
)
@click.option("--dry-run", is_flag=True, help="say what would be deleted; delete nothing")
@click.option("--results", metavar="URL", help="use this store instead of `results.root`")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("-v", "--verbose", is_flag=True, help="list every object deleted")
def gc(
    config: Path,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    schedule: int | None,
    keep_last: int,
    older_than: timedelta | None,
    grace: timedelta,
    removed_steps: bool,
    dry_run: bool,
    results: str | None,
    as_json: bool,
    verbose: bool,
) -> None:
    """Delete stored results that no current key and no kept run needs.

    Kept: the results of the current keys (with the config's params, or those --param and
    --param-file give), each step's latest result and those of its last N runs, anything
    newer than --older-than or the grace period, and every blob a kept result names.
    Files at targets and in the workspace are never deleted. Refused while the history
    shows a run of the pipeline in progress.
    """
    pipeline = load_with_params(
        config, param_files, param_options, allow_extra_params, schedule=schedule
    )
    report = pipeline.gc(
        keep_last=keep_last,
        older_than=older_than,
        grace=grace,
        dry_run=dry_run,
        results=results,
        removed_steps=removed_steps,
    )
    if as_json:
        click.echo(pipeline.mask(jsontext.dumps(_document(pipeline, report), indent=2)))
        return
    if verbose or dry_run:
        for found in report.collections:
            for kind, path, size, records in _lines(found.removals):
                where = found.store.location(path)
                many = f" ({records:,} records)" if records > 1 else ""
                click.echo(pipeline.mask(f"{kind:<8} {_size(size):>9}  {where}{many}"))
    click.echo(pipeline.mask(summary(report)))


def _lines(removals: Iterable[Removal]) -> list[tuple[str, str, int, int]]:
    """One line per removal, but one per journal for the records it is rewritten without (a
    pack of 10,000 small results is one line, not 10,000): kind, path, size, records."""
    lines: list[tuple[str, str, int, int]] = []
    journals: dict[str, int] = {}  # journal path -> its line
    for removal in removals:
        at = journals.get(removal.path) if removal.kind == _RECORD else None
        if at is None:
            if removal.kind == _RECORD:
                journals[removal.path] = len(lines)
            lines.append((removal.kind, removal.path, removal.size, 1))
        else:
            kind, path, size, records = lines[at]
            lines[at] = (kind, path, size + removal.size, records + 1)
    return lines


def _age(parameter: click.Parameter, value: str | None) -> timedelta | None:
    """An AGE option's value, checked before the config is read."""
    from pipeflow.cache.retention import age

    return age(value, parameter.opts[0])


def summary(report: Report) -> str:
    """`gc: deleted 12 objects (3 manifests, 4 payloads, 5 blobs), freed 1.4 MiB (...)`."""
    counts = ", ".join(_plural(report.count(kind), kind) for kind in _KINDS)
    temporaries = report.count(_TEMPORARY)
    if temporaries:
        counts += f", {temporaries} temporar{'y' if temporaries == 1 else 'ies'}"
    total = len(report.removals)
    verb, freed = ("would delete", "would free") if report.dry_run else ("deleted", "freed")
    kept = report.kept
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(kept.items()))
    text = (
        f"gc{' (dry run)' if report.dry_run else ''}: {verb} {_plural(total, 'object')} "
        f"({counts}), {freed} {_size(report.size)} ({report.size:,} bytes)"
    )
    if kept:
        text += f"; kept {_plural(sum(kept.values()), 'manifest')} ({reasons})"
    return text


def _document(pipeline: Pipeline, report: Report) -> dict[str, object]:
    return {
        "pipeline": pipeline.name,
        "dry_run": report.dry_run,
        "deleted": {
            **{f"{kind}s": report.count(kind) for kind in _KINDS},
            "temporaries": report.count(_TEMPORARY),
        },
        "bytes": report.size,
        "kept_manifests": report.kept,
        "stores": [
            {
                "store": found.store.location(""),
                "bytes": found.size,
                "objects": [
                    {"kind": r.kind, "path": r.path, "size": r.size} for r in found.removals
                ],
            }
            for found in report.collections
        ],
    }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _size(size: float) -> str:
    """1023 B, 1.4 KiB, 2.0 MiB, ..."""
    if size < 1024:
        return f"{int(size)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:.1f} {unit}"
