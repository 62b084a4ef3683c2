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


# Inputs that can never work, each caught by `validate` at its place (SPEC 3): before, each
# passed and its step failed at run time.
WRONG_READS = {
    "no such config": (
        "{config: ../producer/nope.yaml, step: table}",
        "steps.rows.inputs.config",
        "no config file",
    ),
    "no such step": (
        "{config: ../producer/pipeline.yaml, step: tabel}",
        "steps.rows.inputs.step",
        "pipeline `producer` (../producer/pipeline.yaml) has no step `tabel`",
    ),
    "no such declared part": (
        "{config: ../producer/pipeline.yaml, step: table, part: colums}",
        "steps.rows.inputs.part",
        "step `table` of `producer` has no output `colums`",
    ),
    "nothing to read": ("{}", "steps.rows.inputs", "neither `path` nor `config`"),
    "both": (
        "{path: data/x.json, config: ../producer/pipeline.yaml, step: table}",
        "steps.rows.inputs",
        "both `path` and `config`",
    ),
    "config without step": (
        "{config: ../producer/pipeline.yaml}",
        "steps.rows.inputs",
        "has `config` but no `step`",
    ),
    "a config that does not load": (
        "{config: broken.yaml, step: table}",
        "steps.rows.inputs.config",
        "the config it reads does not load",
    ),
}


@pytest.mark.parametrize("wrong", WRONG_READS)
def test_read_inputs_that_cannot_work_are_refused_before_any_step_runs(
    producer: Path, consumer: Path, wrong: str
) -> None:
    inputs, where, words = WRONG_READS[wrong]
    write(consumer.parent / "broken.yaml", "name: broken\nsteps: [\n")
    text = consumer.read_text()
    consumer.write_text(
        text.replace("{config: ../producer/pipeline.yaml, step: table, part: rows}", inputs)
    )

    with pytest.raises(pipeflow.ConfigError) as error:
        pipeflow.load(consumer)

    found = [p for p in error.value.problems if p.path == where]
    assert len(found) == 1, error.value.problems
    assert words in found[0].message
    assert found[0].hint


def test_configs_that_read_each_other_are_checked_once(tmp_path: Path) -> None:
    write(tmp_path / "steps.py", "def one():\n    return 1\n")
    for this, other in (("a", "b"), ("b", "a")):
        write(
            tmp_path / f"{this}.yaml",
            f"""
            name: {this}
            steps:
              own: {{run: steps.one}}
              theirs: {{run: pipeflow.read, inputs: {{config: {other}.yaml, step: own}}}}
            """,
        )

    assert pipeflow.load(tmp_path / "a.yaml").definition.steps["theirs"].run == "pipeflow.read"


def test_a_part_the_result_does_not_have_is_named_at_run_time(tmp_path: Path) -> None:
    """A step without declared outputs may return any mapping: its keys are only known once
    it ran. The run then says which part is missing and what keys there are."""
    write(tmp_path / "steps.py", "def one():\n    return {'a': 1}\n")
    write(tmp_path / "other.yaml", "name: other\nsteps:\n  own: {run: steps.one}\n")
    config = write(
        tmp_path / "pipeline.yaml",
        """
        name: reader
        steps:
          r: {run: pipeflow.read, inputs: {config: other.yaml, step: own, part: nopart}}
        """,
    )
    assert pipeflow.load(tmp_path / "other.yaml").run().ok

    run = pipeflow.load(config).run()

    error = run.outcomes["r"].error or ""
    assert "the result of step `own` of `other` has no part `nopart` (its keys: `a`)" in error
