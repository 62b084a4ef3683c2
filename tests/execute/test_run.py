"""Running pipelines through the Python API: values, parts, when, failures, persistence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.model.events import Event, StepOutput
from pipeflow.model.run import StepState
from pipeflow.storage import Manifest, PartRecord, ResultStore
from pipeflow.storage.journal import records
from tests import journals
from tests.conftest import ProjectFactory

STEPS = """
import logging

def numbers(count: int) -> list:
    return list(range(count))

def total(values: list, offset: int = 0) -> int:
    return sum(values) + offset

def halves(values: list) -> dict:
    middle = len(values) // 2
    return {"low": values[:middle], "high": values[middle:]}

def pair(values: list):
    return values[0], values[-1]

def shout(text: str) -> str:
    print("saying", text)
    logging.getLogger("shout").info("logged %s", text)
    return text.upper()

def boom(values: list) -> int:
    raise RuntimeError("no luck")
"""


def test_values_pass_in_memory_and_parts_split(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        params: {count: 6, offset: 1}
        results: {persist: false}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: "${params.count}"}}
          halves:
            run: mysteps.halves
            inputs: {values: "${steps.numbers}"}
            outputs: [low, high]
          pair:
            run: mysteps.pair
            inputs: {values: "${steps.numbers}"}
            outputs: [first, last]
          total:
            run: mysteps.total
            inputs: {values: "${steps.halves.high}", offset: "${params.offset}"}
        """,
        mysteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert run.ok
    assert run.output("numbers") == [0, 1, 2, 3, 4, 5]
    assert run.output("halves", "low") == [0, 1, 2]
    assert run.output("pair", "last") == 5
    assert run.output("total") == 3 + 4 + 5 + 1
    assert run.state("total") is StepState.DONE


def test_params_override_at_run(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        params: {count: 3}
        results: {persist: false}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: "${params.count}"}}
        """,
        mysteps=STEPS,
    )
    pipe = pipeflow.load(config)
    assert pipe.run(params={"count": 5}).output("numbers") == [0, 1, 2, 3, 4]
    assert pipe.run().output("numbers") == [0, 1, 2]
    with pytest.raises(pipeflow.ConfigError, match="unknown param `cont`"):
        pipe.run(params={"cont": 5})


def test_when_false_skips_the_step_and_what_needs_it(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        params: {enabled: false}
        results: {persist: false}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: 3}, when: "${params.enabled}"}
          total: {run: mysteps.total, inputs: {values: "${steps.numbers}"}}
          other: {run: mysteps.numbers, inputs: {count: 1}, after: [numbers]}
        """,
        mysteps=STEPS,
    )
    pipe = pipeflow.load(config)
    run = pipe.run()
    assert run.ok
    assert run.state("numbers") is StepState.SKIPPED
    assert run.state("total") is StepState.SKIPPED
    assert run.state("other") is StepState.DONE  # `after` only orders; it needs no value
    assert pipe.run(params={"enabled": True}).state("total") is StepState.DONE


def test_when_on_a_step_value(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: 0}}
          total:
            run: mysteps.total
            inputs: {values: "${steps.numbers}"}
            when: "${steps.numbers}"
        """,
        mysteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert run.state("total") is StepState.SKIPPED
    assert run.outcomes["total"].reason == "`when` is false"


def test_failure_stops_the_run_and_names_the_step(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: 3}}
          boom: {run: mysteps.boom, inputs: {values: "${steps.numbers}"}}
          total: {run: mysteps.total, inputs: {values: "${steps.numbers}"}}
          later: {run: mysteps.total, inputs: {values: "${steps.boom}"}}
        """,
        mysteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert not run.ok
    outcome = run.outcomes["boom"]
    assert outcome.state is StepState.FAILED
    assert outcome.error == "RuntimeError: no luck"
    assert outcome.traceback is not None
    assert "mysteps.py" in outcome.traceback
    assert "pipeflow/execute" not in outcome.traceback
    assert run.state("later") is StepState.NOT_RUN
    assert run.state("total") is StepState.NOT_RUN  # nothing new starts after a failure


def test_keep_going_runs_what_does_not_need_the_failure(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: 3}}
          boom: {run: mysteps.boom, inputs: {values: "${steps.numbers}"}}
          total: {run: mysteps.total, inputs: {values: "${steps.numbers}"}}
          later: {run: mysteps.total, inputs: {values: "${steps.boom}"}}
        """,
        mysteps=STEPS,
    )
    run = pipeflow.load(config).run(keep_going=True)
    assert run.state("total") is StepState.DONE
    assert run.state("later") is StepState.NOT_RUN


def test_retries_then_success(make_project: ProjectFactory, tmp_path: Path) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          flaky: {run: flaky.flaky, inputs: {marker: MARKER}, retries: 2, retry_delay: 0s}
        """.replace("MARKER", str(tmp_path / "count")),
        flaky="""
        from pathlib import Path

        def flaky(marker: str) -> int:
            path = Path(marker)
            count = int(path.read_text()) if path.exists() else 0
            path.write_text(str(count + 1))
            if count < 2:
                raise ValueError(f"attempt {count + 1} fails")
            return count
        """,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.ok
    assert run.outcomes["flaky"].attempts == 3
    assert sum(type(e).__name__ == "StepRetrying" for e in events) == 2


def test_timeout_fails_the_step_promptly(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          slow: {run: slow.slow, timeout: 200ms}
        """,
        slow="""
        import time

        def slow() -> None:
            time.sleep(3)
        """,
    )
    run = pipeflow.load(config).run()
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.FAILED
    assert "timeout" in (outcome.error or "")
    assert outcome.duration < 2.5


def test_step_output_and_logs_are_captured(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          shout: {run: mysteps.shout, inputs: {text: hi}}
        """,
        mysteps=STEPS,
    )
    events: list[Event] = []
    pipeflow.load(config).run(subscribers=[events.append])
    lines = [(e.step, e.stream, e.text) for e in events if isinstance(e, StepOutput)]
    assert ("shout", "stdout", "saying hi") in lines
    assert any(stream == "log" and "logged hi" in text for _, stream, text in lines)


def test_results_are_persisted_with_a_manifest(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(
        """
        name: demo
        results: {root: out}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: 4}}
          halves:
            run: mysteps.halves
            inputs: {values: "${steps.numbers}"}
            outputs: [low, high]
            result: {target: "{step}/{output}.json"}
          total: {run: mysteps.total, inputs: {values: "${steps.numbers}"}, result: false}
        """,
        mysteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert run.ok
    out = tmp_path / "out"
    assert json.loads((out / "halves" / "low.json").read_text()) == [0, 1]
    assert json.loads((out / "halves" / "high.json").read_text()) == [2, 3]
    manifests = sorted((out / ".pipeflow" / "manifests" / "demo").rglob("*.json"))
    keyed = [m for m in manifests if m.name != "latest.json"]
    assert [m.parent.name for m in keyed] == ["halves"]  # a target: beside a manifest file
    # A small value without a target: one record of the run's journal, with its manifest.
    _, _, numbers = journals.found(out, "demo", "numbers")
    assert numbers.run_id == run.id
    assert numbers.parts["value"].offset is not None
    recorded = [
        Manifest.from_json(record.manifest).step
        for path in journals.journals(out, "demo")
        for record in records(path.read_bytes())
    ]
    assert recorded == ["numbers"]  # `total` has `result: false`
    [halves] = [m for m in keyed if m.parent.name == "halves"]
    manifest = json.loads(halves.read_text())
    assert set(manifest["parts"]) == {"low", "high"}
    assert manifest["run_id"] == run.id
    assert run.outcomes["halves"].locations
    assert not (out / ".pipeflow" / "manifests" / "demo" / "total").exists()


def test_results_override_goes_elsewhere(make_project: ProjectFactory, tmp_path: Path) -> None:
    config = make_project(
        """
        name: demo
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: 4}, result: {target: "n.json"}}
        """,
        mysteps=STEPS,
    )
    elsewhere = tmp_path / "elsewhere"
    assert pipeflow.load(config).run(results=str(elsewhere)).ok
    assert json.loads((elsewhere / "n.json").read_text()) == [0, 1, 2, 3]
    assert not (tmp_path / "data" / "processed").exists()


def test_a_value_that_does_not_fit_its_outputs_fails_clearly(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          numbers: {run: mysteps.numbers, inputs: {count: 4}, outputs: [a, b]}
        """,
        mysteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert run.outcomes["numbers"].state is StepState.FAILED
    assert "returned 4 values but `outputs:` names 2" in (run.outcomes["numbers"].error or "")


def test_threads_run_independent_steps_at_once(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        executor: {type: threads, workers: 4}
        steps:
          a: {run: sleepy.nap, inputs: {seconds: 0.5}}
          b: {run: sleepy.nap, inputs: {seconds: 0.5}}
          c: {run: sleepy.nap, inputs: {seconds: 0.5}}
          d: {run: sleepy.nap, inputs: {seconds: 0.5}}
          join: {run: sleepy.join, inputs: {values: ["${steps.a}", "${steps.b}", "${steps.c}"]}}
        """,
        sleepy="""
        import time

        def nap(seconds: float) -> float:
            print("napping", seconds)
            time.sleep(seconds)
            return seconds

        def join(values: list) -> float:
            return sum(values)
        """,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.ok
    assert run.output("join") == 1.5
    # Four half-second naps on four threads: far less than the two seconds they take in a row.
    assert run.result.duration < 1.5
    printed = [e.step for e in events if isinstance(e, StepOutput)]
    assert sorted(printed) == ["a", "b", "c", "d"]


def test_unknown_executor_on_the_api_is_a_config_error(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: demo
        results: {persist: false}
        steps:
          a: {run: mysteps.numbers, inputs: {count: 1}}
        """,
        mysteps=STEPS,
    )
    with pytest.raises(pipeflow.ConfigError, match="unknown executor `spark`"):
        pipeflow.load(config).run(executor="spark")


def test_two_runs_at_once_keep_their_output_apart(make_project: ProjectFactory) -> None:
    import threading

    config = make_project(
        """
        name: demo
        results: {persist: false}
        params: {text: a}
        steps:
          shout: {run: mysteps.shout, inputs: {text: "${params.text}"}}
        """,
        mysteps=STEPS.replace(
            "def shout(text: str) -> str:",
            "def shout(text: str) -> str:\n    import time\n    time.sleep(0.2)",
        ),
    )
    pipe = pipeflow.load(config)
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def run(text: str) -> None:
        def collect(event: Event) -> None:
            if isinstance(event, StepOutput) and event.stream == "stdout":
                seen[text].append(event.text)

        pipe.run(params={"text": text}, subscribers=[collect])

    threads = [threading.Thread(target=run, args=(t,)) for t in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": ["saying a"], "b": ["saying b"]}
    import sys

    assert type(sys.stdout).__name__ != "_Router"  # put back once both runs ended


@pytest.mark.parametrize("persist", [True, False])
def test_a_stored_value_no_step_still_needs_leaves_memory(
    make_project: ProjectFactory, persist: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long pipeline of large values holds only what is still needed: once every step
    that takes a stored value has finished, the run drops it and `output()` reads it back;
    not before (a step would read it back from the store: none does)."""
    results = "{root: out}" if persist else "{persist: false}"
    config = make_project(
        f"""
        name: demo
        results: {results}
        steps:
          numbers: {{run: mysteps.numbers, inputs: {{count: 4}}}}
          halves: {{run: mysteps.halves, inputs: {{values: "${{steps.numbers}}"}}}}
          total: {{run: mysteps.total, inputs: {{values: "${{steps.halves.high}}"}}}}
          sum: {{run: mysteps.total, inputs: {{values: "${{steps.numbers}}"}}}}
          checked:
            run: mysteps.total
            inputs: {{values: [1]}}
            when: "${{steps.total}}"
        """,
        mysteps=STEPS,
    )
    read = ResultStore.read
    reads: list[str] = []

    def reading(store: ResultStore, record: PartRecord) -> Any:
        reads.append(record.path)
        return read(store, record)

    monkeypatch.setattr(ResultStore, "read", reading)
    run = pipeflow.load(config).run(history=False)
    assert run.ok
    assert reads == []
    held = set(run.result.context.values)
    if persist:
        assert held == {"sum", "checked"}  # the last steps' values stay; the others are stored
    else:
        assert held == {"numbers", "halves", "total", "sum", "checked"}  # nowhere else
    assert run.output("numbers") == [0, 1, 2, 3]
    assert run.output("halves") == {"low": [0, 1], "high": [2, 3]}
    assert run.output("total") == 5
    assert run.output("sum") == 6
