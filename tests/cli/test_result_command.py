"""`pipeflow result CONFIG STEP [--show]` and `Pipeline.result()`: the stored result of a step,
shown as it is (nested values nested), and the latest stored one of a `cache: false` step."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action

STEPS = """
from pathlib import Path

COUNTER = Path(__file__).with_name("counter.txt")


def fresh():
    # A new value on every call: what a `cache: false` step is for (today's prices, ...).
    count = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(count))
    return {"call": count}


def nested():
    return {"model": {"depth": 3, "layers": [1, 2]}, "score": 0.5}


def parts():
    return {"table": [1, 2, 3], "metrics": {"train": {"acc": 0.9}, "test": {"acc": 0.8}}}


def quiet():
    return 7
"""

CONFIG = """
name: shown
results: {root: out}
steps:
  fresh: {run: showsteps.fresh, cache: false}
  nested: {run: showsteps.nested}
  parts: {run: showsteps.parts, outputs: [table, metrics]}
  quiet: {run: showsteps.quiet, result: false}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "showsteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    return path


def result(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["result", str(config), *args])


def test_a_cache_false_step_shows_its_latest_stored_result(config: Path) -> None:
    pipeflow.load(config).run()
    second = pipeflow.load(config).run()
    shown = result(config, "fresh", "--show")
    assert shown.exit_code == 0, shown.output
    # A small value: a record of the second run's journal (tests/cache/test_journal.py).
    assert f"/out/.pipeflow/journal/shown/{second.id}-" in shown.stdout
    assert "of the run's journal)" in shown.stdout
    assert "{'call': 2}" in shown.stdout
    assert "latest stored result" in shown.stderr
    assert "cache: false" in shown.stderr
    assert second.id in shown.stderr
    stored = pipeflow.load(config).result("fresh")
    assert stored.current is False
    assert stored.load() == {"call": 2}


def test_an_up_to_date_result_is_not_called_the_latest(config: Path) -> None:
    pipeflow.load(config).run()
    shown = result(config, "nested", "--show")
    assert shown.exit_code == 0, shown.output
    assert "latest stored" not in shown.output
    assert pipeflow.load(config).result("nested").current is True


def test_a_cache_false_step_that_never_ran_has_nothing_to_show(config: Path) -> None:
    shown = result(config, "fresh", "--show")
    assert shown.exit_code == 3
    assert "no stored result yet" in shown.output
    assert "Traceback" not in shown.output


def test_a_step_that_is_never_stored_says_so(config: Path) -> None:
    pipeflow.load(config).run()
    shown = result(config, "quiet")
    assert shown.exit_code == 2
    assert "result: false" in shown.output


def test_nested_dicts_are_shown_nested(config: Path) -> None:
    pipeflow.load(config).run()
    shown = result(config, "nested", "--show")
    assert shown.exit_code == 0, shown.output
    assert "{'model': {'depth': 3, 'layers': [1, 2]}, 'score': 0.5}" in shown.stdout
    assert "[model]" not in shown.stdout
    assert "[depth]" not in shown.stdout


def test_the_parts_of_a_step_are_sections_and_a_dict_part_stays_nested(config: Path) -> None:
    pipeflow.load(config).run()
    shown = result(config, "parts", "--show")
    assert shown.exit_code == 0, shown.output
    assert "[table]\n[1, 2, 3]" in shown.stdout
    assert "[metrics]\n{'test': {'acc': 0.8}, 'train': {'acc': 0.9}}" in shown.stdout
    assert "[train]" not in shown.stdout
    one = result(config, "parts", "--part", "metrics", "--show")
    assert one.exit_code == 0, one.output
    assert one.stdout.strip().splitlines()[-1] == "{'test': {'acc': 0.8}, 'train': {'acc': 0.9}}"


def test_another_pipeline_reads_the_latest_result_of_a_cache_false_step(
    config: Path, tmp_path: Path
) -> None:
    pipeflow.load(config).run()
    assert read_by_another(tmp_path, config, step="fresh") == {"call": 1}


def read_by_another(folder: Path, config: Path, **inputs: str) -> object:
    """What a `pipeflow.read` step of another pipeline reads of `config`'s results."""
    reader = folder / "reader.yaml"
    reader.write_text(
        json.dumps(
            {
                "name": "reader",
                "results": {"root": "reader-out"},
                "steps": {
                    "copy": {"run": "pipeflow.read", "inputs": {"config": str(config), **inputs}}
                },
            }
        )
    )
    run = pipeflow.load(reader).run()
    assert run.ok, run.outcomes
    return run.output("copy")


ITEM_STEPS = """
def square(x: int) -> int:
    return x * x


def two(x: int) -> dict:
    return {"a": x, "b": 10 * x}


def listed() -> list:
    return [1, 2]
"""

ITEM_CONFIG = """
name: items
results: {root: out}
params:
  xs: [1, 2, 3]
steps:
  sq: {run: itemsteps.square, foreach: "${params.xs}", as: x}
  parted: {run: itemsteps.two, foreach: "${params.xs}", as: x, outputs: [a, b]}
  listed: {run: itemsteps.listed}
  late: {run: itemsteps.square, foreach: "${steps.listed}", as: x}
  fresh: {run: itemsteps.square, foreach: [1, 2], as: x, cache: false}
"""


@pytest.fixture
def items_config(tmp_path: Path) -> Path:
    (tmp_path / "itemsteps.py").write_text(textwrap.dedent(ITEM_STEPS))
    path = tmp_path / "items.yaml"
    path.write_text(textwrap.dedent(ITEM_CONFIG))
    assert pipeflow.load(path).run().ok
    return path


def test_a_foreach_steps_result_is_its_items(items_config: Path) -> None:
    shown = result(items_config, "sq", "--show")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.strip().splitlines()
    assert [line.split(": ")[0] for line in lines[:3]] == [
        "item 1 of 3",
        "item 2 of 3",
        "item 3 of 3",
    ]
    assert all("/out/.pipeflow/journal/items/" in line for line in lines[:3])
    assert lines[3] == "[1, 4, 9]"
    assert pipeflow.load(items_config).result("sq").load() == [1, 4, 9]


def test_a_part_of_a_foreach_step_with_outputs_is_each_items_part(items_config: Path) -> None:
    shown = result(items_config, "parted", "--part", "b", "--show")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.strip().splitlines()
    assert [line.split(": ")[0] for line in lines[:3]] == [
        "item 1 of 3 b",
        "item 2 of 3 b",
        "item 3 of 3 b",
    ]
    assert lines[3] == "[10, 20, 30]"
    whole = pipeflow.load(items_config).result("parted")
    assert whole.load() == [{"a": 1, "b": 10}, {"a": 2, "b": 20}, {"a": 3, "b": 30}]
    assert whole.load("a") == [1, 2, 3]
    wrong = result(items_config, "parted", "--part", "c")
    assert wrong.exit_code == 2
    assert "step `parted` has no output `c`" in wrong.stderr
    assert "`a`, `b`" in wrong.stderr
    plain = result(items_config, "sq", "--part", "a")
    assert plain.exit_code == 2
    assert "it declares no `outputs:`: leave --part out" in plain.stderr


def test_a_part_of_a_foreach_step_over_no_items_is_an_empty_list(items_config: Path) -> None:
    """Its outputs are the ones it declares, with items or without: `--part b` was refused
    ("has no output `b`; its outputs: ") when the list was empty."""
    options = ["--param", "xs=[]"]
    assert pipeflow.load(items_config, param_options=options[1:]).run().ok

    for part, shown_as in (("b", "[]"), (None, "[]")):
        shown = result(
            items_config, "parted", *(["--part", part] if part else []), "--show", *options
        )
        assert shown.exit_code == 0, shown.output
        assert shown.stdout.strip().splitlines() == [shown_as]
    wrong = result(items_config, "parted", "--part", "c", *options)
    assert wrong.exit_code == 2
    assert "its outputs: `a`, `b`" in wrong.stderr
    plain = result(items_config, "sq", "--part", "a", *options)
    assert plain.exit_code == 2
    assert "it declares no `outputs:`: leave --part out" in plain.stderr


def test_a_foreach_step_with_an_item_not_stored_has_no_result(items_config: Path) -> None:
    shown = result(items_config, "sq", "--param", "xs=[1, 2, 3, 4]")
    assert shown.exit_code == 3
    assert "1 of 4 items have no stored result" in shown.stderr
    assert "run the pipeline first" in shown.stderr


def test_a_foreach_over_a_cached_step_value_has_its_items_read_from_the_store(
    items_config: Path,
) -> None:
    shown = result(items_config, "late", "--show")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip().splitlines()[-1] == "[1, 4]"


def test_a_foreach_over_a_step_value_not_current_says_why_it_has_no_result(
    items_config: Path,
) -> None:
    steps = items_config.parent / "itemsteps.py"
    steps.write_text(steps.read_text().replace("return [1, 2]", "return [1, 2, 3]"))
    shown = result(items_config, "late")
    assert shown.exit_code == 3
    assert "known only during a run" in shown.stderr
    assert "Traceback" not in shown.output


def test_a_foreach_over_a_cached_step_value_whose_items_are_not_stored_says_why(
    items_config: Path,
) -> None:
    """`listed` is cached, so the items of `late` are known before the run, as `status`
    shows them: the reason is its items'. Before, it said the items were "known only during
    a run"."""
    steps = items_config.parent / "itemsteps.py"
    steps.write_text(steps.read_text().replace("return x * x", "return x**2"))
    status = {d.step: d for d in pipeflow.load(items_config).status()}
    assert status["listed"].action is Action.CACHED
    shown = result(items_config, "late")
    assert shown.exit_code == 3
    assert "known only during a run" not in shown.stderr
    assert f"has no up-to-date stored result ({status['late'].reason})" in shown.stderr
    assert "2 of 2 items have no stored result (code of itemsteps.py changed" in shown.stderr
    assert "run the pipeline first" in shown.stderr


def test_a_cache_false_foreach_step_says_none_of_its_items_is_current(
    items_config: Path,
) -> None:
    shown = result(items_config, "fresh")
    assert shown.exit_code == 3
    assert "`cache: false`" in shown.stderr


def test_another_pipeline_reads_a_foreach_steps_items(items_config: Path, tmp_path: Path) -> None:
    assert read_by_another(tmp_path, items_config, step="parted", part="b") == [10, 20, 30]
    assert read_by_another(tmp_path, items_config, step="sq") == [1, 4, 9]


@pytest.mark.parametrize("command", ["result", "accept"])
def test_an_unknown_step_is_refused_with_a_suggestion(config: Path, command: str) -> None:
    shown = CliRunner().invoke(cli, [command, str(config), "nestd"])
    assert shown.exit_code == 2, shown.output
    assert "pipeline `shown` has no step `nestd`" in shown.stderr
    assert "did you mean `nested`?" in shown.stderr
    assert "Traceback" not in shown.output
    with pytest.raises(pipeflow.ConfigError, match="has no step `nestd`"):
        getattr(pipeflow.load(config), command)("nestd")


@pytest.mark.parametrize("command", ["result", "accept"])
def test_a_sub_pipeline_step_names_the_steps_it_has(tmp_path: Path, command: str) -> None:
    """The commands of one step want one of its steps (`--only prep` takes all of them:
    tests/plan/test_select_sub_pipelines.py); `result` also takes one of its outputs
    (tests/cli/test_sub_pipeline_names.py)."""
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "childsteps.py").write_text("def one() -> int:\n    return 1\n")
    (tmp_path / "child" / "pipeline.yaml").write_text(
        "name: child\nsteps:\n  one: {run: childsteps.one}\noutputs: {one: '${steps.one}'}\n"
    )
    parent = tmp_path / "pipeline.yaml"
    parent.write_text("name: parent\nsteps:\n  prep: {pipeline: child/pipeline.yaml}\n")
    shown = CliRunner().invoke(
        cli, [*command.split(" ", 1)[:1], str(parent), *command.split()[1:], "prep"]
    )
    assert shown.exit_code == 2, shown.output
    if command == "result":  # which also reads the sub-pipeline's outputs
        assert "`prep` runs a sub-pipeline; name one of its outputs with --part" in shown.stderr
        assert "its outputs: `one`; or name one of its steps: `prep/one`" in shown.stderr
    else:
        assert "pipeline `parent` has no step `prep`" in shown.stderr
        assert "`prep` is a sub-pipeline; its steps are `prep/one`" in shown.stderr


SKIPPED_YAML = """
name: gated
params: {enabled: false}
results: {root: out}
steps:
  gated: {run: gatedsteps.value, when: "${params.enabled}"}
  after: {run: gatedsteps.double, inputs: {x: "${steps.gated}"}}
"""
SKIPPED_TOML = """
name = "gated"
params = {enabled = false}
[results]
root = "out"
[steps.gated]
run = "gatedsteps.value"
when = "${params.enabled}"
[steps.after]
run = "gatedsteps.double"
inputs = {x = "${steps.gated}"}
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("step", ["gated", "after"])
def test_a_step_skipped_under_these_params_says_so_not_to_run_the_pipeline(
    tmp_path: Path, spelling: str, step: str
) -> None:
    """Before: "has no up-to-date stored result (`when` is false); run the pipeline first",
    though a run stores nothing for a skipped step."""
    (tmp_path / "gatedsteps.py").write_text(
        "def value():\n    return 2\n\ndef double(x):\n    return x * 2\n"
    )
    config = tmp_path / f"pipeline.{spelling}"
    config.write_text(SKIPPED_YAML if spelling == "yaml" else SKIPPED_TOML)
    assert pipeflow.load(config).run().ok
    shown = result(config, step)
    assert shown.exit_code == 2
    assert "run the pipeline first" not in shown.output
    assert f"step `{step}` of pipeline `gated` is skipped with these params" in shown.output
    assert "--param" in shown.output
    with pytest.raises(pipeflow.PipeflowError) as refused:
        pipeflow.load(config).result(step)
    assert "is skipped with these params" in str(refused.value)
    assert "run the pipeline first" not in str(refused.value)
    enabled = result(config, step, "--param", "enabled=true")
    assert enabled.exit_code == 3
    assert "run the pipeline first" in enabled.output  # it runs then: nothing stored yet
    assert pipeflow.load(config, params={"enabled": True}).run().ok
    assert result(config, step, "--param", "enabled=true").exit_code == 0
