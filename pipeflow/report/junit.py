"""The run report as JUnit XML: a test case per step, written from the `--json` document
(`ci.py`) and the steps' captured output, so both reports always agree (stdlib `xml.etree`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeflow.errors import Problem
from pipeflow.model import jsontext
from pipeflow.model.escaping import printable
from pipeflow.model.run import StepState

# XML 1.0 cannot carry most control characters (an ANSI colour escape, a stray NUL); they are
# shown as \xNN instead, so a step that prints colours still yields a well-formed report.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def junit_xml(
    document: Mapping[str, Any],
    output: Mapping[str, list[str]] | None = None,
    *,
    foreach: frozenset[str] = frozenset(),
) -> str:
    """The document as JUnit XML: a test case per step (classname = pipeline, name = step).

    A failed step is a `<failure>` (message = the error, text = the traceback); a skipped or
    not-run step is `<skipped>` with the reason; a cached step passes and says so in its
    system-out. A run that never started is one failing test case named after its state.
    `foreach`: the names of the `foreach` steps, whose attempts are calls over their items.
    """
    output = output or {}
    pipeline = document["pipeline"] or Path(document["config"]).stem
    steps: list[Mapping[str, Any]] = document["steps"]
    failures = sum(1 for s in steps if s["state"] in _FAILURES)
    skipped = sum(1 for s in steps if s["state"] in _SKIPPED)
    tests = len(steps)
    if not steps and document["state"] != "succeeded":
        tests, failures = 1, 1
    duration = _seconds(document["duration"])
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0"}
    root = ElementTree.Element("testsuites", {"name": pipeline, **counts, "time": duration})
    suite = ElementTree.SubElement(
        root,
        "testsuite",
        {
            "name": pipeline,
            **counts,
            "skipped": str(skipped),
            "time": duration,
            "timestamp": document["started"],
            "id": document["run_id"] or "",
        },
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name in ("run_id", "config", "state", "started", "finished", "pipeflow_version"):
        value = document[name]
        if value is not None:
            _property(properties, f"pipeflow.{name}", str(value))
    _property(properties, "pipeflow.params", jsontext.dumps(document["params"], sort_keys=True))
    for step in steps:
        fanned = step["name"] in foreach
        _testcase(suite, pipeline, step, output.get(step["name"], []), fanned=fanned)
    if not steps and document["state"] != "succeeded":
        _not_started(suite, pipeline, document)
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def xml_ascii(text: str) -> str:
    """An XML text in ASCII: each other character (in a text or an attribute's value) as its
    character reference (`&#233;`)."""
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")


_SKIPPED = (StepState.SKIPPED.value, StepState.NOT_RUN.value)
STALE = "stale"  # a step `--frozen` found would run, in the report of the run it refused
_FAILURES = (StepState.FAILED.value, STALE)


def _testcase(
    suite: ElementTree.Element,
    pipeline: str,
    step: Mapping[str, Any],
    lines: list[str],
    *,
    fanned: bool,
) -> None:
    case = ElementTree.SubElement(
        suite,
        "testcase",
        {"classname": pipeline, "name": step["name"], "time": _seconds(step["duration"])},
    )
    state = step["state"]
    notes: list[str] = []
    if state == StepState.FAILED.value:
        error = step["error"] or {}
        message = str(error.get("message") or step["reason"] or "failed")
        failure = ElementTree.SubElement(
            case, "failure", {"message": _clean(message), "type": _error_type(message, fanned)}
        )
        failure.text = _clean(error.get("traceback") or message)
        if step.get("ran_because"):  # how it failed is the failure; why it ran, here
            notes.append(f"ran because: {step['ran_because']}")
        if step["attempts"] > 1:
            calls = "calls over its items" if fanned else "attempts"
            notes.append(f"failed after {step['attempts']} {calls}")
    elif state == STALE:
        message = _clean(f"would run: {step['reason']}")
        ElementTree.SubElement(case, "failure", {"message": message, "type": STALE}).text = message
    elif state in _SKIPPED:
        why = f"{state}: {step['reason']}" if step["reason"] else state
        ElementTree.SubElement(case, "skipped", {"message": _clean(why)})
    elif state == StepState.CACHED.value:
        notes.append(f"cached: {step['reason']}" if step["reason"] else "cached")
    else:
        notes.append(f"{state} in {_seconds(step['duration'])} s ({step['reason']})")
    # As `pipeflow runs show` lists them: each failed attempt before the last, with its error.
    notes += [f"attempt {a['attempt']} failed: {a['error']}" for a in step["failed_attempts"]]
    notes += [f"stored: {location}" for location in step["locations"]]
    text = "\n".join([*notes, *lines])
    if text:
        ElementTree.SubElement(case, "system-out").text = _clean(text)


def _not_started(suite: ElementTree.Element, pipeline: str, document: Mapping[str, Any]) -> None:
    state = document["state"]
    case = ElementTree.SubElement(suite, "testcase", {"classname": pipeline, "name": state})
    message = document.get("message") or f"the run did not start ({state})"
    problems = [Problem(**p).format() for p in document.get("problems") or []]
    failure = ElementTree.SubElement(
        case, "failure", {"message": _clean(message.splitlines()[0]), "type": state}
    )
    failure.text = _clean("\n".join(problems) if problems else message)


def _property(properties: ElementTree.Element, name: str, value: str) -> None:
    ElementTree.SubElement(properties, "property", {"name": name, "value": _clean(value)})


def _seconds(duration: float) -> str:
    return f"{max(duration, 0.0):.3f}"


_ITEM = re.compile(r"item \d+ of \d+ \(")  # how a `foreach` step's error names its item


def _error_type(message: str, fanned: bool = False) -> str:
    """`ValueError` from `ValueError: bad values`, or from a `foreach` step's `item 2 of 3
    ('a'): ValueError: bad values`; `StepFailed` when the message has no type."""
    heads = [message]
    if fanned and _ITEM.match(message):
        # After the item's repr (which may hold `: ` itself), the first `Type: ...`.
        parts = message.split(": ")
        heads = [": ".join(parts[i:]) for i in range(1, len(parts))]
    for head in heads:
        kind = head.split(":", 1)[0]
        if kind.isidentifier():
            return kind
    return "StepFailed"


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", printable(text))
