"""Files in a sub-pipeline kept in a folder of its own: what its steps write and read.

A child config in `sub/` whose steps exchange a file (one writes `data/mid.txt`, the next
reads it), or read a file a parent step writes (`../data/x.txt`), runs from a fresh
workspace, whatever folder `pipeflow` runs from, and an unchanged re-run runs nothing: the
child's relative paths name its own folder's files whether they exist when the config is
loaded or are written during the run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def prep(src, out):
    note("prep")
    Path(out).write_text(Path(src).read_text().upper())


def folder(src, out):
    note("folder")
    Path(out).mkdir(parents=True, exist_ok=True)
    Path(out, "part.txt").write_text(Path(src).read_text() + "!")


def use(p):
    note("use")
    return Path(p).read_text()
"""

CHILD = """
name: child
steps:
  prep:
    run: cs.prep
    inputs: {src: data/in.txt, out: data/mid.txt}
    writes: [data/mid.txt]
  use:
    run: cs.use
    inputs: {p: data/mid.txt}
  folder:
    run: cs.folder
    inputs: {src: data/in.txt, out: data/parts}
    writes: [data/parts/]
  part:
    run: cs.use
    inputs: {p: data/parts/part.txt}
  shared:
    run: cs.use
    inputs: {p: ../data/x.txt}
outputs: {text: "${steps.use}", part: "${steps.part}", shared: "${steps.shared}"}
"""

PARENT = """
name: parent
steps:
  top:
    run: ps.write
    inputs: {out: data/x.txt}
    writes: [data/x.txt]
  child:
    pipeline: sub/pipeline.yaml
"""

PARENT_STEPS = """
from pathlib import Path


def write(out):
    Path(out).write_text("from the parent")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sub = tmp_path / "sub"
    (sub / "data").mkdir(parents=True)
    (sub / "data" / "in.txt").write_text("hi")
    (sub / "cs.py").write_text(textwrap.dedent(STEPS))
    (sub / "pipeline.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "data").mkdir()
    (tmp_path / "ps.py").write_text(textwrap.dedent(PARENT_STEPS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(PARENT))
    elsewhere = tmp_path.parent / f"{tmp_path.name}-cwd"  # as from CI: another folder
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return tmp_path


def calls(project: Path) -> list[str]:
    log = project / "sub" / "calls.log"
    found = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return sorted(found)


def run(project: Path, executor: str = "sequential") -> pipeflow.api.Run:
    result = pipeflow.load(project / "pipeline.yaml").run(executor=executor)
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_fresh_workspace_runs_and_an_unchanged_re_run_runs_nothing(
    project: Path, executor: str
) -> None:
    first = run(project, executor)
    assert first.output("child/use") == "HI"
    assert first.output("child/part") == "hi!"
    assert first.output("child/shared") == "from the parent"
    assert (project / "sub" / "data" / "mid.txt").read_text() == "HI"
    calls(project)
    second = run(project, executor)
    assert calls(project) == []
    assert {outcome.state.value for outcome in second.outcomes.values()} == {"cached"}


def test_a_change_upstream_reaches_the_readers(project: Path) -> None:
    run(project)
    calls(project)
    (project / "sub" / "data" / "in.txt").write_text("bye")
    again = run(project)
    assert again.output("child/use") == "BYE"
    assert again.output("child/part") == "bye!"
    assert calls(project) == ["folder", "prep", "use", "use"]  # `part` calls `use`


def test_a_deleted_written_file_is_restored_and_its_reader_stays_cached(project: Path) -> None:
    run(project)
    calls(project)
    (project / "sub" / "data" / "mid.txt").unlink()
    again = run(project)
    assert calls(project) == []
    assert (project / "sub" / "data" / "mid.txt").read_text() == "HI"
    assert again.output("child/use") == "HI"
