"""The `pipeflow` group, shared options, and the one place exceptions become exit codes."""

from __future__ import annotations

import contextlib
import errno
import importlib
import inspect
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from pipeflow._version import __version__
from pipeflow.cli.once import OnceGroup
from pipeflow.errors import ConfigError, Interrupted, PipeflowError, PipeflowWarning, UsageError

if TYPE_CHECKING:
    from pipeflow.api import Pipeline

VERBOSITY_HELP = "more detail (-v) or only failures and the summary (-q)"
# What a command that deletes, changes or writes says it did not do when refused (the others:
# "nothing was run"); `runs prune` says it too (`history.py`).
OUTCOMES = {
    "gc": "nothing was deleted",
    "accept": "nothing was changed",
    "init": "nothing was written",
    "graph": "nothing was written",
}
# The module (under pipeflow.cli) that defines each command. A command's module is imported
# when the command is looked up, so `pipeflow run` does not import the other commands'
# modules; `--help` and completion list them all (tests/cli/test_startup.py checks the table).
COMMANDS = {
    "accept": "cache",
    "completion": "completion",
    "gc": "gc",
    "graph": "info",
    "init": "init",
    "logs": "history",
    "result": "cache",
    "run": "running",
    "runs": "history",
    "schedule": "schedules",
    "schema": "info",
    "serve": "serve",
    "status": "cache",
    "ui": "ui",
    "validate": "validating",
}


class PipeflowGroup(OnceGroup):
    """Maps pipeflow's exceptions to their exit codes, in one place; what it prints of
    errors and warnings has every secret this process knows masked. An option of one value
    is given once, on every command (`once.py`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            load_commands()  # an unknown name: click suggests the closest of all commands
        elif cmd_name not in self.commands:
            importlib.import_module(f"pipeflow.cli.{module}")  # registers its commands
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        # A signal repeated as an interrupted run unwinds may land in the handler of its
        # `Interrupted`, before it ignores further ones: the outer `except` takes it, where
        # click would say "Aborted!" and the process end by the signal.
        try:
            try:
                with _clean_warnings():
                    return super().invoke(ctx)
            except PipeflowError as error:
                self._failed(ctx, error)
        except KeyboardInterrupt:
            from pipeflow.execute import ctrl_c

            ctrl_c.ignore_from_now()
            _quiet_abandoned_coroutines()
            click.echo("interrupted", err=True)
            ctx.exit(Interrupted.exit_code)

    @staticmethod
    def _failed(ctx: click.Context, error: PipeflowError) -> None:
        """Say what failed, secrets masked, and exit with its code."""
        if isinstance(error, Interrupted):  # first: a signal again now would escape
            from pipeflow.execute import ctrl_c  # not before: `--help` need not load it

            ctrl_c.ignore_from_now()
        from pipeflow.model.secrets import known  # not before: `CMD --help` need not load it

        outcome = OUTCOMES.get(ctx.invoked_subcommand or "")
        if isinstance(error, ConfigError) and outcome is not None:
            error.outcome = outcome

        if isinstance(error, Interrupted):
            _quiet_abandoned_coroutines()
        click.echo(known().mask(error.format()), err=True)
        ctx.exit(error.exit_code)


# A device that takes no more: stdout redirected to a full disk (or to /dev/full).
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _cannot_write(error: OSError) -> None:
    """One line instead of a traceback. What stdout still holds goes to the null device as
    the process exits: flushed to the full one, it would fail again, with a traceback."""
    where = error.filename or "standard output"
    reason = (error.strerror or str(error)).lower()
    click.echo(f"error: cannot write to {where} ({reason})", err=True)
    with contextlib.suppress(OSError, ValueError, AttributeError):  # a stream with no descriptor
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def _quiet_abandoned_coroutines() -> None:
    """After Ctrl-C the run has said what it stopped. The coroutines of an upload it broke off
    (s3fs, gcsfs), collected as the process exits, would print "Exception ignored in:
    <coroutine ...>" and a traceback of the library's under that: not shown."""
    shown = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not inspect.iscoroutine(unraisable.object):
            shown(unraisable)

    sys.unraisablehook = hook


@contextlib.contextmanager
def _clean_warnings() -> Iterator[None]:
    """pipeflow's own warnings as one `warning: ...` line on stderr, each time they occur
    (from any thread), instead of Python's file:line, category and source line. Warnings may
    name a location built from a secret: every warning is shown with secrets masked."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", PipeflowWarning)
        shown = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            from pipeflow.model.secrets import known

            text = known().mask(str(message))
            if issubclass(category, PipeflowWarning):
                click.echo(f"warning: {text}", err=True)
            else:
                shown(text, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


@click.group(cls=PipeflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="pipeflow")
def cli() -> None:
    """pipeflow: run declarative pipelines of plain Python functions.

    A YAML or TOML config names the steps, their inputs and where results go;
    `pipeflow validate` checks it, `pipeflow run` runs it.
    """


def config_argument(function: Any) -> Any:
    return click.argument(
        "config", type=click.Path(dir_okay=True, path_type=Path), metavar="CONFIG"
    )(function)


class _ParamsFile(click.Path):
    """A params file's path; an empty one (`--param-file "$PARAMS"`, PARAMS unset) is
    refused, not read as the current folder."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("the path is empty; give a .json, .yaml or .toml params file", param, ctx)
        return super().convert(value, param, ctx)


def param_options(function: Any) -> Any:
    function = click.option(
        "--schedule",
        "schedule",
        type=click.IntRange(min=1),
        metavar="N",
        help="take the params of the config's schedule N (from 1) first, as its scheduled "
        "runs do; params files and --param still win",
    )(function)
    function = click.option(
        "--allow-extra-params",
        is_flag=True,
        help="accept params the config does not declare",
    )(function)
    function = click.option(
        "--param",
        "param_options",
        multiple=True,
        metavar="KEY=VALUE",
        help="override one param (VALUE read as YAML; dotted KEY for nesting); repeatable",
    )(function)
    function = click.option(
        "--param-file",
        "param_files",
        multiple=True,
        type=_ParamsFile(path_type=Path),
        metavar="FILE",
        help="a JSON, YAML or TOML file of params; repeatable, later files win",
    )(function)
    return function


def load_with_params(
    config: Path,
    param_files: tuple[Path, ...],
    param_options: tuple[str, ...],
    allow_extra_params: bool,
    results: str | None = None,
    schedule: int | None = None,
    schedule_key: str | None = None,
    executor: str | None = None,
) -> Pipeline:
    """The `pipeflow.Pipeline` of CONFIG with the params that `param_options` collected (over
    schedule number `schedule`'s, for `serve`: the schedule of the config that `schedule_key`
    names, if the list changed since serve read it), checked for the store `--results` names
    and the executor `--executor` names (if given)."""
    with starting():
        from pipeflow.api import load

        if schedule is not None and schedule_key is not None:
            from pipeflow.config.schedule_params import fired_schedule

            schedule = fired_schedule(config, schedule, schedule_key)

        return load(
            config,
            param_files=param_files,
            param_options=param_options,
            allow_extra_params=allow_extra_params,
            results=results,
            schedule=schedule,
            executor=executor,
        )


def one_pipeline_each(named: dict[str, Path], name: str, config: Path) -> None:
    """Note that `config` holds the pipeline `name` (`serve` and `ui` take several configs);
    UsageError when another config given holds it too, or this one was given already."""
    earlier = named.get(name)
    if earlier is None:
        named[name] = config
        return
    if earlier.resolve() == config.resolve():
        spelt = f" (as `{earlier}` and `{config}`)" if earlier != config else ""
        raise UsageError(f"{config} is given twice{spelt}", hint="give each config once")
    raise UsageError(
        f"`{earlier}` and `{config}` both name the pipeline `{name}`",
        hint="give each its own `name:`",
    )


def load_commands() -> None:
    """Import every command's module (each registers its commands on the group)."""
    for module in sorted(set(COMMANDS.values())):
        importlib.import_module(f"pipeflow.cli.{module}")


_FREEZING = False  # True in the `pipeflow` process itself (main), not where cli() is called


@contextlib.contextmanager
def starting() -> Iterator[None]:
    """Pause the cyclic collector while a command imports the engine and loads its config.

    Start-up allocates a few hundred thousand objects that live as long as the process
    (modules, classes, functions, the config, the pipeline) and makes no cyclic garbage worth
    collecting early. A command that loads one config and exits uses this; in the `pipeflow`
    process, what each pause of the collector leaves alive from then on (start-up and the
    config here, the plan later) is frozen (`gc.freeze`: the collector never scans it again,
    neither while the steps run nor at exit) and the collector resumes before any step runs:
    about 7 % of a 10-step run's instructions went to scanning them, and 0.3 s of a
    100,000-step plan (issue 13). Where another program calls `cli(...)`, and in commands
    that load configs again and again (the scheduler, the UI), nothing is frozen.
    """
    from pipeflow.config.collecting import collector_paused, freeze_what_stays

    if _FREEZING:
        freeze_what_stays()
    with collector_paused():
        yield


def main() -> None:
    """The console script."""
    global _FREEZING
    _FREEZING = True
    try:
        cli(prog_name="pipeflow")
    except OSError as error:  # click itself handles a closed pipe (`| head`)
        if error.errno not in _FULL:
            raise
        _cannot_write(error)
        sys.exit(1)
