"""What pipeflow finds wrong with a step's files is its message once, without pipeflow's frames.

A declared write the step did not write, a write of the wrong kind (a file where `writes:`
says a folder), an input file changed while the step ran: pipeflow's own words say what and
where. No frame of pipeflow's code follows them (`storage/blobs.py`, `execute/task.py`), nor a
second copy of the message, on every executor, in the console, the history and the JUnit
report alike.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.system import pipeflow_in

STEPS = """
import threading
from pathlib import Path


def nothing(out):
    return 1


def file_at(out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("x")


def changes_its_input(src):
    # Another thread writes the input meanwhile, as another program would.
    writer = threading.Thread(target=Path(src).write_text, args=("changed",))
    writer.start()
    writer.join()
    return 1
"""

CONFIG = """
name: words
results: {root: out}
executor: {type: EXECUTOR}
steps:
  missing: {run: wordsteps.nothing, inputs: {out: data/m.txt}, writes: [data/m.txt]}
  kind: {run: wordsteps.file_at, inputs: {out: data/k}, writes: [data/k/]}
  changed: {run: wordsteps.changes_its_input, inputs: {src: data/input.txt}}
"""

WORDS = {
    "missing": "declared write data/m.txt was not written",
    "kind": "declared write data/k/ is a file, not a folder",
    "changed": "data/input.txt changed while the step ran",
}


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_files_failure_is_pipeflows_words_alone(tmp_path: Path, executor: str) -> None:
    (tmp_path / "wordsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "input.txt").write_text("first")
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG.replace("EXECUTOR", executor)))

    run = pipeflow_in(tmp_path, "run", "pipeline.yaml", "--keep-going", "--junit", "r.xml")
    assert run.returncode == 1, run.stdout + run.stderr
    run_id = run.stdout.split()[1]  # "run ID of pipeline ..."
    shown = pipeflow_in(tmp_path, "runs", "show", run_id)
    logs = pipeflow_in(tmp_path, "logs", run_id)
    junit = (tmp_path / "r.xml").read_text()
    for channel, text in [
        ("console", run.stdout),
        ("runs show", shown.stdout),
        ("logs", logs.stdout),
        ("junit", junit),
    ]:
        assert "pipeflow/storage/" not in text, (channel, text)
        assert "pipeflow/execute/" not in text, (channel, text)
        assert "pipeflow.cache.unchanged." not in text, (channel, text)
        assert "pipeflow.storage.blobs." not in text, (channel, text)
    for words in WORDS.values():
        assert run.stdout.count(words) == 1, (words, run.stdout)
        assert words in shown.stdout + logs.stdout, words
