"""Options that take one value, given once: `--results a --results b` is refused, not read as b.

click keeps the last value of such an option and drops the others without a word, so a run
went to the second store, took the second schedule's params or wrote one of two reports asked
for. `OnceCommand` (every command's class) and `OnceGroup` (a group's own options, up to its
subcommand) read the arguments before click does and refuse a second, different value (a
`UsageError`, exit 2). Options meant to repeat (`multiple`), flags and counts are left alone;
the same value twice is harmless and taken.
"""

from __future__ import annotations

from collections.abc import Sequence

import click


def given_once(
    parameters: Sequence[click.Parameter], args: Sequence[str], *, stop_at_positional: bool
) -> None:
    """Raise UsageError when an option of one value in `parameters` is given two values in
    `args`. `stop_at_positional`: a group's arguments end at its subcommand's name."""
    takes_value: dict[str, click.Option] = {}
    for parameter in parameters:
        if isinstance(parameter, click.Option) and not (parameter.is_flag or parameter.count):
            for name in (*parameter.opts, *parameter.secondary_opts):
                takes_value[name] = parameter
    given: dict[str, list[str]] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            if stop_at_positional:
                break
            continue
        name, equals, value = arg.partition("=")
        option = takes_value.get(name)
        if option is None:
            continue
        if not equals:
            if index >= len(args):
                break  # click says the value is missing
            value = args[index]
            index += 1
        if not option.multiple:
            given.setdefault(max(option.opts, key=len), []).append(value)
    for name, values in given.items():
        distinct = list(dict.fromkeys(values))
        if len(distinct) > 1:
            from pipeflow.errors import UsageError

            listed = ", ".join(f"`{value}`" for value in distinct)
            raise UsageError(
                f"{name} takes one value, and it is given {len(distinct)}: {listed}",
                hint=f"give {name} once",
            )


class OnceCommand(click.Command):
    """A command whose options of one value are given once (see the module)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given_once(self.get_params(ctx), args, stop_at_positional=False)
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:  # `--to`: pipeflow's `--until`, not `--tag`
            from pipeflow.cli.option_habits import with_habits

            raise with_habits(error, self.get_params(ctx)) from None


class OnceGroup(click.Group):
    """A group whose own options of one value are given once, and whose commands are
    `OnceCommand`s (see the module)."""

    command_class = OnceCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given_once(self.get_params(ctx), args, stop_at_positional=True)
        return super().parse_args(ctx, args)
