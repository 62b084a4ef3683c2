"""The config JSON Schema, and schema errors as located problems with hints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pipeflow.config.reader import read_document, read_text
from pipeflow.config.schema import load_schema, schema_text
from pipeflow.config.schema_errors import schema_problems
from pipeflow.config.suggest import describe_value, did_you_mean, format_path
from pipeflow.errors import Problem

REPO = Path(__file__).resolve().parents[2]

# Every key of SPEC section 2, at every level, used once: a config that must stay valid.
FULL_EXAMPLE = """\
# yaml-language-server: $schema=pipeflow-schema.json
pipeflow: 1
name: iris
description: Train and evaluate a classifier on Iris

params:
  data_path: data/raw/iris.csv
  target_col: species
  test_data_ratio: 0.2
  seed: 42
  token: ${env.API_TOKEN:-none}
params_schema:
  properties:
    test_data_ratio: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 1}

results:
  root: s3://bucket/iris
  storage_options: {anon: false}
  persist: true

executor: {type: dask, workers: 4, address: "tcp://scheduler:8786", threads_per_worker: 2}

defaults:
  retries: 0
  retry_delay: 1s
  retry_backoff: 2
  timeout: null
  cache: true

allow_imports: [sklearn.model_selection, pandas]

steps:
  load_data:
    run: steps.iris.load_data
    description: Read the raw CSV
    tags: [io, raw]
    inputs:
      path: ${params.data_path}
  get_classes:
    run: steps.iris:Loader.classes
    inputs: {data: "${steps.load_data}", target_col: "${params.target_col}"}
    result: false
  split_data:
    run: steps.iris.split_data
    inputs:
      data: ${steps.load_data}
      test_data_ratio: ${params.test_data_ratio}
      classes: ${steps.get_classes}
    outputs: [train_x, train_y, test_x, test_y]
    result:
      target: "{date:%Y-%m-%d}/{step}_{output}.parquet"
      format: parquet
      root: data/processed
      storage_options: {}
    cache: true
  train_model:
    run: steps.iris.train_model
    inputs: {x: "${steps.split_data.train_x}", y: "${steps.split_data.train_y}"}
    result: {target: "models/{step}.joblib"}
    retries: 2
    retry_delay: 5s
    retry_backoff: 1.5
    timeout: 10m
    code_version: v3
  evaluate_each:
    run: steps.iris.evaluate
    foreach: [0.1, 0.2, 0.3]
    as: ratio
    when: ${params.seed}
    timeout: 90
  nested:
    pipeline: sub/pipeline.yaml
    params: {ratio: "${params.test_data_ratio}"}
    when: true
  report_accuracy:
    run: steps.iris.report_accuracy
    after: [train_model, nested]

schedules:
  - cron: "0 6 * * 1-5"
    timezone: Europe/Berlin
    start: 2024-01-01
    end: 2030-12-31T23:59:00+01:00
  - interval: 1h30m
    params: {test_data_ratio: 0.3}

outputs:
  model: ${steps.train_model}
  train_x: ${steps.split_data.train_x}
"""

TOP_LEVEL_KEYS = [
    "pipeflow",
    "name",
    "description",
    "params",
    "params_schema",
    "results",
    "executor",
    "defaults",
    "steps",
    "schedules",
    "allow_imports",
    "outputs",
]
STEP_KEYS = [
    "run",
    "pipeline",
    "params",
    "inputs",
    "after",
    "outputs",
    "result",
    "cache",
    "retries",
    "retry_delay",
    "retry_backoff",
    "timeout",
    "foreach",
    "as",
    "when",
    "code_version",
    "description",
    "tags",
    "reads",
    "writes",
]


def problems_in(text: str, kind: str = "yaml") -> list[Problem]:
    document = read_text(text, file=f"pipeline.{kind}", kind=kind)
    assert document.problems == []
    return schema_problems(document)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(problem.format() for problem in problems)
    return problems[0]


def with_steps(steps: str) -> str:
    return "name: test\nsteps:\n" + steps


# --- the schema itself ----------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_schema()

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]
    assert schema["title"]
    assert set(schema["$defs"]) >= {"duration", "reference", "step", "schedule"}


def test_schema_text_is_the_schema_as_pretty_json() -> None:
    text = schema_text()

    assert json.loads(text) == load_schema()
    assert text.startswith("{\n  ")
    assert text.endswith("}\n")


def test_load_schema_gives_a_copy_the_caller_may_change() -> None:
    load_schema()["properties"].clear()

    assert "steps" in load_schema()["properties"]


def all_properties(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, child in node.get("properties", {}).items():
            yield f"{path}.{name}", child
        for key, child in node.items():
            yield from all_properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from all_properties(child, f"{path}[{index}]")


def test_every_property_has_a_description_for_editors() -> None:
    undocumented = [
        path for path, property in all_properties(load_schema()) if "description" not in property
    ]

    assert undocumented == []


def test_the_top_level_has_every_key_of_the_spec() -> None:
    schema = load_schema()

    assert sorted(schema["properties"]) == sorted([*TOP_LEVEL_KEYS, "$schema"])
    assert schema["required"] == ["name", "steps"]
    assert schema["additionalProperties"] is False


def test_a_step_has_every_key_of_the_spec() -> None:
    step = load_schema()["$defs"]["step"]

    assert sorted(step["properties"]) == sorted(STEP_KEYS)
    assert step["additionalProperties"] is False


def test_nested_sections_have_their_keys() -> None:
    schema = load_schema()
    properties = schema["properties"]
    definitions = schema["$defs"]

    assert sorted(properties["results"]["properties"]) == ["persist", "root", "storage_options"]
    assert sorted(properties["executor"]["properties"]) == [
        "address",
        "cluster",
        "shared_filesystem",
        "threads_per_worker",
        "type",
        "workers",
    ]
    assert properties["executor"]["properties"]["type"]["enum"] == [
        "sequential",
        "threads",
        "processes",
        "dask",
    ]
    assert sorted(properties["defaults"]["properties"]) == [
        "cache",
        "retries",
        "retry_backoff",
        "retry_delay",
        "timeout",
    ]
    assert sorted(definitions["result"]["properties"]) == [
        "format",
        "root",
        "storage_options",
        "target",
    ]
    assert definitions["result"]["properties"]["format"]["enum"] == [
        "parquet",
        "csv",
        "json",
        "pickle",
        "joblib",
        "npy",
        "txt",
    ]
    assert sorted(definitions["schedule"]["properties"]) == [
        "catch_up",
        "cron",
        "end",
        "interval",
        "params",
        "start",
        "timezone",
    ]


# --- valid configs --------------------------------------------------------------------------


def test_a_full_example_using_every_key_has_no_problems() -> None:
    assert problems_in(FULL_EXAMPLE) == []


# SPEC.md's config example (section 2), vendored so the test runs wherever the repository is.
SPEC_EXAMPLE = REPO / "tests" / "assets" / "spec-config-example.yaml"
SPEC = REPO.parent / "shared" / "SPEC.md"  # beside the checkout on developers' machines and CI


def test_the_spec_example_has_no_problems() -> None:
    assert problems_in(SPEC_EXAMPLE.read_text(encoding="utf-8")) == []


def test_the_vendored_spec_example_is_the_specs() -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not beside the checkout: the copy cannot be compared")
    spec = SPEC.read_text(encoding="utf-8")
    start = spec.index("```yaml\n") + len("```yaml\n")
    assert SPEC_EXAMPLE.read_text(encoding="utf-8") == spec[start : spec.index("```", start)]


@pytest.mark.parametrize("name", ["pipeline.yaml", "pipeline.toml"])
def test_the_repository_example_has_no_problems(name: str) -> None:
    assert schema_problems(read_document(REPO / name)) == []


def test_a_toml_config_is_checked_the_same_way() -> None:
    text = """\
name = "iris"

[steps.load_data]
run = "steps.iris.load_data"
inputs = { path = "${params.data_path}" }

[[schedules]]
cron = "0 6 * * *"
start = 2024-01-01T06:00:00+01:00

[[schedules]]
interval = "1h"
"""
    assert problems_in(text, "toml") == []


@pytest.mark.parametrize("duration", ["30s", "500ms", "15m", "1h", "1d", "1h30m", "1.5h", 30, 0.5])
def test_valid_durations(duration: object) -> None:
    text = with_steps(f"  a: {{run: x.y, retry_delay: {json.dumps(duration)}}}\n")

    assert problems_in(text) == []


# --- problems ------------------------------------------------------------------------------


def test_a_typo_key_suggests_the_right_one_at_its_line() -> None:
    text = with_steps("  load_data:\n    run: steps.iris.load_data\n    inpts: {path: x}\n")

    problem = only(problems_in(text))

    assert problem.message == "unknown key `inpts` in step `load_data`"
    assert problem.hint == "did you mean `inputs`?"
    assert (problem.file, problem.line, problem.column) == ("pipeline.yaml", 5, 5)
    assert problem.path == "steps.load_data.inpts"


def test_a_typo_in_toml_is_located_too() -> None:
    text = 'name = "x"\n\n[steps.load]\nrun = "a.b"\nretires = 2\n'

    problem = only(problems_in(text, "toml"))

    assert problem.message == "unknown key `retires` in step `load`"
    assert problem.hint == "did you mean `retries`?"
    assert (problem.line, problem.column) == (5, 1)


def test_an_unknown_key_without_a_close_match_lists_the_allowed_keys() -> None:
    problem = only(problems_in(with_steps("  a:\n    run: x.y\n    zzzz: 1\n")))

    assert problem.hint is not None
    assert problem.hint.startswith("allowed keys: `run`, `pipeline`")


def test_a_top_level_step_is_recognised() -> None:
    text = "name: x\nsteps:\n  a: {run: x.y}\nb:\n  run: x.z\n"

    problem = only(problems_in(text))

    assert problem.message == "unknown key `b` at the top level"
    assert problem.hint == "is `b` a step? indent it under `steps:`"


def test_a_wrong_type_names_the_expected_type_and_points_at_the_value() -> None:
    text = with_steps("  train:\n    run: a.b\n    retries: abc\n")

    problem = only(problems_in(text))

    assert problem.message == "expected a whole number for `retries`, got 'abc' (str)"
    assert (problem.line, problem.column) == (5, 14)
    assert problem.path == "steps.train.retries"


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ('retries: "3"', "remove the quotes to make it a number"),
        ("code_version: 3", 'put the value in quotes to make it text: `code_version: "3"`'),
        ("after: load", "write a list: `after: [load]`"),
        ('cache: "yes"', "write `true` or `false`, without quotes"),
    ],
)
def test_wrong_types_come_with_a_fix(line: str, hint: str) -> None:
    problem = only(problems_in(with_steps(f"  a:\n    run: x.y\n    {line}\n")))

    assert problem.message.startswith("expected ")
    assert problem.hint == hint


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ('retries = "3"', "remove the quotes to make it a number"),
        ("code_version = 3", 'put the value in quotes to make it text: `code_version = "3"`'),
        ('after = "load"', 'write a list: `after = ["load"]`'),
        ('cache = "yes"', "write `true` or `false`, without quotes"),
        ("tags = [1]", 'put the value in quotes to make it text: `"1"`'),
    ],
)
def test_a_toml_config_gets_its_fix_written_in_toml(line: str, hint: str) -> None:
    """The hints were YAML (`after: [load]`, `code_version: "3"`): copied into a TOML file,
    a syntax error."""
    text = f'name = "demo"\n\n[steps.a]\nrun = "x.y"\n{line}\n'

    problem = only(problems_in(text, "toml"))

    assert problem.message.startswith("expected ")
    assert problem.hint == hint


@pytest.mark.parametrize(
    ("kind", "text", "hint"),
    [
        ("yaml", "name: a b\nsteps: {a: {run: x.y}}\n", "e.g. `name: a_b`"),
        ("toml", 'name = "a b"\n[steps.a]\nrun = "x.y"\n', 'e.g. `name = "a_b"`'),
        ("yaml", "steps: {a: {run: x.y}}\n", "add e.g. `name: iris`"),
        ("toml", '[steps.a]\nrun = "x.y"\n', 'add e.g. `name = "iris"`'),
    ],
)
def test_a_name_hint_is_written_in_the_config_s_language(kind: str, text: str, hint: str) -> None:
    problem = only(problems_in(text, kind))

    assert problem.hint is not None
    assert problem.hint.startswith(hint)


def test_a_list_item_of_the_wrong_type_is_quoted_without_a_key() -> None:
    problem = only(problems_in(with_steps("  a:\n    run: x.y\n    tags: [x, 5]\n")))

    assert problem.hint == 'put the value in quotes to make it text: `"5"`'


def test_a_step_without_run_or_pipeline() -> None:
    text = with_steps("  a:\n    run: x.y\n  x:\n    inputs: {n: 1}\n")

    problem = only(problems_in(text))

    assert problem.message == (
        "step `x` needs `run` (a dotted path to a function) "
        "or `pipeline` (a path to another config)"
    )
    assert (problem.line, problem.column) == (5, 3)  # the step's name
    assert problem.path == "steps.x"


def test_a_step_with_both_run_and_pipeline() -> None:
    problem = only(problems_in(with_steps("  a: {run: x.y, pipeline: sub.yaml}\n")))

    assert problem.message == "step `a` has both `run` and `pipeline`; give only one"


def test_an_empty_step_says_what_a_step_needs() -> None:
    problem = only(problems_in(with_steps("  a:\n  b: {run: x.y}\n")))

    assert problem.message == "step `a` must be a mapping with `run:` or `pipeline:`, got null"
    assert (problem.line, problem.column) == (3, 3)


def test_missing_name_and_steps() -> None:
    problems = problems_in("description: nothing else\n")

    assert [problem.message for problem in problems] == [
        "the pipeline needs a `name`",
        "the pipeline has no `steps`",
    ]


def test_an_enum_lists_the_choices_and_suggests_one() -> None:
    problem = only(problems_in(with_steps("  a: {run: x.y}\n") + "executor: {type: proccesses}\n"))

    assert problem.message == (
        "`type` must be `sequential`, `threads`, `processes` or `dask`, got 'proccesses' (str)"
    )
    assert problem.hint == "did you mean `processes`?"
    assert problem.path == "executor.type"


@pytest.mark.parametrize(
    ("duration", "hint"),
    [
        ("10 minutes", "did you mean `10m`?"),
        ("1 hour 30 mins", "did you mean `1h30m`?"),
        ("2 secs", "did you mean `2s`?"),
        ("soon", "write a number and a unit (ms, s, m, h, d), e.g. `500ms`, `30s`, `15m`, `1h30m`"),
    ],
)
def test_a_bad_duration_is_explained_in_words(duration: str, hint: str) -> None:
    text = with_steps(f"  a:\n    run: x.y\n    timeout: {duration}\n")

    problem = only(problems_in(text))

    # `timeout` is "null or a duration": the message is about the duration, not the choice.
    assert problem.message == f"{duration!r} is not a duration"
    assert problem.hint == hint
    assert (problem.line, problem.column) == (5, 14)


def test_a_value_that_fits_no_branch_of_a_choice() -> None:
    problem = only(problems_in(with_steps("  a:\n    run: x.y\n    result: true\n")))

    assert problem.message == "expected `false` or a mapping for `result`, got true"
    assert problem.hint == "results are stored by default; `result: false` turns that off"


def test_a_mistake_inside_a_choice_reports_the_leaf() -> None:
    problem = only(problems_in(with_steps("  a:\n    run: x.y\n    result: {formt: csv}\n")))

    assert problem.message == "unknown key `formt` in `result` of step `a`"
    assert problem.hint == "did you mean `format`?"


def test_pattern_failures_are_explained() -> None:
    text = (
        "name: my pipeline\nsteps:\n  split data: {run: x.y}\n"
        "  ok: {run: x.y, inputs: {data path: 1}, as: 1x}\n"
        "outputs: {model: steps.ok}\n"
    )

    messages = {problem.path: problem for problem in problems_in(text)}

    assert messages["name"].message == (
        "the pipeline name 'my pipeline' may only use ASCII letters, digits, `-` and `_`"
    )
    assert messages["name"].hint == "e.g. `name: my_pipeline`"
    assert messages['steps["split data"]'].message.startswith("'split data' is not a valid step")
    assert messages['steps["split data"]'].line == 3
    assert messages['steps.ok.inputs["data path"]'].hint == "e.g. `data_path`"
    assert messages["steps.ok.as"].hint == "e.g. `_1x`"
    assert messages["outputs.model"].hint == "did you mean `${steps.ok}`?"


def test_schedules_need_exactly_one_of_cron_and_interval() -> None:
    text = with_steps("  a: {run: x.y}\n") + (
        "schedules:\n  - {cron: '0 6 * * *', interval: 1h}\n  - {timezone: UTC}\n"
    )

    problems = problems_in(text)

    assert [(problem.path, problem.message) for problem in problems] == [
        ("schedules[0]", "`schedules[0]` has both `cron` and `interval`; give only one"),
        (
            "schedules[1]",
            '`schedules[1]` needs `cron` (a cron expression such as "0 6 * * 1-5") '
            "or `interval` (a duration such as `1h`)",
        ),
    ]


def test_yaml_dates_are_checked_as_text() -> None:
    text = with_steps("  a: {run: x.y}\n") + (
        "schedules:\n  - interval: 1d\n    start: 2024-01-01\n    end: 2024-06-01 10:00:00\n"
    )

    assert problems_in(text) == []


@pytest.mark.parametrize(
    "steps",
    [
        "  a: {run: x.y, tags: [2024-01-01]}\n",  # a date where text is expected
        "  a: {run: x.y, tags: [nightly, 2024-06-01 10:00:00+02:00]}\n",  # a time, later on
        "  a: {run: x.y}\n  b: {run: x.y, tags: [[2024-01-01]]}\n",  # text expected, a list
    ],
)
def test_a_date_anywhere_is_checked_as_its_text_and_only_there(steps: str) -> None:
    """A file read quickly (nothing to report) is checked as it is read unless a value is a
    date: then as text, as jsonschema sees it; a date inside a list is still a list."""
    document = read_text(with_steps(steps), file="pipeline.yaml", kind="yaml")
    assert document.plain is False

    problems = schema_problems(document)

    if "[[" in steps:
        assert [problem.path for problem in problems] == ["steps.b.tags[0]"]
    else:
        assert problems == []


def test_a_file_without_dates_is_checked_as_read() -> None:
    document = read_text(with_steps("  a: {run: x.y, tags: [t1]}\n"), file="p.yaml", kind="yaml")
    assert document.plain is True
    assert schema_problems(document) == []
    document.data["steps"]["a"]["tags"] = [1]  # what it holds is what is checked
    assert [problem.path for problem in schema_problems(document)] == ["steps.a.tags[0]"]


def test_several_mistakes_are_all_reported_in_file_order() -> None:
    text = """\
name: iris
steps:
  load_data:
    rn: steps.iris.load_data
  train:
    run: steps.iris.train
    retries: -1
    timeout: forever
    outputs: [a, a]
executor: {type: thread}
schedules:
  - cron: 5
"""
    problems = problems_in(text)

    assert [(problem.line, problem.path) for problem in problems] == [
        (3, "steps.load_data"),
        (4, "steps.load_data.rn"),
        (7, "steps.train.retries"),
        (8, "steps.train.timeout"),
        (9, "steps.train.outputs[1]"),
        (10, "executor.type"),
        (12, "schedules[0].cron"),
    ]
    for problem in problems:
        assert "is not valid under any of the given schemas" not in problem.message
        assert "Additional properties" not in problem.message
        assert problem.file == "pipeline.yaml"


# --- wording helpers ------------------------------------------------------------------------


def test_did_you_mean() -> None:
    assert did_you_mean("inpts", ["run", "inputs", "after"]) == "did you mean `inputs`?"
    assert did_you_mean("Steps", ["steps", "name"]) == "did you mean `steps`?"
    assert did_you_mean("zzz", ["run", "inputs"]) is None


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("encode", "encode_categorical_columns"),  # the start of a long name
        ("Encode", "encode_categorical_columns"),
        ("categorical", "encode_categorical_columns"),  # a whole part of it
        ("train", "train_model"),
    ],
)
def test_did_you_mean_a_name_of_which_the_word_is_a_part(word: str, meant: str) -> None:
    steps = ["load_data", "encode_categorical_columns", "split_data", "train_model"]
    assert did_you_mean(word, steps) == f"did you mean `{meant}`?"


@pytest.mark.parametrize(
    "word",
    [
        "cat",  # a part of two names: no guess
        "en",  # too short to be a part worth naming
        "xyz",
    ],
)
def test_no_guess_when_the_word_is_a_part_of_none_or_of_several(word: str) -> None:
    steps = ["encode_cat_columns_first", "drop_cat_rows_everywhere"]
    assert did_you_mean(word, steps) is None


def test_format_path() -> None:
    assert format_path(["steps", "split_data", "inputs", "data"]) == "steps.split_data.inputs.data"
    assert format_path(["schedules", 0, "cron"]) == "schedules[0].cron"
    assert format_path(["params", "a.b", 1]) == 'params["a.b"][1]'
    assert format_path([]) == ""


def test_describe_value() -> None:
    assert describe_value("abc") == "'abc' (str)"
    assert describe_value(3) == "3 (int)"
    assert describe_value(0.5) == "0.5 (float)"
    assert describe_value(True) == "true"
    assert describe_value(None) == "null"
    assert describe_value([1]) == "a list"
    assert describe_value({}) == "a mapping"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("name: p\nsteps:\n  a: {run: x.y, outputs: []}\n", "yaml"),
        ('name = "p"\n[steps.a]\nrun = "x.y"\noutputs = []\n', "toml"),
    ],
)
def test_empty_outputs_are_refused_with_what_to_do(text: str, kind: str) -> None:
    """`outputs: []` split nothing and acted as no `outputs:` at all."""
    (problem,) = problems_in(text, kind)
    assert problem.path == "steps.a.outputs"
    assert problem.message == "`outputs` must not be empty"
    assert problem.hint == "list the names of the parts the step returns, or remove `outputs:`"


@pytest.mark.parametrize("key", ["retry_delay", "timeout"])
@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_boolean_duration_gets_no_hint_to_quote_it(key: str, kind: str) -> None:
    """A duration is text or a number of seconds: `retry_delay: true` was told to quote it
    (`retry_delay: "true"`), which is no duration either."""
    if kind == "yaml":
        text = with_steps(f"  a:\n    run: x.y\n    {key}: true\n")
    else:
        text = f'name = "demo"\n\n[steps.a]\nrun = "x.y"\n{key} = true\n'

    problem = only(problems_in(text, kind))

    assert "duration" in problem.message
    assert problem.hint is None or "quotes" not in problem.hint, problem.hint


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("when", "1", "write `true` or `false`, or one reference such as"),
        ("run", "5", "write the dotted path of a function, e.g."),
        ("as", "5", "write an identifier: ASCII letters, digits and `_`, not starting with"),
        ("after", "[5]", "write a step name: ASCII letters, digits, `_` and `-`, starting with"),
    ],
)
def test_a_number_is_not_told_to_be_quoted_where_its_text_is_refused_too(
    kind: str, key: str, value: str, hint: str
) -> None:
    """`when: 1` was told `when: "1"`, `as: 5` `as: "5"`, `after: [5]` `"5"`, `run: 5`
    `run: "5"`: each refused in turn, for another reason."""
    foreach = "foreach = [1]\n" if kind == "toml" else "    foreach: [1]\n"
    if kind == "toml":
        run = "" if key == "run" else 'run = "x.y"\n'
        text = f'name = "demo"\n\n[steps.a]\n{run}{foreach}{key} = {value}\n'
    else:
        run = "" if key == "run" else "    run: x.y\n"
        text = with_steps(f"  a:\n{run}{foreach}    {key}: {value}\n")

    problem = only(problems_in(text, kind))

    assert problem.message.startswith("expected ")
    assert problem.hint is not None
    assert "in quotes" not in problem.hint
    assert problem.hint.startswith(hint), problem.hint


@pytest.mark.parametrize(
    ("kind", "line", "hint"),
    [
        ("yaml", "executor: threads", "write the type under it: `executor: {type: threads}`"),
        (
            "toml",
            'executor = "threads"',
            'write the type under it: `executor = {type = "threads"}`',
        ),
        ("yaml", "results: data/out", "write the root under it: `results: {root: data/out}`"),
        (
            "toml",
            'results = "data/out"',
            'write the root under it: `results = {root = "data/out"}`',
        ),
    ],
)
def test_an_executor_or_results_given_as_one_text_is_told_the_mapping(
    kind: str, line: str, hint: str
) -> None:
    """`executor: threads` and `results: data/out` were told only "expected a mapping"."""
    if kind == "toml":
        text = f'name = "demo"\n{line}\n\n[steps.a]\nrun = "x.y"\n'
    else:
        text = f"name: demo\n{line}\nsteps:\n  a: {{run: x.y}}\n"

    problem = only(problems_in(text, kind))

    assert problem.message.startswith("expected a mapping")
    assert problem.hint == hint


@pytest.mark.parametrize(
    ("kind", "text", "hint"),
    [
        (
            "yaml",
            "name: demo\nsteps:\n  a: {run: x.y}\nschedules:\n  - cron: 5\n",
            'write the 5 fields of a cron expression, e.g. `cron: "0 6 * * 1-5"`',
        ),
        (
            "toml",
            'name = "demo"\n[steps.a]\nrun = "x.y"\n[[schedules]]\ncron = 5\n',
            'write the 5 fields of a cron expression, e.g. `cron = "0 6 * * 1-5"`',
        ),
    ],
)
def test_a_number_for_cron_is_told_the_five_fields(kind: str, text: str, hint: str) -> None:
    """`cron: 5` was told `cron: "5"`, one field, refused in turn."""
    problem = only(problems_in(text, kind))

    assert problem.hint == hint


@pytest.mark.parametrize(
    ("yaml_text", "toml_text", "yaml_hint", "toml_hint"),
    [
        (
            "name: x\nsteps: {}\n",
            'name = "x"\nsteps = {}\n',
            "add a step, e.g. `load_data: {run: steps.iris.load_data}`",
            'add a step, e.g. `[steps.load_data]` with `run = "steps.iris.load_data"`',
        ),
        (
            "name: x\n",
            'name = "x"\n',
            "add a `steps:` mapping, e.g. `load_data: {run: steps.iris.load_data}`",
            'add a `steps` table, e.g. `[steps.load_data]` with `run = "steps.iris.load_data"`',
        ),
        (
            "name: x\nsteps:\n  a: {inputs: {i: 1}}\n",
            'name = "x"\n[steps.a]\ninputs = {i = 1}\n',
            "e.g. `run: steps.iris.load_data`",
            'e.g. `run = "steps.iris.load_data"`',
        ),
        (
            "name: x\nsteps:\n  a: steps.s.items\n",
            'name = "x"\n[steps]\na = "steps.s.items"\n',
            "e.g. `a: {run: package.module.function}`",
            'e.g. `[steps.a]` with `run = "package.module.function"`',
        ),
        (
            "name: x\nload: {run: x.y}\nsteps:\n  a: {run: x.y}\n",
            'name = "x"\n[load]\nrun = "x.y"\n[steps.a]\nrun = "x.y"\n',
            "is `load` a step? indent it under `steps:`",
            "is `load` a step? name its table `[steps.load]`",
        ),
        (
            "name: x\nsteps:\n  a: {run: x.y}\nschedules:\n  - timezone: UTC\n",
            'name = "x"\n[steps.a]\nrun = "x.y"\n[[schedules]]\ntimezone = "UTC"\n',
            'e.g. `cron: "0 6 * * 1-5"` or `interval: 1h`',
            'e.g. `cron = "0 6 * * 1-5"` or `interval = "1h"`',
        ),
    ],
)
def test_a_hint_that_shows_a_step_or_a_schedule_is_written_in_the_config_s_language(
    yaml_text: str, toml_text: str, yaml_hint: str, toml_hint: str
) -> None:
    """The hints showed YAML (`load_data: {run: ...}`) to a TOML config too."""
    assert only(problems_in(yaml_text)).hint == yaml_hint
    assert only(problems_in(toml_text, "toml")).hint == toml_hint


@pytest.mark.parametrize(
    ("kind", "text", "hint"),
    [
        (
            "yaml",
            "name: demo\nsteps:\n  a: {run: x.y, result: {target: 5}}\n",
            'write a path with an extension, e.g. `target: "models/{step}.joblib"`',
        ),
        (
            "toml",
            'name = "demo"\n[steps.a]\nrun = "x.y"\nresult = {target = 5}\n',
            'write a path with an extension, e.g. `target = "models/{step}.joblib"`',
        ),
    ],
)
def test_a_number_for_a_target_is_told_a_path(kind: str, text: str, hint: str) -> None:
    """`target: 5` was told `target: "5"`, refused in turn: a file with no extension."""
    assert only(problems_in(text, kind)).hint == hint
