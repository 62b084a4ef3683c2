"""`pipeflow runs [show ID | prune]` and `pipeflow logs ID`: the run history.

The database is `--home DIR`, else `$PIPEFLOW_HOME`, else `.pipeflow/` beside CONFIG (for
`runs CONFIG`) or in the current folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeflow.cli.completion import complete_run_step
from pipeflow.cli.history_text import run_details, runs_table
from pipeflow.cli.main import cli
from pipeflow.cli.once import OnceGroup
from pipeflow.errors import ConfigError, UsageError, did_you_mean
from pipeflow.model import jsontext

if TYPE_CHECKING:
    from pipeflow.history import History

# The run states, spelled out here so that `pipeflow --help` does not import the history; the
# same as `pipeflow.history.recorder.RUN_STATES` (a test checks).
RUN_STATES = ("running", "succeeded", "failed", "interrupted", "skipped", "lost")
LATEST = "latest"  # as `pipeflow.history.run_ids.LATEST` (a test checks)
HOME_HELP = (
    "the folder holding runs.db [default: $PIPEFLOW_HOME, else .pipeflow/ beside CONFIG or in "
    "the current folder]"
)


def home_option(function: Any) -> Any:
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        help=HOME_HELP,
    )(function)


class RunsGroup(OnceGroup):
    """`runs [CONFIG]` lists runs; `show` and `prune` are its subcommands.

    A group's optional argument would swallow the subcommand's name (`runs show ID` would read
    `show` as CONFIG), so CONFIG is taken out of the arguments here, unless it names a command.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            if ctx.invoked_subcommand == "prune":
                error.outcome = "nothing was deleted"
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        config: str | None = None
        index = self._first_positional(ctx, args)
        if index is not None and args[index] not in self.commands:
            config = args[index]
            args = args[:index] + args[index + 1 :]
        rest = super().parse_args(ctx, args)
        ctx.params["config"] = Path(config) if config is not None else None
        return rest

    def _first_positional(self, ctx: click.Context, args: Sequence[str]) -> int | None:
        takes_value: set[str] = set()
        for param in self.get_params(ctx):
            if isinstance(param, click.Option) and not param.is_flag and not param.count:
                takes_value.update(param.opts)
        skip = False
        for index, arg in enumerate(args):
            if skip:
                skip = False
            elif arg == "--":
                return index + 1 if index + 1 < len(args) else None
            elif arg.startswith("-") and arg != "-":
                skip = arg in takes_value  # `--last 5`; `--last=5` is one argument
            else:
                return index
        return None

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [*pieces[:1], "[CONFIG]", *pieces[1:]]


@cli.group(
    cls=RunsGroup,
    invoke_without_command=True,
    subcommand_metavar="[COMMAND [ARGS]...]",
)
@click.option("--pipeline", metavar="NAME", help="only the runs of this pipeline")
@click.option("--state", type=click.Choice(RUN_STATES), help="only the runs in this state")
@click.option("--last", type=click.IntRange(min=1), metavar="N", help="only the newest N runs")
@click.option("--json", "as_json", is_flag=True, help="print the runs as a JSON list")
@home_option
@click.pass_context
def runs(
    ctx: click.Context,
    pipeline: str | None,
    state: str | None,
    last: int | None,
    as_json: bool,
    home: Path | None,
    config: Path | None = None,
) -> None:
    """List recorded runs, newest first (of CONFIG's project when given).

    `pipeflow runs show ID` shows one run; `pipeflow runs prune --keep N` deletes old ones.
    """
    if ctx.invoked_subcommand is not None:
        return
    with _open(ctx, home) as history:
        of_config = config if config is not None and config.is_file() else None
        records = history.runs(pipeline=pipeline, state=state, last=last, config=of_config)
        if as_json:
            from pipeflow.history.documents import run_document

            click.echo(_json_text([run_document(record) for record in records]))
            return
        if not records:
            click.echo(_none_found(history, pipeline, state, of_config))
            return
        click.echo(runs_table(records), nl=False)


@runs.command()
@click.argument("run_id", metavar="[ID]", required=False, default=LATEST)
@click.option("--traceback", "tracebacks", is_flag=True, help="show the traceback of failures")
@click.option("--json", "as_json", is_flag=True, help="print the run and its steps as JSON")
@home_option
@click.pass_context
def show(
    ctx: click.Context, run_id: str, tracebacks: bool, as_json: bool, home: Path | None
) -> None:
    """Show one run: its params and each step's state, reason, attempts and results.

    ID may be the start of a run's id, when only one run starts that way, or `latest` (the
    run that started last), which is the default.
    """
    with _open(ctx, home) as history:
        config = _config_of(ctx)
        if run_id == LATEST and config is not None and config.is_file():
            # `runs CONFIG show`: the latest run of CONFIG, as `runs CONFIG` lists them.
            newest = history.runs(config=config)
            newest = [run for run in newest if run.state != "skipped"] or newest  # as `latest`
            if not newest:
                raise UsageError(
                    f"no run of {config} is recorded in {history.path}",
                    hint=f"`pipeflow runs {config.parent}` lists the runs of every config there",
                )
            run_id = newest[0].id
        record = history.run(run_id)
    if as_json:  # tracebacks included: a program takes what it needs
        from pipeflow.history.documents import run_document

        click.echo(_json_text(run_document(record, steps=True)))
        return
    click.echo(run_details(record, tracebacks=tracebacks), nl=False)


@runs.command()
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    metavar="N",
    help="keep the newest N runs",
)
@click.option(
    "--older-than",
    metavar="AGE",
    help="delete only runs that started more than AGE ago (30d, 12h, 90m)",
)
@click.option("--vacuum", is_flag=True, help="give the freed space back to the file system")
@home_option
@click.pass_context
def prune(
    ctx: click.Context, keep: int | None, older_than: str | None, vacuum: bool, home: Path | None
) -> None:
    """Delete old runs with their steps and logs: all but the newest N, or those older than AGE.

    With both, a run goes only when it is neither among the newest N nor younger than AGE.
    A run still going is never deleted.
    """
    from datetime import timedelta

    from pipeflow.model.durations import parse_duration

    if keep is None and older_than is None:
        raise UsageError(
            "say which runs to delete",
            hint="give `--keep N` (keep the newest N), `--older-than AGE` (e.g. 30d), or both",
        )
    age = None
    if older_than is not None:
        try:
            age = timedelta(seconds=parse_duration(older_than))
        except ValueError as error:
            raise UsageError(
                f"--older-than: {error}", hint="write an age like `30d`, `12h` or `90m`"
            ) from None
        except OverflowError:  # more days than a timedelta holds (as `gc --older-than` says)
            raise UsageError(
                f"--older-than: `{older_than}` is too long an age",
                hint="write an age like `30d`, `12h` or `90m`",
            ) from None
    with _open(ctx, home) as history:
        deleted = history.prune(keep, older_than=age, vacuum=vacuum)
        path = history.path
    noun = "run" if deleted == 1 else "runs"
    kept = []
    if keep is not None:
        kept.append(f"the newest {keep}")
    if older_than is not None:
        kept.append(f"none older than {older_than}")
    click.echo(f"deleted {deleted} {noun} from {path}; kept {' and '.join(kept)}")


@cli.command()
@click.argument("run_id", metavar="[ID]", required=False, default=LATEST)
@click.option(
    "--step",
    metavar="STEP",
    shell_complete=complete_run_step,
    help="only what this step printed",
)
@click.option("-f", "--follow", is_flag=True, help="keep printing new lines until the run ends")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="the folder holding runs.db [default: $PIPEFLOW_HOME, else .pipeflow/ here]",
)
@click.pass_context
def logs(
    ctx: click.Context, run_id: str, step: str | None, follow: bool, home: Path | None
) -> None:
    """Print what the steps of run ID printed and logged, each line after its step's name.

    ID may be the start of a run's id, when only one run starts that way, or `latest` (the
    run that started last), which is the default.
    """
    from pipeflow.model.events import prefixed  # not for `--help`: it imports the run's model

    with _open(ctx, home) as history:
        run_id = history.resolve(run_id)
        lines = history.follow(run_id, step) if follow else iter(history.logs(run_id, step))
        printed = False
        for line in lines:
            click.echo("\n".join(prefixed(line.step, line.text)))
            printed = True
        record = history.run(run_id)  # after the lines: `run` marks a dead run lost
        ended = record.state
    if not record.steps and ended in ("skipped", "failed"):  # a fire that started no run
        if ended == "skipped":
            reason = record.params.get("skipped")
            why = "`pipeflow serve` skipped this fire" + (f" ({reason})" if reason else "")
        else:
            why = f"it could not start (`pipeflow runs show {run_id}` says why)"
        click.echo(f"run {run_id} ran no step: {why}", err=True)
        return
    if not printed:  # an empty output would leave the reader wondering whether it worked
        whose = f"step `{step}`" if step is not None else "no step"
        said = "printed or logged nothing" if step is not None else "printed or logged anything"
        click.echo(f"run {run_id}: {whose} {said}", err=True)
    if ended in _ENDED:  # the lines stop: say why, as the run's own console would
        click.echo(f"run {run_id} {_ENDED[ended].format(id=run_id)}", err=True)
    elif ended == "running":  # only without --follow, which follows it to its end
        click.echo(
            f"run {run_id} is still running; `pipeflow logs {run_id} --follow` prints its "
            "lines as they come",
            err=True,
        )


# -- helpers ---------------------------------------------------------------------------------

# How `logs` says a run ended that did not succeed (one that did ends silently).
_ENDED = {
    "failed": "failed (`pipeflow runs show {id}` says which step, and why)",
    "interrupted": "was interrupted (Ctrl-C or SIGTERM); a new run resumes it",
    "lost": (
        "is lost: its process ended before the run did (killed, or its machine went down); "
        "`pipeflow runs show {id}` says where its steps stood"
    ),
}


def _none_found(
    history: History, pipeline: str | None, state: str | None, config: Path | None = None
) -> str:
    """Why `runs` lists nothing: no run at all, or none of `pipeline` (naming the pipelines
    that have runs, the closest first), or none in `state`, or none of `config` (saying
    when the history holds runs of other configs)."""
    where = f"recorded in {history.path}"
    if config is not None:
        named = f" of pipeline `{pipeline}`" if pipeline else ""
        in_state = f" in state `{state}`" if state else ""
        said = f"no run{named} of {config}{in_state} is {where}"
        if history.runs(config=config, last=1) or not history.runs(last=1):
            return said
        return (
            f"{said}; it holds runs of other configs (`pipeflow runs {config.parent}` lists them)"
        )
    if pipeline is None:
        return f"no run in state `{state}` is {where}" if state else f"no runs {where}"
    known = history.pipelines()
    if pipeline in known or not known:
        in_state = f" in state `{state}`" if state else ""
        return f"no run of pipeline `{pipeline}`{in_state} is {where}"
    suggestion = did_you_mean(pipeline, known)
    return (
        f"no run of pipeline `{pipeline}` is {where}; "
        + (f"{suggestion} " if suggestion else "")
        + "pipelines with runs: "
        + ", ".join(f"`{name}`" for name in known)
    )


def _json_text(document: Any) -> str:
    return jsontext.dumps(document, indent=2, ensure_ascii=False)


def _open(ctx: click.Context, home: Path | None) -> History:
    """The history the options point at: --home, $PIPEFLOW_HOME, CONFIG's folder, or here."""
    from pipeflow.history import open_history

    context: click.Context | None = ctx
    while context is not None:  # `runs --home X show ID` and `runs CONFIG show ID` work too
        if home is None:
            home = context.params.get("home")
        context = context.parent
    config = _config_of(ctx)
    folder: Path | None = None
    if config is not None:
        if not config.exists():
            raise UsageError(f"no such config or folder: {config}")
        folder = config if config.is_dir() else config.parent
    if home is None:
        _refuse_a_file_for_home()
    return open_history(folder, home=home)


def _refuse_a_file_for_home() -> None:
    """$PIPEFLOW_HOME naming a file would read as an empty history (`--home` refuses one)."""
    from pipeflow.history.database import HOME_ENV

    named = os.environ.get(HOME_ENV)
    if named and os.path.exists(named) and not os.path.isdir(named):
        raise UsageError(
            f"${HOME_ENV} is {named}, a file: the history is kept in a folder (runs.db in it)",
            hint=f"point ${HOME_ENV} at a folder, or unset it to keep each project's history "
            "in `.pipeflow/` beside its config",
        )


def _config_of(ctx: click.Context) -> Path | None:
    """The CONFIG (or folder) of `runs CONFIG ...`, from this command or the group."""
    context: click.Context | None = ctx
    while context is not None:
        config: Path | None = context.params.get("config")
        if config is not None:
            return config
        context = context.parent
    return None
