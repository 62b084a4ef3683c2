"""GitHub Actions annotations: each config problem, and each failed step at the line of its
code that raised, as an `::error` workflow command.

GitHub shows such a line as an error on the file and line of the pull request's diff. The
escaping follows GitHub's toolkit (`@actions/core`, `command.ts`): in the message `%`, CR and
LF become `%25`, `%0D`, `%0A`; in a property value also `:` and `,` become `%3A` and `%2C`.
File paths are made relative to the working directory, which on GitHub is the checkout.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeflow.errors import Problem
from pipeflow.model.run import StepOutcome

TITLE = "pipeflow"


def running_on_github(environ: Mapping[str, str] | None = None) -> bool:
    """GitHub sets GITHUB_ACTIONS=true in every step of a workflow."""
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem, *, cwd: Path | None = None) -> str:
    """One problem as `::error file=F,line=L,col=C,title=pipeflow::MESSAGE`."""
    properties: list[tuple[str, str]] = []
    if problem.file is not None:
        properties.append(("file", relative_path(problem.file, cwd or Path.cwd())))
        if problem.line is not None:
            properties.append(("line", str(problem.line)))
            if problem.column is not None:
                properties.append(("col", str(problem.column)))
    properties.append(("title", TITLE))
    message = f"at `{problem.path}`: {problem.message}" if problem.path else problem.message
    if problem.hint:
        message += f"\nhint: {problem.hint}"
    fields = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::error {fields}::{escape_data(message)}"


def annotation_lines(problems: Iterable[Problem], *, cwd: Path | None = None) -> list[str]:
    return [annotation(problem, cwd=cwd) for problem in problems]


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)', re.MULTILINE)


def step_failure(step: str, error: str, traceback: str | None, *, cwd: Path | None = None) -> str:
    """A failed step as `::error file=F,line=L,title=...::ERROR`, at the last frame of its
    traceback under `cwd` (the project's own code, not a library's), or without a place."""
    cwd = cwd or Path.cwd()
    properties: list[tuple[str, str]] = []
    for frame in reversed(list(_FRAME.finditer(traceback or ""))):
        file = relative_path(frame["file"], cwd)
        if not Path(file).is_absolute():
            properties += [("file", file), ("line", frame["line"])]
            break
    properties.append(("title", f"{TITLE} step `{step}` failed"))
    fields = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::error {fields}::{escape_data(error)}"


def failure_lines(outcomes: Iterable[StepOutcome]) -> list[str]:
    """On GitHub Actions, an `::error` per failed step (but one Ctrl-C stopped: no line is
    to blame); elsewhere none."""
    if not running_on_github():
        return []
    return [
        step_failure(outcome.step, outcome.error or outcome.reason, outcome.traceback)
        for outcome in outcomes
        if outcome.reason != "interrupted"
    ]


def stale_lines(steps: Iterable[tuple[str, str, str]]) -> list[str]:
    """On GitHub Actions, an `::error` per step `--frozen` found would run, saying why (no file:
    a step's reason names what changed); elsewhere none. `steps`: `StaleResults.steps`."""
    if not running_on_github():
        return []
    return [
        f"::error title={escape_property(f'{TITLE} step `{step}` would run')}"
        f"::{escape_data(f'--frozen: {reason}')}"
        for step, state, reason in steps
        if state == "stale"
    ]


def relative_path(file: str, cwd: Path) -> str:
    """`file` relative to `cwd` with `/` separators, or as given when it is elsewhere."""
    path = Path(file)
    absolute = path if path.is_absolute() else cwd / path
    try:
        relative = os.path.relpath(os.path.normpath(absolute), os.path.normpath(cwd))
    except ValueError:  # another drive on Windows
        return path.as_posix()
    if relative.startswith(".."):
        return Path(os.path.normpath(absolute)).as_posix()
    return Path(relative).as_posix()
