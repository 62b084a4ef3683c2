"""The exception hierarchy: each error knows its exit code and how to show itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from pipeflow.records import record


def did_you_mean(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """'did you mean `inputs`?' for the candidate closest to `word`, or None when none is close."""
    choices = sorted({str(candidate) for candidate in candidates})
    import difflib  # imported when a suggestion is needed: it is not free at start-up

    matches = difflib.get_close_matches(str(word), choices, n=1, cutoff=cutoff)
    if not matches:
        # Case slips ("Steps", "RUN") score low with difflib, yet are the most common typo of all.
        lowered = {choice.lower(): choice for choice in choices}
        match = lowered.get(str(word).lower())
        if match is None:
            match = _part_of_one(str(word).lower(), lowered)
        return f"did you mean `{match}`?" if match is not None else None
    return f"did you mean `{matches[0]}`?"


def _part_of_one(word: str, lowered: Mapping[str, str]) -> str | None:
    """The one candidate that `word` is a whole part of (`encode` of
    `encode_categorical_columns`, which difflib finds too far), when only one is."""
    if len(word) < 3:
        return None
    found = [
        choice
        for low, choice in lowered.items()
        if word in low.replace("-", "_").split("_") or low.startswith(word)
    ]
    return found[0] if len(found) == 1 else None


@record
class Problem:
    """One mistake found in a config, a params file or on the command line."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""  # where in the document, e.g. "steps.split_data.inputs.data"
    hint: str | None = None

    def location(self) -> str:
        """`file:line:col`, as much of it as is known."""
        if self.file is None:
            return ""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def seen_from(self, parent: str) -> Problem:
        """This problem of another file (a sub-pipeline's, read by its absolute path), its
        file named as `parent`'s is: relative to the current folder, unless `parent` was
        given by an absolute path (or the file lies outside the current folder)."""
        import dataclasses
        import os

        if not self.file or not os.path.isabs(self.file) or os.path.isabs(parent):
            return self
        shown = os.path.relpath(self.file)
        return self if shown.startswith("..") else dataclasses.replace(self, file=shown)

    def format(self) -> str:
        """One problem as the text report shows it."""
        head = self.location()
        where = f" at `{self.path}`" if self.path else ""
        text = f"{head}: error{where}: {self.message}" if head else f"error{where}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


_warning_masks: list[Callable[[str], str]] = []


def mask_warnings_with(mask: Callable[[str], str]) -> None:
    """Have every pipeflow warning's text pass through `mask` when it is made (the secrets
    masker registers itself here: this module sits below it and cannot import it)."""
    _warning_masks.append(mask)


class PipeflowWarning(UserWarning):
    """The base of pipeflow's own warnings: something was skipped or rebuilt, and work goes
    on. The CLI prints each as one `warning: ...` line on stderr. Its text is masked as it is
    made, so a warning shown or recorded by any channel (the CLI, the Python API, a logging
    handler) never carries a secret it names, such as a location built from one."""

    def __init__(self, *args: object) -> None:
        for mask in _warning_masks:
            args = tuple(mask(arg) if isinstance(arg, str) else arg for arg in args)
        super().__init__(*args)


class PipeflowError(Exception):
    """The root of every error pipeflow raises on purpose."""

    exit_code = 1

    def format(self) -> str:
        return str(self)


class ConfigError(PipeflowError):
    """A config, params file or option is invalid; carries every problem found at once."""

    exit_code = 2
    # What the refused command did not do, as its last line says it: a command that deletes,
    # changes or writes says so instead (`cli/main.py`).
    outcome = "nothing was run"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.format())

    def format(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [problem.format() for problem in self.problems]
        lines.append(f"{count} {noun} found; {self.outcome}.")
        return "\n".join(lines)


class UsageError(ConfigError):
    """A command-line mistake that has no file to point at."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__([Problem(message=message, hint=hint)])


class StepFailed(PipeflowError):
    """One or more steps raised; the run did not complete."""

    exit_code = 1

    def __init__(self, failed: Sequence[str], message: str) -> None:
        self.failed = tuple(failed)
        super().__init__(message)


class StorageError(PipeflowError):
    """The results store could not be reached, read or written."""

    exit_code = 1


class StaleResults(PipeflowError):
    """`--frozen` found steps that would have to run. `steps`: each step the refusal concerns,
    in plan order, as (name, state, reason): `stale` (it would run, and why), or, when the
    plan is known, `cached`, `skipped` or `not run` (a read the refused run did not get to)."""

    exit_code = 3

    def __init__(self, message: str, steps: Iterable[tuple[str, str, str]] = ()) -> None:
        super().__init__(message)
        self.steps = tuple(steps)


class NoCurrentResult(PipeflowError):
    """`pipeflow result` (or `Pipeline.result()`) found no up-to-date stored result of the
    step asked for, or `pipeflow accept` none it may stamp: a run has to make it first. Exit
    3, as `run --frozen`'s stale steps: a script tells "run it first" from a step that failed
    or a store it could not read (1)."""

    exit_code = 3


class Interrupted(PipeflowError):
    """The user pressed Ctrl-C; the run stopped cleanly."""

    exit_code = 130
