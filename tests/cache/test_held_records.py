"""Held journal records (storage/journal.py): a run on the sequential or threads executor writes
its small results in batches, yet a step anyone was told finished has its result on disk, a
record nobody was told of waits at most HOLD_FOR seconds, and a batch that cannot be written
fails the steps it carried.

Each run is a real process killed with SIGKILL (or limited by RLIMIT_FSIZE); the driver scripts
set `journal.HOLD_FOR` to ten minutes where the test is about a channel, so that only the
channel's own `settle` can have written what the test then finds stored.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action

STEPS = """
import pathlib, time


def inc(x):
    return x + 1


def big(x):
    return str(x) * 10_000  # a 10 kB string: a small result, journaled


def block(x):
    pathlib.Path("blocking").write_text("")
    time.sleep(300)
    return x
"""

CHAIN = [f"s{i}" for i in range(6)]

HOLD_LONG = "from pipeflow.storage import journal\njournal.HOLD_FOR = 600\n"

DRIVERS = {
    "json": HOLD_LONG
    + "from pipeflow.cli.main import cli\n"
    + "cli(['run', 'pipeline.yaml', '--log-format', 'json'], prog_name='pipeflow')\n",
    "plain": HOLD_LONG
    + "from pipeflow.cli.main import cli\n"
    + "cli(['run', 'pipeline.yaml', '--log-format', 'plain'], prog_name='pipeflow')\n",
    "history": HOLD_LONG + "import pipeflow\npipeflow.load('pipeline.yaml').run()\n",
    "subscriber": HOLD_LONG
    + textwrap.dedent(
        """
        import pipeflow
        from pipeflow.model.events import StepFinished

        def tell(event):
            if isinstance(event, StepFinished) and event.outcome.state.value == "done":
                print("told", event.outcome.step, flush=True)

        pipeflow.load("pipeline.yaml").run(subscribers=[tell], history=False)
        """
    ),
    "live": HOLD_LONG
    + textwrap.dedent(
        """
        import sys
        import pipeflow
        from pipeflow.report.live import LiveReporter

        shown = LiveReporter(sys.stdout, force_terminal=True)
        pipeflow.load("pipeline.yaml").run(subscribers=[shown], history=False)
        """
    ),
    # Nobody is told: the flusher thread writes what waits, HOLD_FOR (0.05 s) after.
    "nobody": "import pipeflow\npipeflow.load('pipeline.yaml').run(history=False)\n",
}


def _project(tmp_path: Path, executor: str = "sequential") -> Path:
    (tmp_path / "heldsteps.py").write_text(STEPS)
    steps = ["s0: {run: heldsteps.inc, inputs: {x: 0}}"]
    steps += [
        f's{i}: {{run: heldsteps.inc, inputs: {{x: "${{steps.s{i - 1}}}"}}}}'
        for i in range(1, len(CHAIN))
    ]
    steps.append(f'last: {{run: heldsteps.block, inputs: {{x: "${{steps.{CHAIN[-1]}}}"}}}}')
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"name: held\nexecutor: {{type: {executor}}}\nresults: {{root: out}}\nsteps:\n  "
        + "\n  ".join(steps)
        + "\n"
    )
    return config


def _told_by_lines(prefix: Callable[[str], str | None]) -> Callable[[list[str], Path], set[str]]:
    def told(lines: list[str], tmp_path: Path) -> set[str]:
        del tmp_path
        return {step for step in map(prefix, lines) if step is not None}

    return told


def _json_done(line: str) -> str | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if event.get("event") == "StepFinished" and event["outcome"]["state"] == "done":
        return str(event["outcome"]["step"])
    return None


def _plain_done(line: str) -> str | None:
    step, _, rest = line.partition(": ")
    return step if rest.startswith("done in") else None


def _subscriber_done(line: str) -> str | None:
    return line.split()[1] if line.startswith("told ") else None


def _live_done(lines: list[str], tmp_path: Path) -> set[str]:
    """The steps a frame of the live table showed done."""
    del tmp_path
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", "".join(lines))
    return {step for step in CHAIN if re.search(rf"(?m)^\s*{step}\b.*✔ done", text)}


def _history_done(lines: list[str], tmp_path: Path) -> set[str]:
    del lines
    database = tmp_path / "home" / "runs.db"
    if not database.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT step FROM steps WHERE state = 'done'").fetchall()
    except sqlite3.Error:  # being created
        return set()
    return {row[0] for row in rows}


TOLD = {
    "json": _told_by_lines(_json_done),
    "plain": _told_by_lines(_plain_done),
    "subscriber": _told_by_lines(_subscriber_done),
    "history": _history_done,
    "live": _live_done,
}


def _kill_once(
    tmp_path: Path,
    driver: str,
    ready: Callable[[list[str]], bool],
    *,
    settle: float = 0.0,
    history: bool = False,
) -> list[str]:
    """Run `driver` in the project, SIGKILL it once `ready(lines printed so far)` holds and
    the blocking step has started; the lines it printed. Without `history`, the history
    cannot be written (its folder would be inside a file), so its commits write nothing held
    and only the channel under test can have."""
    (tmp_path / "not-a-folder").write_text("")
    home = tmp_path / ("home" if history else "not-a-folder/home")
    process = subprocess.Popen(
        [sys.executable, "-c", driver],
        cwd=tmp_path,
        env={**os.environ, "PIPEFLOW_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while not ((tmp_path / "blocking").exists() and ready(lines)):
            assert process.poll() is None, "".join(lines) + (process.stdout.read() or "")
            assert time.monotonic() < deadline, "".join(lines)
            lines += process.stdout.readlines()
            time.sleep(0.05)
        time.sleep(settle)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
    return lines


def _cached(config: Path) -> set[str]:
    return {d.step for d in pipeflow.load(config).status() if d.action is Action.CACHED}


@pytest.mark.parametrize("channel", sorted(TOLD))
def test_a_step_anyone_was_told_finished_has_its_result_on_disk(
    tmp_path: Path, channel: str
) -> None:
    config = _project(tmp_path)
    told = TOLD[channel]
    lines = _kill_once(
        tmp_path,
        DRIVERS[channel],
        lambda seen: told(seen, tmp_path) >= set(CHAIN),
        history=channel == "history",
    )
    assert told(lines, tmp_path) >= set(CHAIN)
    # Held for ten minutes but for the channel's settle: each step it told of is stored.
    assert _cached(config) == set(CHAIN)


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_a_held_result_is_written_within_hold_for_though_nobody_is_told(
    tmp_path: Path, executor: str
) -> None:
    config = _project(tmp_path, executor)
    _kill_once(tmp_path, DRIVERS["nobody"], lambda seen: True, settle=1.0)
    assert _cached(config) == set(CHAIN)


def test_a_run_reads_a_result_it_still_holds(tmp_path: Path) -> None:
    """`Run.output` of a step whose value was dropped reads it back while the run's journal
    is still open: what the process holds is written first."""
    (tmp_path / "readsteps.py").write_text(
        textwrap.dedent(
            """
            import pipeflow
            from pipeflow.storage import journal


            def one():
                return 1


            def reads(x, config):
                # The run is still going: `one`'s record is held, and its journal is open.
                stored = pipeflow.load(config).result("one")
                return x + stored.load()
            """
        )
    )
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: reading\nresults: {root: out}\nsteps:\n"
        "  one: {run: readsteps.one}\n"
        f'  two: {{run: readsteps.reads, inputs: {{x: "${{steps.one}}", config: "{config}"}}}}\n'
    )
    from pipeflow.storage import journal

    held_for = journal.HOLD_FOR
    journal.HOLD_FOR = 600
    try:
        run = pipeflow.load(config).run(history=False)
    finally:
        journal.HOLD_FOR = held_for
    assert run.ok, run.outcomes
    assert run.output("two") == 2


FAILING = textwrap.dedent(
    """
    import json, resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    from pipeflow.storage import journal
    journal.HOLD_FOR = 600
    import pipeflow
    pipe = pipeflow.load("pipeline.yaml")
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    run = pipe.run(history=False)
    print(json.dumps({name: [o.state.value, o.error] for name, o in run.outcomes.items()}))
    """
)


def test_a_batch_that_cannot_be_written_fails_the_steps_whose_records_did_not_land(
    tmp_path: Path,
) -> None:
    (tmp_path / "heldsteps.py").write_text(STEPS)
    steps = [f"b{i}: {{run: heldsteps.big, inputs: {{x: {i}}}}}" for i in range(8)]
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: full\nresults: {root: out}\nsteps:\n  " + "\n  ".join(steps) + "\n")
    # Each record is a bit over 10 kB: five land whole under a 55 kB file, the rest do not.
    process = subprocess.run(
        [sys.executable, "-c", FAILING, str(55_000)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    outcomes = json.loads(process.stdout.splitlines()[-1])
    done = {name for name, (state, _) in outcomes.items() if state == "done"}
    failed = {name: error for name, (state, error) in outcomes.items() if state == "failed"}
    assert done == {"b0", "b1", "b2", "b3", "b4"}, outcomes
    assert set(failed) == {"b5", "b6", "b7"}, outcomes
    for error in failed.values():
        assert error.startswith("cannot write "), error
        assert ".pipeflow/journal/full/" in error, error
    # Nothing half-written is taken for a result: the steps that failed run again, alone.
    assert _cached(config) == done
    run = pipeflow.load(config).run(history=False)
    assert {name for name, o in run.outcomes.items() if o.state.value == "done"} == set(failed)
    assert _cached(config) == done | set(failed)


def test_the_cli_says_which_steps_lost_their_results_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "heldsteps.py").write_text(STEPS)
    steps = [f"b{i}: {{run: heldsteps.big, inputs: {{x: {i}}}}}" for i in range(8)]
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: full\nresults: {root: out}\nsteps:\n  " + "\n  ".join(steps) + "\n")
    driver = FAILING.replace(
        "run = pipe.run(history=False)\n", "from pipeflow.cli.main import cli\n"
    ).replace(
        "print(json.dumps(",
        "cli(['run', 'pipeline.yaml', '--log-format', 'plain'], prog_name='pipeflow')\n#",
    )
    process = subprocess.run(
        [sys.executable, "-c", driver, str(55_000)],
        cwd=tmp_path,
        env={**os.environ, "PIPEFLOW_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1, process.stdout + process.stderr
    # The plain reporter writes each record before its line: the record that crosses the
    # limit is lost (its journal given up), the next ones go to a new journal.
    lost = [line for line in process.stdout.splitlines() if ": FAILED: cannot write " in line]
    assert lost, process.stdout
    for line in lost:
        assert ".pipeflow/journal/full/" in line, line
    assert "failed" in process.stdout.splitlines()[-1]
