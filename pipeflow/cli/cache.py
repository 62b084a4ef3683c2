"""`pipeflow status`, `pipeflow accept` and `pipeflow result`: the cache, explained."""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeflow.cli.completion import complete_result_step
from pipeflow.cli.main import cli, config_argument, load_with_params, param_options
from pipeflow.cli.running import selection_options
from pipeflow.model import jsontext

if TYPE_CHECKING:
    from pipeflow.api import Pipeline, StoredResult


@cli.command()
@config_argument
@param_options
@selection_options
@click.option("--json", "as_json", is_flag=True, help="print the plan as JSON")
def status(
    config: Path,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    schedule: int | None,
    as_json: bool,
    **selection: Any,
) -> None:
    """Say which steps would run, which are cached, and why; runs nothing."""

    from pipeflow.report.drawing import plan_table

    pipeline = load_with_params(
        config, param_files, param_options, allow_extra_params, selection.get("results"), schedule
    )
    decisions = pipeline.status(**selection)
    steps = pipeline.definition.steps
    if as_json:
        rows = [
            {
                "step": d.step,
                "action": str(d.action),
                "reason": d.reason,
                "key": d.key,
                "description": steps[d.step].description if d.step in steps else None,
            }
            for d in decisions
        ]
        click.echo(jsontext.dumps({"pipeline": pipeline.name, "steps": rows}, indent=2))
    else:
        click.echo(plan_table(decisions, steps), nl=False)


@cli.command()
@config_argument
@click.argument("step", shell_complete=complete_result_step)
@param_options
@click.option("--results", metavar="URL", help="use this store instead of `results.root`")
def accept(
    config: Path,
    step: str,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    schedule: int | None,
    results: str | None,
) -> None:
    """Count STEP's stored result as current after a change of its code you declare harmless.

    The result taken is one computed from the step's current params, inputs and upstream
    results; if none is stored, nothing is stamped and the step must run (exit 3)."""

    pipeline = load_with_params(
        config, param_files, param_options, allow_extra_params, results, schedule
    )
    acceptance = pipeline.accept(step, results=results)
    stamped, unmatched = acceptance.stamped, acceptance.unmatched
    if pipeline.step(step).foreach is None:
        if acceptance.current:
            click.echo(
                f"`{step}` is up to date: its result stored by run {stamped[0].run_id} already "
                "counts for its current code; nothing was stamped"
            )
            return
        click.echo(
            f"accepted: the result of `{step}` stored by run {stamped[0].run_id}, from the "
            "same params and inputs, now counts for its current code"
        )
        return
    count = len(stamped) + len(unmatched)
    written = len(stamped) - acceptance.current
    if not written and not unmatched:
        click.echo(
            f"`{step}` is up to date: the results of its {count} items already count for its "
            "current code; nothing was stamped"
        )
    elif not written:
        click.echo(
            f"`{step}`: {acceptance.current} of its {count} items already count for its "
            "current code; nothing was stamped"
        )
    else:
        which = f"{written} of the {count}" if written < count else f"the {count}"
        already = f" ({acceptance.current} already did)" if acceptance.current else ""
        click.echo(
            f"accepted: the results of {which} items of `{step}`, each from the same params "
            f"and inputs, now count for its current code{already}"
        )
    if unmatched:
        shown = ", ".join(reprlib.repr(item) for item in unmatched[:5])
        more = f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else ""
        has = "item has" if len(unmatched) == 1 else "items have"
        click.echo(
            pipeline.mask(
                f"{len(unmatched)} {has} no result computed from its current inputs and "
                f"runs: {shown}{more}"
            )
        )


@cli.command()
@config_argument
@click.argument("step", shell_complete=complete_result_step)
@param_options
@click.option("--part", metavar="PART", help="one named output of the step")
@click.option("--show", is_flag=True, help="also print a preview of the value")
@click.option("--results", metavar="URL", help="use this store instead of `results.root`")
def result(
    config: Path,
    step: str,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    schedule: int | None,
    part: str | None,
    show: bool,
    results: str | None,
) -> None:
    """Print where STEP's up-to-date stored result is (and, with --show, a preview).

    For a step with `cache: false`, which is never up to date, its latest stored result.
    Exits 3 when the step has no up-to-date stored result (a run would store it), 2 when it
    can have none as asked (it never stores its result, or these params skip it)."""
    from pipeflow.errors import UsageError
    from pipeflow.plan.selecting import output_source
    from pipeflow.report.preview import preview, preview_parts

    pipeline = load_with_params(
        config, param_files, param_options, allow_extra_params, results, schedule
    )
    source = output_source(pipeline.definition, step, part)
    if source != (step, part):
        shown = f"`{source[0]}`" if source[1] is None else f"`{source[1]}` of `{source[0]}`"
        click.echo(f"output `{part}` of `{step}` is {shown}", err=True)
        step, part = source
    stored = pipeline.result(step, results=results)
    restored = [path for name, path in stored.restored if part is None or name == part]
    if restored:
        cache = stored.planner.caches[step]
        assert cache is not None
        targets = ", ".join(pipeline.mask(cache.store.location(p)) for p in restored)
        words = (
            ("target", "is", "it", "copy", "holds")
            if len(restored) == 1
            else ("targets", "are", "them", "copies", "hold")
        )
        click.echo(
            "the {} {targets} of `{step}` {} missing or no longer as stored: a run puts {} back "
            "from the stored {} named below, which {} the up-to-date result".format(
                words[0], *words[1:], targets=targets, step=step
            ),
            err=True,
        )
    if stored.manifest is None:  # a `foreach` step: its items
        _show_items(pipeline, stored, part, show)
        return
    if not stored.current:
        click.echo(
            f"the latest stored result of `{step}`, made by run {stored.manifest.run_id} at "
            f"{stored.manifest.created[:19].replace('T', ' ')} UTC: the step has `cache: false`, "
            "so no result of it is ever up to date",
            err=True,
        )
    if part is not None and part not in stored.locations:
        raise UsageError(
            f"step `{step}` has no output `{part}`",
            hint=_outputs_hint(list(stored.locations)),
        )
    for name, location in stored.locations.items():
        if part is None or name == part:
            label = "" if name == "value" else f"{name}: "
            click.echo(f"{label}{location}")
    if show:
        value = stored.load(part)
        several = part is None and list(stored.locations) != ["value"]
        click.echo(pipeline.mask(preview_parts(value) if several else preview(value)))


def _show_items(pipeline: Pipeline, stored: StoredResult, part: str | None, show: bool) -> None:
    """`result` of a `foreach` step: where each item's result is; with --show, their list."""
    from pipeflow.errors import UsageError
    from pipeflow.report.preview import preview

    names = list(pipeline.step(stored.step).parts)  # as declared: a list may have no items
    if part is not None and part not in names:
        raise UsageError(
            f"step `{stored.step}` has no output `{part}`",
            hint=_outputs_hint(names),
        )
    count = len(stored.item_locations)
    for index, locations in enumerate(stored.item_locations, 1):
        for name, location in locations.items():
            if part is None or name == part:
                label = "" if name == "value" else f" {name}"
                click.echo(f"item {index} of {count}{label}: {location}")
    if show:
        click.echo(pipeline.mask(preview(stored.load(part))))


def _outputs_hint(names: list[str]) -> str:
    if names == ["value"]:
        return "it declares no `outputs:`: leave --part out"
    return "its outputs: " + ", ".join(f"`{name}`" for name in names)
