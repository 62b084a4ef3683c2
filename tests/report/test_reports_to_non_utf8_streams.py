"""The CI reports written to a stream that is not UTF-8: `run --json -` and `--junit -` on a
terminal or pipe whose encoding is ASCII or Latin-1 (`PYTHONIOENCODING`, an old locale), and
`Pipeline.run(json=stream)` with such a stream.

A report is read by programs, which read JSON and this XML (it says `encoding="UTF-8"`) as
UTF-8. So where the stream is not UTF-8, a report is written in ASCII, which every such
stream takes and which is UTF-8 too: JSON's `\\u00e9` escapes, XML's `&#233;` references.
Before, an ASCII stdout ended the command in a traceback (exit 1, even for params refused
with exit 2), and a Latin-1 one gave a report whose bytes are not UTF-8.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.conftest import ProjectFactory

CONFIG = """
name: accents
params: {label: plain}
results: {root: out}
steps:
  greet: {run: words.greet, inputs: {label: "${params.label}"}}
  broken: {run: words.broken}
"""

WORDS = """
def greet(label: str) -> str:
    print("bonjour", label)
    return label

def broken() -> None:
    raise ValueError("échec \N{GRINNING FACE}")
"""

LABEL = "café \N{GRINNING FACE}"
ENCODINGS = ("ascii", "latin-1", "cp1252", "utf-8")


def pipeflow_encoded(
    folder: Path, encoding: str, *arguments: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=folder,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": encoding},
    )


def check_json(data: bytes, *, state: str) -> None:
    document = json.loads(data.decode("utf-8"))  # strict: a program reads it as UTF-8
    assert document["state"] == state
    assert document["params"]["label"] == LABEL


def check_junit(data: bytes) -> None:
    root = ElementTree.fromstring(data)  # the declaration says UTF-8
    text = ElementTree.tostring(root, encoding="unicode")
    assert "échec \N{GRINNING FACE}" in text


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_json_report_on_stdout(make_project: ProjectFactory, encoding: str) -> None:
    config = make_project(CONFIG, words=WORDS)
    arguments = ["run", "pipeline.yaml", "-q", "--keep-going", "--param", f"label={LABEL}"]
    result = pipeflow_encoded(config.parent, encoding, *arguments, "--json", "-")
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr.decode("utf-8", "replace")
    check_json(result.stdout, state="failed")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_junit_report_on_stdout(make_project: ProjectFactory, encoding: str) -> None:
    config = make_project(CONFIG, words=WORDS)
    arguments = ["run", "pipeline.yaml", "-q", "--keep-going", "--param", f"label={LABEL}"]
    result = pipeflow_encoded(config.parent, encoding, *arguments, "--junit", "-")
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr.decode("utf-8", "replace")
    check_junit(result.stdout)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_report_of_a_refused_run_on_stdout(make_project: ProjectFactory, encoding: str) -> None:
    config = make_project(CONFIG, words=WORDS)
    arguments = ["run", "pipeline.yaml", "--param", f"lable={LABEL}", "--json", "-"]
    result = pipeflow_encoded(config.parent, encoding, *arguments)
    assert b"Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr.decode("utf-8", "replace")
    document = json.loads(result.stdout.decode("utf-8"))
    assert document["state"] == "invalid"
    assert f"lable={LABEL}" in document["message"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_api_reports_to_a_stream_of_any_encoding(
    make_project: ProjectFactory, encoding: str
) -> None:
    config = make_project(CONFIG, words=WORDS)
    pipeline = pipeflow.load(config)
    json_bytes, junit_bytes, refused_bytes = io.BytesIO(), io.BytesIO(), io.BytesIO()
    json_stream = io.TextIOWrapper(json_bytes, encoding=encoding)
    junit_stream = io.TextIOWrapper(junit_bytes, encoding=encoding)
    run = pipeline.run({"label": LABEL}, keep_going=True, json=json_stream, junit=junit_stream)
    assert not run.ok
    json_stream.flush()
    junit_stream.flush()
    check_json(json_bytes.getvalue(), state="failed")
    check_junit(junit_bytes.getvalue())

    refused = io.TextIOWrapper(refused_bytes, encoding=encoding)
    with pytest.raises(ConfigError):
        pipeline.run({"lable": LABEL}, json=refused)
    refused.flush()
    document = json.loads(refused_bytes.getvalue().decode("utf-8"))
    assert document["state"] == "invalid"
