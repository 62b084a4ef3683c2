"""Where the CI reports of one run are written: `run --json/--junit`, and `Pipeline.run(json=,
junit=)` from Python.

A target is a file path (its folder made when the report is written; the file replaced at
once, never left half-written), `-` for stdout, or a text stream. Paths are checked when the
reports are asked for, before any step runs. A run that never starts (params it cannot take,
`--frozen` finding stale steps) gets a report too, with no steps and the reason.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO, Union

from pipeflow.errors import ConfigError, PipeflowError, StaleResults, UsageError
from pipeflow.model.words import a_kind
from pipeflow.report.outputs import check_output_file

Target = Union[str, "os.PathLike[str]", TextIO]


def target(value: Any, option: str) -> str | TextIO | None:
    """`value` as a report target (a path made text), or TypeError naming `option`."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        path: str = os.fspath(value)
        return path
    binary = isinstance(value, io.RawIOBase | io.BufferedIOBase)
    if callable(getattr(value, "write", None)) and not binary:
        return value  # type: ignore[no-any-return]
    raise TypeError(
        f"`{option}` takes a file path, `-` or a text stream, got {a_kind(type(value).__name__)}"
    )


class ReportFiles:
    """The JSON and JUnit reports of one run, written where they were asked for.

    `collector` (None when no report is wanted) is the subscriber to give the run; `finish`
    writes the reports of the run it heard; `not_run` those of a run that never started.
    `stdout` is where `-` writes (the CLI's own stdout while steps' output goes elsewhere);
    by default `sys.stdout` as it is when the report is written."""

    def __init__(
        self,
        config: str,
        json: Target | None,
        junit: Target | None,
        *,
        names: tuple[str, str] = ("json", "junit"),
        stdout: TextIO | None = None,
    ) -> None:
        self.config = config
        self.json = target(json, names[0])
        self.junit = target(junit, names[1])
        if self.json == "-" and self.junit == "-":  # one document after the other: neither reads
            raise UsageError(
                f"{_shown(names[0])} and {_shown(names[1])} would both write their report to "
                "stdout, where neither could be read",
                hint="write one of them to a file",
            )
        for value, name in ((self.json, names[0]), (self.junit, names[1])):
            if isinstance(value, str):  # an option's name as typed, a keyword's in backticks
                shown = name if name.startswith("-") else f"`{name}`"
                check_output_file(value, shown, config=config)
        self.wanted = self.json is not None or self.junit is not None
        self.stdout = stdout
        self.collector: Any = None
        self.written = False
        if self.wanted:
            from pipeflow.report.ci import RunReport

            self.collector = RunReport(config=config)

    def steps_are(self, steps: Mapping[str, Any]) -> None:
        """The pipeline's steps (name -> Step), once loaded: the JUnit report counts a
        `foreach` step's calls as calls over its items, not as attempts."""
        if self.collector is not None:
            names = (name for name, step in steps.items() if step.foreach is not None)
            self.collector.foreach = frozenset(names)

    def finish(self) -> None:
        """Write the reports of the run the collector heard, if it heard one end."""
        if self.collector is not None and self.collector.finished and not self.written:
            self._write(self.collector.document(), self.collector.output)

    def not_run(
        self,
        pipeline: str | None,
        error: PipeflowError,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Report a run that never started: invalid (exit 2), stale (3), or error (1; one
        that could not start, with the id the history recorded it under). `params`: the
        merged params it was to run with (secrets masked), when they are known."""
        if not self.wanted:
            return
        unstarted = self.collector.unstarted
        if self.collector.finished and unstarted is None:
            return
        from pipeflow.report.ci import not_run_document

        problems = error.problems if isinstance(error, ConfigError) else ()
        if isinstance(error, ConfigError):
            state = "invalid"
        else:
            state = "stale" if isinstance(error, StaleResults) else "error"
        document = not_run_document(
            config=self.config,
            pipeline=pipeline,
            state=state,
            message=error.format(),
            problems=problems,
            run=unstarted,
            params=params,
            planned=error.steps if isinstance(error, StaleResults) else (),
        )
        self._write(document, {})
        self.written = True

    def _write(self, document: dict[str, Any], output: Any) -> None:
        from pipeflow.report.ci import json_ascii, json_text, write_text
        from pipeflow.report.junit import junit_xml, xml_ascii

        stdout = self.stdout or sys.stdout
        if self.json is not None:
            write_text(self.json, json_text(document), stdout=stdout, in_ascii=json_ascii)
        if self.junit is not None:
            foreach = self.collector.foreach if self.collector is not None else frozenset()
            xml = junit_xml(document, output, foreach=foreach)
            write_text(self.junit, xml, stdout=stdout, in_ascii=xml_ascii)


def _shown(name: str) -> str:
    """An option as typed (`--json -`), or a keyword (`json="-"`)."""
    return f"{name} -" if name.startswith("-") else f'`{name}="-"`'
