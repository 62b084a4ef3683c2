"""Options other tools spell for what pipeflow calls otherwise (Kedro's `--to-nodes`, DVC's
`--downstream`): an unknown one is answered with pipeflow's. click suggests only the closest
spellings among the command's options (`--json`, `--only`, `--tag` for `--to`), which are
not what was meant.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

# Another tool's option -> pipeflow's.
ELSEWHERE = {
    **dict.fromkeys(("--to", "--to-nodes", "--to-outputs", "--upto", "--up-to"), "--until"),
    **dict.fromkeys(("--from-nodes", "--from-inputs", "--downstream", "--start-from"), "--from"),
    **dict.fromkeys(("--nodes", "--node", "--select"), "--only"),
}


def with_habits(
    error: click.NoSuchOption, parameters: Sequence[click.Parameter]
) -> click.NoSuchOption:
    """`error` saying pipeflow's option when the unknown one is another tool's spelling of
    it, and the command has it; else `error` as it is."""
    meant = ELSEWHERE.get(error.option_name)
    known = {name for parameter in parameters for name in getattr(parameter, "opts", ())}
    if meant is None or meant not in known:
        return error
    # Worded as click words a suggestion (which it makes only of close spellings).
    said = f"No such option {error.option_name!r}. (Did you mean {meant!r}?)"
    return click.NoSuchOption(error.option_name, said, ctx=error.ctx)
