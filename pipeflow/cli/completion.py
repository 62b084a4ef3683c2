"""Shell completion: step and tag names for the options that take one; `pipeflow completion`.

click does the protocol (`_PIPEFLOW_COMPLETE=bash_complete pipeflow ...`); the functions here
supply the candidates click cannot know. Step and tag names are read from the config's text
with the config reader alone, never by importing step modules, and a run's steps from the
history.
Completion runs on every Tab press with a half-typed command line, so any problem (no config
yet, a broken file, a locked database) means no candidates, never a traceback in the prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pipeflow.cli.main import cli

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VARIABLE = "_PIPEFLOW_COMPLETE"
# The configs `init --step` looks for in DIR (as pipeflow.config.scaffold does; not imported).
CONFIG_NAMES = ("pipeline.yaml", "pipeline.yml", "pipeline.toml")
_INSTALL = {
    "bash": 'eval "$(pipeflow completion bash)"   # in ~/.bashrc',
    "zsh": 'eval "$(pipeflow completion zsh)"    # in ~/.zshrc',
    "fish": "pipeflow completion fish > ~/.config/fish/completions/pipeflow.fish",
}


def config_step_names(config: Path) -> list[str]:
    """The names under `steps:` in `config`, in file order; [] when it cannot be read."""
    try:
        from pipeflow.config.reader import read_document

        steps = read_document(config).data.get("steps")
        return [str(name) for name in steps] if isinstance(steps, dict) else []
    except Exception:
        return []


def config_result_names(
    config: Path, prefix: str = "", outer: frozenset[Path] = frozenset()
) -> list[str]:
    """The steps of `config` that have a result of their own, in file order: a step that
    runs a sub-pipeline stands for its steps (`sub/x`, and `sub/inner/y` one level deeper),
    which `result` and `accept` take; [] when the config cannot be read."""
    try:
        from pipeflow.config.reader import read_document

        steps = read_document(config).data.get("steps")
    except Exception:  # see config_step_names
        return []
    found: list[str] = []
    here = outer | {config.resolve()}
    for name, step in steps.items() if isinstance(steps, dict) else ():
        if not _runs_pipeline(step):
            found.append(f"{prefix}{name}")
        elif (config.parent / step["pipeline"]).resolve() not in here:  # a cycle adds nothing
            found += config_result_names(config.parent / step["pipeline"], f"{prefix}{name}/", here)
    return found


def _runs_pipeline(step: Any) -> bool:
    return isinstance(step, dict) and isinstance(step.get("pipeline"), str)


def config_tag_names(config: Path) -> list[str]:
    """The tags of `config`'s steps, and of the sub-pipelines they run, in file order."""
    found: dict[str, None] = {}
    todo, seen = [config], set()
    while todo:
        path = todo.pop(0)
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            from pipeflow.config.reader import read_document

            steps = read_document(path).data.get("steps")
        except Exception:  # see config_step_names
            continue
        for step in steps.values() if isinstance(steps, dict) else ():
            if not isinstance(step, dict):
                continue
            tags = step.get("tags")
            if isinstance(tags, list):
                found.update((str(tag), None) for tag in tags)
            if isinstance(step.get("pipeline"), str):
                todo.append(path.parent / step["pipeline"])
    return list(found)


def complete_tag(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Tag names of the command's CONFIG for a `--tag` value."""
    config = _argument(ctx, "config")
    if config is None:
        return []
    names = config_tag_names(Path(config))
    from click.shell_completion import CompletionItem  # only when completing

    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def complete_step(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Step names of the command's CONFIG (or of `init`'s --config / DIR) for a STEP value."""
    config = ctx.params.get("config") if "folder" in ctx.params else _argument(ctx, "config")
    if config is None and "folder" in ctx.params:  # `init DIR --step X --input <Tab>`
        folder = Path(_argument(ctx, "folder") or ".")
        config = next((folder / name for name in CONFIG_NAMES if (folder / name).is_file()), None)
    if config is None:
        return []
    names = config_step_names(Path(config))
    from click.shell_completion import CompletionItem  # only when completing

    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def complete_result_step(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The steps with a result of the command's CONFIG, for `result` and `accept`: those of
    its sub-pipelines (`sub/x`), not the step that runs one (it has no result of its own)."""
    config = _argument(ctx, "config")
    if config is None:
        return []
    names = config_result_names(Path(config))
    from click.shell_completion import CompletionItem  # only when completing

    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def complete_run_step(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Step names of the run ID that `pipeflow logs ID --step` names, from the history."""
    run_id = _argument(ctx, "run_id")
    if not run_id:
        return []
    try:
        from pipeflow.history import open_history

        with open_history(None, home=ctx.params.get("home")) as history:
            names = [step.step for step in history.run(str(run_id)).steps]
    except Exception:  # see config_step_names
        return []
    # A step that runs a sub-pipeline names all of its steps (`data` for `data/load`).
    groups = [name.rsplit("/", 1)[0] for name in names if "/" in name]
    names = list(dict.fromkeys([*groups, *names]))
    from click.shell_completion import CompletionItem  # only when completing

    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def _argument(ctx: click.Context, name: str) -> Any:
    """The value of the command's argument `name`, also on a half-typed command line.

    Completing `run pipeline.yaml --only <Tab>`, click's parser stops at the option that lacks
    its value and leaves the positional words it had read in `ctx.args`, in order, unassigned.
    """
    arguments = [p.name for p in ctx.command.params if isinstance(p, click.Argument)]
    if ctx.args and name in arguments and arguments.index(name) < len(ctx.args):
        return ctx.args[arguments.index(name)]
    return ctx.params.get(name)


@cli.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    \b
    bash: eval "$(pipeflow completion bash)"   in ~/.bashrc
    zsh:  eval "$(pipeflow completion zsh)"    in ~/.zshrc
    fish: pipeflow completion fish > ~/.config/fish/completions/pipeflow.fish
    """
    from click.shell_completion import get_completion_class

    complete_class = get_completion_class(shell)
    assert complete_class is not None  # click ships all three shells
    script = complete_class(cli, {}, "pipeflow", COMPLETE_VARIABLE).source()
    click.echo(f"# pipeflow completion for {shell}; install: {_INSTALL[shell]}")
    click.echo(script)
