"""`pipeflow gc` on the command line: its report (text, dry run, verbose, JSON), bad usage
(exit 2), secrets masked, completion, and a run in progress that gc leaves whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.history import open_history
from tests.conftest import REPO

STEPS = """
import os
import time
from pathlib import Path


def number(n, item):
    return list(range(n + item))


def slow(values):
    # Waits for the test to say go: a step still running while gc looks at the store.
    Path(os.environ["GC_STARTED"]).write_text("started")
    go = Path(os.environ["GC_GO"])
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return sum(len(value) for value in values)
"""

CONFIG = """
name: gccli
params: {n: 1}
results: {root: "out${env.GC_SUFFIX:-}"}
steps:
  number:
    run: gcsteps.number
    foreach: [1, 2, 3]
    inputs: {n: "${params.n}"}
  total:
    run: gcsteps.slow
    inputs: {values: "${steps.number}"}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "gcsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    go = tmp_path / "go"
    go.write_text("")
    monkeypatch.setenv("GC_STARTED", str(tmp_path / "started"))
    monkeypatch.setenv("GC_GO", str(go))
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)
    return config


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def run(config: Path, n: int) -> None:
    code, output = invoke("run", str(config), "--param", f"n={n}")
    assert code == 0, output


def stored(config: Path) -> set[str]:
    root = config.parent / "out" / ".pipeflow"
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def manifests(config: Path) -> set[str]:
    """The manifests, and the run journals that hold the small results with theirs."""
    return {path for path in stored(config) if path.startswith(("manifests/", "journal/"))}


def test_dry_run_lists_and_deletes_nothing_then_gc_deletes_it(project: Path) -> None:
    for n in (2, 3, 1):
        run(project, n)
    before = stored(project)
    code, output = invoke("gc", str(project), "--keep-last", "0", "--grace", "0s", "--dry-run")
    assert code == 0, output
    assert stored(project) == before
    lines = output.splitlines()
    # The small results of n=2 and n=3 (3 items and `total` each) are their runs' journals.
    assert lines[-1].startswith(
        "gc (dry run): would delete 2 objects "
        "(0 manifests, 0 payloads, 0 blobs, 2 journals, 0 records)"
    )
    assert "would free" in lines[-1]
    assert "bytes)" in lines[-1]
    listed = [line for line in lines if line.startswith(("manifest", "payload", "blob", "journal"))]
    assert len(listed) == 2
    assert all(str(project.parent / "out" / ".pipeflow" / "journal") in line for line in listed)

    code, output = invoke("gc", str(project), "--keep-last", "0", "--grace", "0s")
    assert code == 0, output
    assert output.startswith(
        "gc: deleted 2 objects (0 manifests, 0 payloads, 0 blobs, 2 journals, 0 records), freed "
    )
    assert len(output.splitlines()) == 1  # the list only with -v or --dry-run
    assert len(before) - len(stored(project)) == 2
    code, output = invoke("gc", str(project), "--keep-last", "0", "--grace", "0s", "-v")
    assert code == 0, output
    assert output.startswith(
        "gc: deleted 0 objects (0 manifests, 0 payloads, 0 blobs, 0 journals, 0 records), freed 0 B"
    )


def test_json_report(project: Path) -> None:
    for n in (2, 1):
        run(project, n)
    code, output = invoke("gc", str(project), "--keep-last", "0", "--grace", "0s", "--json")
    assert code == 0, output
    document = json.loads(output)
    assert document["pipeline"] == "gccli"
    assert document["dry_run"] is False
    assert document["deleted"] == {
        "manifests": 0,
        "payloads": 0,
        "blobs": 0,
        "journals": 1,
        "records": 0,
        "temporaries": 0,
    }
    objects = document["stores"][0]["objects"]
    assert document["bytes"] == sum(item["size"] for item in objects) > 0
    assert {item["kind"] for item in objects} == {"journal"}  # n=2's run: its 4 small results
    assert document["kept_manifests"] == {"current": 4}  # n=1's records (no latest.json)


def test_keep_last_and_param_keep_another_param_set(project: Path) -> None:
    for n in (2, 3, 1):
        run(project, n)
        # No pause: runs within one second are told apart (`created` to the microsecond).
    code, output = invoke("gc", str(project), "--keep-last", "1", "--grace", "0s", "--param", "n=2")
    assert code == 0, output
    # n=2 (--param) is current, n=1 the last run: n=3 goes, its 3 items and `total` (its run's
    # journal).
    assert output.startswith(
        "gc: deleted 1 object (0 manifests, 0 payloads, 0 blobs, 1 journal, 0 records)"
    )
    code, output = invoke("status", str(project), "--param", "n=3")
    assert code == 0, output
    assert output.count(" run ") == 2  # n=3 went: neither current, nor n=2, nor the last run
    for n in (1, 2):
        code, output = invoke("run", str(project), "--param", f"n={n}", "--frozen")
        assert code == 0, output


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--keep-last", "-1"),
        ("--keep-last", "many"),
        ("--older-than", "soon"),
        ("--older-than", "7 days"),
        ("--grace", "-5m"),
    ],
)
def test_bad_options_exit_2(project: Path, option: str, value: str) -> None:
    code, output = invoke("gc", str(project), option, value)
    assert code == 2, output
    assert option in output


def test_a_missing_config_exits_2(tmp_path: Path) -> None:
    code, _ = invoke("gc", str(tmp_path / "nothing.yaml"))
    assert code == 2


def test_secrets_are_masked_in_every_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GC_SUFFIX", "-hunter2-secret-suffix")
    for n in (2, 1):
        run(project, n)
    for extra in (["--dry-run"], ["--json", "--dry-run"], ["-v"]):
        code, output = invoke("gc", str(project), "--keep-last", "0", "--grace", "0s", *extra)
        assert code == 0, output
        assert "hunter2" not in output
        assert "out***" in output  # each object's location names the store


def test_gc_is_a_command_of_the_completion() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow"],
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "_PIPEFLOW_COMPLETE": "bash_complete",
            "COMP_WORDS": "pipeflow g",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "plain,gc" in done.stdout.splitlines()


def _start_run(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--param", "n=7"],
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the run's slow step never started"
        time.sleep(0.05)


def _wait_until_recorded(config: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while True:
        with open_history(config.parent) as history:
            if history.runs(state="running"):
                return
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the run was never recorded as running"
        time.sleep(0.05)


@pytest.mark.parametrize("history", ["visible", "elsewhere"])
def test_a_run_in_progress_keeps_its_results(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, history: str
) -> None:
    """gc refuses while this project's history shows a run going on; a run it cannot see (on
    another machine: here, another history) keeps what it wrote through the grace period.
    Either way the run finishes whole and its results are cached afterwards."""
    for n in (2, 3):
        run(project, n)
    go = tmp_path / "go"
    go.unlink()
    env = dict(os.environ)
    if history == "elsewhere":
        env["PIPEFLOW_HOME"] = str(tmp_path / "other-machine")
    process = _start_run(project, env)
    try:
        _wait_for(tmp_path / "started", process)  # `number` is stored, `total` is running
        if history == "visible":  # the recorder writes in the background: wait to see it
            _wait_until_recorded(project, process)
        written = manifests(project)
        code, output = invoke("gc", str(project), "--keep-last", "0")
        if history == "visible":
            assert code == 1, output
            assert "in progress" in output
            assert "gccli" in output
            assert written <= manifests(project)  # deleted none (the run may add its journal)
        else:
            assert code == 0, output
            # The run's items of `number` are neither current (n=1) nor the latest: only
            # their age keeps them.
            assert written <= manifests(project)
        go.write_text("go")
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0, out
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    code, output = invoke("run", str(project), "--param", "n=7", "--frozen")
    assert code == 0, output  # every step of the run gc met midway is cached


def test_results_option_collects_that_store(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    for n in (2, 3, 1):
        code, output = invoke("run", str(project), "--param", f"n={n}", "--results", str(other))
        assert code == 0, output
    assert not (project.parent / "out").exists()
    code, output = invoke(
        "gc", str(project), "--keep-last", "0", "--grace", "0s", "--results", str(other)
    )
    assert code == 0, output
    assert output.startswith(
        "gc: deleted 2 objects (0 manifests, 0 payloads, 0 blobs, 2 journals, 0 records)"
    )
    code, output = invoke("run", str(project), "--results", str(other), "--frozen")
    assert code == 0, output


def test_the_records_a_journal_is_rewritten_without_are_one_line(tmp_path: Path) -> None:
    """A pack of 10,000 small results (or a local run's journal) is rewritten without the
    records gc deletes: one line for the journal, with how many, not a line per record."""
    (tmp_path / "recsteps.py").write_text(
        "def same():\n    return 1\n\n\ndef add(p):\n    return p + 1\n"
    )
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            """
            name: recs
            params: {p: 1}
            results: {root: out}
            steps:
              a: {run: recsteps.same}
              b: {run: recsteps.add, inputs: {p: "${params.p}"}}
              c: {run: recsteps.add, inputs: {p: "${params.p}"}}
            """
        )
    )
    for p in (1, 2):  # p=1's journal holds a, b and c; p=2's b and c
        code, output = invoke("run", str(config), "--param", f"p={p}")
        assert code == 0, output
    code, output = invoke(
        "gc", str(config), "--param", "p=2", "--keep-last", "0", "--grace", "0s", "--dry-run"
    )
    assert code == 0, output
    lines = output.splitlines()
    (record,) = [line for line in lines if line.startswith("record")]
    assert "/.pipeflow/journal/recs/" in record
    assert record.endswith(".log (2 records)")
    assert lines[-1].startswith("gc (dry run): would delete 2 objects ")
    assert "0 journals, 2 records" in lines[-1]
