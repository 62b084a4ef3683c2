"""`pipeflow.read`: one pipeline reading another's stored result, or a file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def producer(tmp_path: Path) -> Path:
    """A pipeline in its own folder, with a `steps` package of its own."""
    folder = tmp_path / "producer"
    write(folder / "steps" / "__init__.py", "")
    write(
        folder / "steps" / "make.py",
        """
        def table(size: int) -> dict:
            return {"rows": list(range(size)), "name": "made"}
        """,
    )
    return write(
        folder / "pipeline.yaml",
        """
        name: producer
        params: {size: 3}
        steps:
          table: {run: steps.make.table, inputs: {size: "${params.size}"}, outputs: [rows, name]}
        """,
    )


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    folder = tmp_path / "consumer"
    write(folder / "steps" / "__init__.py", "")
    write(
        folder / "steps" / "use.py",
        """
        def count(rows: list) -> int:
            return len(rows)
        """,
    )
    return write(
        folder / "pipeline.yaml",
        """
        name: consumer
        steps:
          rows:
            run: pipeflow.read
            inputs: {config: ../producer/pipeline.yaml, step: table, part: rows}
          count: {run: steps.use.count, inputs: {rows: "${steps.rows}"}}
        """,
    )


def test_reads_another_pipelines_result(producer: Path, consumer: Path) -> None:
    assert pipeflow.load(producer).run().ok
    run = pipeflow.load(consumer).run()
    assert run.ok, run.outcomes
    assert run.output("count") == 3
    # The producer's own `steps` package did not replace the consumer's.
    assert run.state("count") is StepState.DONE
    # A new result upstream is read again, never taken from the consumer's cache.
    producer.write_text(producer.read_text().replace("size: 3", "size: 5"))
    assert pipeflow.load(producer).run().ok
    assert pipeflow.load(consumer).run().output("count") == 5


def test_read_fails_clearly_when_the_other_pipeline_has_not_run(
    producer: Path, consumer: Path
) -> None:
    run = pipeflow.load(consumer).run()
    assert not run.ok
    error = run.outcomes["rows"].error or ""
    assert "has no up-to-date stored result" in error
    assert "run the pipeline first" in error


def test_read_a_file_by_path(tmp_path: Path) -> None:
    write(tmp_path / "data" / "numbers.json", json.dumps([1, 2, 3]))
    config = write(
        tmp_path / "pipeline.yaml",
        """
        name: files
        results: {persist: false}
        steps:
          numbers: {run: pipeflow.read, inputs: {path: data/numbers.json}}
        """,
    )
    assert pipeflow.load(config).run().output("numbers") == [1, 2, 3]


def test_read_refuses_a_bare_pickle(tmp_path: Path) -> None:
    import pickle

    (tmp_path / "data.pkl").write_bytes(pickle.dumps([1]))
    config = write(
        tmp_path / "pipeline.yaml",
        """
        name: files
        results: {persist: false}
        steps:
          numbers: {run: pipeflow.read, inputs: {path: data.pkl}}
        """,
    )
    run = pipeflow.load(config).run()
    assert run.state("numbers") is StepState.FAILED
    assert "could run code" in (run.outcomes["numbers"].error or "")
