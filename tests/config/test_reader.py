"""Reading YAML, TOML and JSON configs: data, key and value positions, and reading problems."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import pytest
import yaml

import pipeflow
from pipeflow.config import toml_positions, toml_reader, yaml_loading, yaml_reader
from pipeflow.config.reader import Document, Position, read_document, read_text
from pipeflow.errors import ConfigError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PIPELINE_YAML = """\
# yaml-language-server: $schema=schema.json
name: iris
params:
  data_path: data/raw/iris.csv
  test_data_ratio: 0.2
  seed: 42
  enabled: true
  nothing: null
  since: 2024-01-31
steps:
  load_data:
    run: steps.iris.load_data
    inputs:
      path: ${params.data_path}
  get_classes:
    run: steps.iris.get_classes
    inputs: {data: "${steps.load_data}", target_col: species}
  split_data:
    run: steps.iris.split_data
    outputs: [train_x, train_y]
schedules:
  - cron: "0 6 * * 1-5"
    timezone: Europe/Berlin
  - interval: 1h
"""


ONLY_COMMENTS = "the file holds only comments; a pipeline needs at least `name` and `steps`"


def only_problem(error: pytest.ExceptionInfo[ConfigError]) -> Problem:
    assert len(error.value.problems) == 1, error.value.format()
    return error.value.problems[0]


# --- YAML: data and positions ----------------------------------------------------------------


def test_yaml_values_keep_their_yaml_types() -> None:
    document = read_text(PIPELINE_YAML, file="pipeline.yaml", kind="yaml")

    params = document.data["params"]
    assert params == {
        "data_path": "data/raw/iris.csv",
        "test_data_ratio": 0.2,
        "seed": 42,
        "enabled": True,
        "nothing": None,
        "since": datetime.date(2024, 1, 31),
    }
    assert document.kind == "yaml"
    assert document.file == "pipeline.yaml"
    assert document.problems == []


def test_yaml_positions_of_nested_keys_and_values() -> None:
    document = read_text(PIPELINE_YAML, file="pipeline.yaml", kind="yaml")

    assert document.key_positions[("steps",)] == Position(10, 1)
    assert document.key_positions[("steps", "load_data")] == Position(11, 3)
    assert document.key_positions[("steps", "load_data", "run")] == Position(12, 5)
    assert document.value_positions[("steps", "load_data", "run")] == Position(12, 10)
    assert document.key_positions[("steps", "load_data", "inputs", "path")] == Position(14, 7)
    assert document.value_positions[("steps", "load_data", "inputs", "path")] == Position(14, 13)
    assert document.value_positions[("params", "test_data_ratio")] == Position(5, 20)


def test_yaml_positions_inside_flow_collections_and_lists() -> None:
    document = read_text(PIPELINE_YAML, file="pipeline.yaml", kind="yaml")

    inputs = ("steps", "get_classes", "inputs")
    assert document.value_positions[inputs] == Position(17, 13)
    assert document.key_positions[(*inputs, "data")] == Position(17, 14)
    assert document.value_positions[(*inputs, "data")] == Position(17, 20)
    assert document.key_positions[(*inputs, "target_col")] == Position(17, 42)
    assert document.value_positions[("steps", "split_data", "outputs", 1)] == Position(20, 24)
    assert document.value_positions[("schedules", 0)] == Position(22, 5)
    assert document.value_positions[("schedules", 0, "cron")] == Position(22, 11)
    assert document.key_positions[("schedules", 1, "interval")] == Position(24, 5)


def test_yaml_positions_match_the_pure_python_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = read_text(PIPELINE_YAML, file="pipeline.yaml", kind="yaml")
    monkeypatch.setattr(yaml_reader, "_LOADER", yaml_loading.SAFE)
    slow = read_text(PIPELINE_YAML, file="pipeline.yaml", kind="yaml")

    assert fast.data == slow.data
    assert fast.key_positions == slow.key_positions
    assert fast.value_positions == slow.value_positions


def test_position_falls_back_to_the_nearest_ancestor() -> None:
    document = read_text(PIPELINE_YAML, file="pipeline.yaml", kind="yaml")

    missing = ("steps", "load_data", "inputs", "nope", "deeper")
    assert document.position(missing) == Position(13, 5)  # the `inputs:` key
    assert document.position(("steps", "load_data"), key=True) == Position(11, 3)
    assert document.position(("steps", "load_data")) == Position(12, 5)  # its block starts here
    assert document.position(("schedules", 1), key=True) == Position(24, 5)  # items have no key


def test_document_problem_is_located() -> None:
    document = read_text(PIPELINE_YAML, file="pipeline.yaml", kind="yaml")

    problem = document.problem(
        ["steps", "load_data", "inputs", "path"], "bad path", hint="fix it", key=True
    )

    assert problem == Problem(
        message="bad path",
        file="pipeline.yaml",
        line=14,
        column=7,
        path="steps.load_data.inputs.path",
        hint="fix it",
    )


def test_document_problem_without_any_position() -> None:
    document = Document(data={}, file="x.yaml", kind="yaml")

    problem = document.problem(["schedules", 0, "cron"], "bad cron")

    assert (problem.line, problem.column, problem.path) == (None, None, "schedules[0].cron")


# --- YAML: problems while reading --------------------------------------------------------------


def test_each_duplicate_key_is_a_problem_at_its_second_occurrence() -> None:
    text = "name: a\nsteps:\n  one:\n    run: x.y\n    run: x.z\nname: b\n"

    document = read_text(text, file="p.yaml", kind="yaml")

    assert [(problem.line, problem.column, problem.path) for problem in document.problems] == [
        (5, 5, "steps.one.run"),
        (6, 1, "name"),
    ]
    assert document.problems[1].message == (
        "duplicate key `name` (first defined at line 1); YAML would silently keep the last one"
    )
    assert document.data["name"] == "b"


def test_python_tags_are_refused_and_nothing_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *arguments: calls.append(arguments))
    marker = tmp_path / "ran"
    text = (
        "name: evil\n"
        'steps: !!python/object/apply:os.system ["echo hi"]\n'
        f'other: !!python/object/apply:os.system ["touch {marker}"]\n'
        "more: !!python/name:os.system\n"
    )

    document = read_text(text, file="evil.yaml", kind="yaml")

    assert calls == []
    assert not marker.exists()
    assert [(problem.line, problem.column) for problem in document.problems] == [
        (2, 8),
        (3, 8),
        (4, 7),
    ]
    assert "refused to create a Python object" in document.problems[0].message
    assert "!!python/object/apply:os.system" in document.problems[0].message
    assert document.data["steps"] == ["echo hi"]  # plain data, never a call


def test_unknown_tags_are_problems() -> None:
    document = read_text("name: !env NAME\nsteps: {}\n", file="p.yaml", kind="yaml")

    assert len(document.problems) == 1
    assert document.problems[0].message == "the tag `!env` is not supported"
    assert (document.problems[0].line, document.problems[0].column) == (1, 7)


def test_invalid_dates_and_explicit_tags_are_problems() -> None:
    text = "since: 2024-13-45\ncount: !!int many\n"

    document = read_text(text, file="p.yaml", kind="yaml")

    assert [(problem.line, problem.path) for problem in document.problems] == [
        (1, "since"),
        (2, "count"),
    ]
    assert document.data == {"since": "2024-13-45", "count": "many"}


def test_anchors_aliases_and_merge_keys() -> None:
    text = """\
base: &base
  retries: 2
  cache: false
steps:
  one:
    <<: *base
    run: a.b
    cache: true
  two:
    <<: [{retries: 5}, *base]
    run: a.c
shared: *base
"""
    document = read_text(text, file="p.yaml", kind="yaml")

    assert document.problems == []
    assert document.data["steps"]["one"] == {"retries": 2, "cache": True, "run": "a.b"}
    assert document.data["steps"]["two"] == {"retries": 5, "cache": False, "run": "a.c"}
    assert document.data["shared"] == {"retries": 2, "cache": False}
    # Merged keys point where they are written; keys written out point at themselves.
    assert document.key_positions[("steps", "one", "retries")] == Position(2, 3)
    assert document.key_positions[("steps", "one", "cache")] == Position(8, 5)
    assert document.value_positions[("steps", "two", "retries")] == Position(10, 20)
    assert document.value_positions[("shared", "cache")] == Position(3, 10)


def test_a_recursive_alias_is_a_problem_not_a_hang() -> None:
    document = read_text("name: x\nloop: &a [1, *a]\n", file="p.yaml", kind="yaml")

    assert len(document.problems) == 1
    assert "loop" in document.problems[0].message


def test_an_alias_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_reader, "_MAX_EXPANDED_VALUES", 10_000)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 7)]

    with pytest.raises(ConfigError) as error:
        read_text("\n".join(lines) + "\n", file="bomb.yaml", kind="yaml")

    assert "refusing to read it" in only_problem(error).message


@pytest.mark.parametrize(
    ("text", "line", "column", "words", "hint_words"),
    [
        ("name: a: b\n", 1, 8, "a `:` is not allowed here", "indentation"),
        ("name: 'iris\nsteps: {}\n", 1, 7, "quoted string is never closed", "closing quote"),
        ("name: x\nsteps:\n  a: 1\n b: 2\n", 4, 2, "not indented like", "indentation"),
        ("name: x\nsteps:\n\t- a\n", 3, 1, "tab", "spaces"),
        ("name: x\nsteps: *missing\n", 2, 8, "`*missing` refers to no anchor", "&missing"),
        ("name: x\nsteps: [a, b\nother: 1\n", 3, 6, "list is not closed", "`]`"),
        ("name: x\n---\nname: y\n", 2, 1, "more than one YAML document", "`---`"),
        # An unquoted cron expression starting with `*`: every spelling and layout.
        *(
            (f"schedules:\n  - cron: {cron}\n", 2, 11, "cannot start with `*`", f"'{cron}'")
            for cron in ("*/5 * * * *", "* * * * *", "*/15 9-17 * * 1-5")
        ),
        ("schedules: [{cron: */5 * * * *}]\n", 1, 20, "cannot start with `*`", "'*/5 * * * *'"),
        ("schedules:\n  - cron: * * * * *  # often\n", 2, 11, "as an alias", "'* * * * *'"),
    ],
)
def test_yaml_syntax_errors_are_located_and_explained(
    text: str, line: int, column: int, words: str, hint_words: str
) -> None:
    with pytest.raises(ConfigError) as error:
        read_text(text, file="bad.yaml", kind="yaml")

    problem = only_problem(error)
    assert (problem.file, problem.line, problem.column) == ("bad.yaml", line, column)
    assert problem.message.startswith("YAML syntax error: ")
    assert words in problem.message
    assert problem.hint is not None
    assert hint_words in problem.hint


@pytest.mark.parametrize("text", ["", "\n\n", "  \n", "---\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    with pytest.raises(ConfigError) as error:
        read_text(text, file="empty.yaml", kind="yaml")

    problem = only_problem(error)
    assert problem.message == "the file is empty; a pipeline needs at least `name` and `steps`"
    assert (problem.line, problem.column) == (1, 1)


@pytest.mark.parametrize(
    "text", ["# just a comment\n# and another\n", "\n  # indented\n\n", "--- # a comment\n"]
)
def test_a_file_of_only_comments_says_so(text: str) -> None:
    with pytest.raises(ConfigError) as error:
        read_text(text, file="comments.yaml", kind="yaml")

    problem = only_problem(error)
    assert problem.message == ONLY_COMMENTS
    assert (problem.line, problem.column) == (1, 1)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- load_data\n- train\n", "a list"), ("just text\n", "a string"), ("42\n", "an integer")],
)
def test_the_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    with pytest.raises(ConfigError) as error:
        read_text(text, file="list.yaml", kind="yaml")

    problem = only_problem(error)
    assert problem.message == f"expected a mapping at the top level, got {kind}"
    assert problem.line == 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [("a: " + "[" * 600 + "]" * 600, "yaml"), ("a = " + "[" * 2_000 + "]" * 2_000, "toml")],
)
def test_runaway_nesting_is_an_error_not_a_crash(
    text: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yaml_reader, "_DEEPEST_FLOW", 100)  # take the pure-Python path, quickly
    with pytest.raises(ConfigError) as error:
        read_text(text, file="deep", kind=kind)

    assert only_problem(error).message == "the file nests too deeply to read"


def test_deep_brackets_keep_away_from_libyaml_recursive_composer() -> None:
    # libyaml overflows the C stack somewhere past 20,000 nested brackets, killing the process.
    assert yaml_reader._loader_for("a: " + "[" * 100_000) is yaml_loading.SAFE
    assert issubclass(yaml_loading.SAFE, yaml.SafeLoader)
    assert yaml_reader._loader_for("a: [[1], {b: [2]}]\n" * 1_000) is yaml_reader._LOADER


def test_json_is_read_as_yaml_with_positions() -> None:
    text = '{\n\t"name": "iris",\n\t"steps": {"load": {"run": "a.b"}}\n}\n'

    document = read_text(text, file="pipeline.json", kind="json")

    assert document.data == {"name": "iris", "steps": {"load": {"run": "a.b"}}}
    assert document.key_positions[("steps", "load", "run")] == Position(3, 21)


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="ini"):
        read_text("a = 1", file="x.ini", kind="ini")


# --- files --------------------------------------------------------------------------------------


def test_read_document_chooses_the_reader_by_extension(tmp_path: Path) -> None:
    for name in ("pipeline.yaml", "pipeline.YML", "pipeline.json"):
        (tmp_path / name).write_text('{"name": "x", "steps": {}}\n', encoding="utf-8")
        assert read_document(tmp_path / name).data == {"name": "x", "steps": {}}
    (tmp_path / "pipeline.toml").write_text('name = "x"\n', encoding="utf-8")

    document = read_document(str(tmp_path / "pipeline.toml"))

    assert (document.kind, document.data) == ("toml", {"name": "x"})
    assert document.file == str(tmp_path / "pipeline.toml")


def test_a_byte_order_mark_is_not_content(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "x"\n')

    assert read_document(path).data == {"name": "x"}


def test_a_missing_file_suggests_a_close_name(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yaml").write_text("name: x\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        read_document(tmp_path / "pipline.yaml")

    problem = only_problem(error)
    assert problem.message == "config file not found"
    assert problem.file == str(tmp_path / "pipline.yaml")
    assert problem.hint == "did you mean `pipeline.yaml`?"
    assert error.value.exit_code == 2


@pytest.mark.parametrize(
    ("asked", "present", "hint"),
    [
        ("pl.yaml", "b9.yaml", "check the path and the current directory"),
        ("Pipeline.YAML", "pipeline.yaml", "did you mean `pipeline.yaml`?"),
        ("pipeline.yml", "pipeline.yaml", "did you mean `pipeline.yaml`?"),
    ],
)
def test_only_close_names_are_suggested(
    tmp_path: Path, asked: str, present: str, hint: str
) -> None:
    (tmp_path / present).write_text("name: x\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        read_document(tmp_path / asked)

    assert only_problem(error).hint == hint


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        read_document(tmp_path / "nowhere" / "pipeline.yaml")

    problem = only_problem(error)
    assert problem.message == "config file not found"
    assert problem.hint is not None
    assert "does not exist either" in problem.hint


def test_a_directory_lists_the_pipeline_files_in_it(tmp_path: Path) -> None:
    (tmp_path / "train.yaml").write_text("name: x\nsteps:\n  a: {run: m.f}\n", encoding="utf-8")
    (tmp_path / "nightly.toml").write_text('name = "x"\n[steps.a]\nrun = "m.f"\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    (tmp_path / "params.yaml").write_text("lr: 0.1\n", encoding="utf-8")  # not a pipeline
    (tmp_path / "extra.toml").write_text("seed = 3\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        read_document(tmp_path)

    problem = only_problem(error)
    assert problem.message == (
        f"`{tmp_path}` is a directory; give the pipeline file, e.g. {tmp_path / 'nightly.toml'}"
    )
    assert problem.hint == "pipeline files in it: `nightly.toml`, `train.yaml`"


@pytest.mark.parametrize(
    "text", ["steps = []\n", "[[steps]]\nname = 'a'\n", "steps:\n- a\n", "steps :\n  a: {}\n"]
)
def test_a_pipeline_is_known_by_its_steps_in_every_spelling(tmp_path: Path, text: str) -> None:
    name = "flow.toml" if "=" in text or "[[" in text else "flow.yaml"
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "params.yaml").write_text("steps_count: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        read_document(tmp_path)
    assert only_problem(error).hint == f"pipeline files in it: `{name}`"


def test_a_directory_of_params_files_only_says_none_declares_steps(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("lr: 0.1\n", encoding="utf-8")
    (tmp_path / "grid.toml").write_text("seed = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        read_document(tmp_path)
    problem = only_problem(error)
    assert problem.message.endswith(f"e.g. {tmp_path / 'pipeline.yaml'}")
    assert problem.hint == (
        "none of its files declares `steps` (`grid.toml`, `params.yaml`): is the pipeline "
        "elsewhere?"
    )


def test_an_empty_path_is_this_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pipe.yaml").write_text("name: x\nsteps:\n  a: {run: m.f}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as error:
        pipeflow.load("")
    problem = only_problem(error)
    assert problem.message == "`.` is a directory; give the pipeline file, e.g. ./pipe.yaml"


def test_an_empty_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        read_document(tmp_path)

    problem = only_problem(error)
    assert problem.message.endswith(f"e.g. {tmp_path / 'pipeline.yaml'}")
    assert problem.hint == "it holds no .yaml, .yml or .toml file"


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.cfg"
    path.write_text("name: x\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        read_document(path)

    problem = only_problem(error)
    assert "`.cfg`" in problem.message
    assert problem.hint is not None
    assert ".yaml" in problem.hint


def test_an_undecodable_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")

    with pytest.raises(ConfigError) as error:
        read_document(path)

    problem = only_problem(error)
    assert (problem.line, problem.column) == (2, 17)
    assert "UTF-8" in problem.message


def test_an_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("name: x\n", encoding="utf-8")

    # Tests run as root here, where chmod 0 does not stop a read: inject the OS error instead.
    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ConfigError) as error:
        read_document(path)

    assert only_problem(error).message.startswith("cannot read the config file")


# --- TOML ---------------------------------------------------------------------------------------

PIPELINE_TOML = '''\
# the Iris pipeline
name = "iris"
description = """
A multi-line string with [brackets] and key = "value" lines,
[steps.not_a_table]
"""

[params]
data_path = "data/raw/iris.csv"
"test data ratio" = 0.2
model.depth = 4
labels = [
  "setosa",  # a comment ]
  "versicolor, virginica",
]
since = 1979-05-27 07:32:00Z

[steps.load_data]
run = "steps.iris.load_data"
inputs = { path = "${params.data_path}", options = { sep = ",", header = 0 } }

[steps.split_data]
run = 'steps.iris.split_data'
outputs = ["train_x", "train_y"]
result.target = "{step}_{output}.parquet"

[[schedules]]
cron = "0 6 * * 1-5"

[[schedules]]
interval = "1h"
[schedules.params]
test_data_ratio = 0.3
'''


def test_toml_data_is_read() -> None:
    document = read_text(PIPELINE_TOML, file="pipeline.toml", kind="toml")

    assert document.data == tomllib.loads(PIPELINE_TOML)
    assert document.kind == "toml"
    assert document.problems == []


def test_toml_positions_of_keys_values_and_tables() -> None:
    document = read_text(PIPELINE_TOML, file="pipeline.toml", kind="toml")
    keys, values = document.key_positions, document.value_positions

    assert keys[("name",)] == Position(2, 1)
    assert values[("name",)] == Position(2, 8)
    assert keys[("params",)] == Position(8, 2)
    assert keys[("params", "data_path")] == Position(9, 1)
    assert keys[("params", "test data ratio")] == Position(10, 1)
    assert values[("params", "test data ratio")] == Position(10, 21)
    assert keys[("params", "model")] == Position(11, 1)
    assert keys[("params", "model", "depth")] == Position(11, 7)
    assert values[("params", "model", "depth")] == Position(11, 15)
    assert values[("params", "labels", 1)] == Position(14, 3)
    assert values[("params", "since")] == Position(16, 9)
    assert keys[("steps", "load_data")] == Position(18, 8)
    assert values[("steps", "load_data")] == Position(18, 1)
    assert keys[("steps", "load_data", "run")] == Position(19, 1)
    assert keys[("steps", "split_data", "result", "target")] == Position(25, 8)
    assert values[("steps", "split_data", "outputs", 1)] == Position(24, 23)


def test_toml_positions_inside_inline_tables() -> None:
    document = read_text(PIPELINE_TOML, file="pipeline.toml", kind="toml")
    inputs = ("steps", "load_data", "inputs")

    assert document.value_positions[inputs] == Position(20, 10)
    assert document.key_positions[(*inputs, "path")] == Position(20, 12)
    assert document.value_positions[(*inputs, "path")] == Position(20, 19)
    assert document.key_positions[(*inputs, "options", "sep")] == Position(20, 54)
    assert document.value_positions[(*inputs, "options", "header")] == Position(20, 74)


def test_toml_positions_in_arrays_of_tables() -> None:
    document = read_text(PIPELINE_TOML, file="pipeline.toml", kind="toml")

    assert document.key_positions[("schedules",)] == Position(27, 3)
    assert document.value_positions[("schedules", 0)] == Position(27, 1)
    assert document.key_positions[("schedules", 0, "cron")] == Position(28, 1)
    assert document.value_positions[("schedules", 1)] == Position(30, 1)
    assert document.key_positions[("schedules", 1, "interval")] == Position(31, 1)
    assert document.key_positions[("schedules", 1, "params")] == Position(32, 12)
    assert document.key_positions[("schedules", 1, "params", "test_data_ratio")] == Position(33, 1)
    # Nothing in the multi-line string was taken for a table.
    assert ("steps", "not_a_table") not in document.key_positions


def test_toml_nested_arrays_of_tables_count_per_parent() -> None:
    text = "[[a]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\nx = 2\n[[a.b]]\nx = 3\n"

    document = read_text(text, file="p.toml", kind="toml")

    assert document.data == {"a": [{"b": [{"x": 1}]}, {"b": [{"x": 2}, {"x": 3}]}]}
    assert document.key_positions[("a", 0, "b", 0, "x")] == Position(3, 1)
    assert document.key_positions[("a", 1, "b", 0, "x")] == Position(6, 1)
    assert document.key_positions[("a", 1, "b", 1, "x")] == Position(8, 1)


def test_toml_multi_line_arrays_of_inline_tables() -> None:
    text = 'name = "x"\nschedules = [\n  { cron = "0 6 * * *" },\n  { interval = "1h" },\n]\n'

    document = read_text(text, file="p.toml", kind="toml")

    assert document.key_positions[("schedules", 0, "cron")] == Position(3, 5)
    assert document.key_positions[("schedules", 1, "interval")] == Position(4, 5)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('name = "iris"\n[steps.a]\nrun = steps.x\n', 3, 7, "invalid value"),
        ('name = "x"\n[steps]\nlist = [1, 2\n', 4, 1, "unclosed array"),
    ],
)
def test_toml_syntax_errors_are_located(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        read_text(text, file="bad.toml", kind="toml")

    problem = only_problem(error)
    assert (problem.file, problem.line, problem.column) == ("bad.toml", line, column)
    assert problem.message.startswith("TOML syntax error: ")
    assert words in problem.message
    assert problem.hint is not None


def test_toml_errors_with_position_attributes_are_located() -> None:
    # Python 3.14 keeps the position in attributes and leaves it out of the message; its
    # constructor differs between versions, so the error is assembled by hand.
    error = tomllib.TOMLDecodeError.__new__(tomllib.TOMLDecodeError)
    Exception.__init__(error, "Invalid value")
    error.msg = "Invalid value"  # type: ignore[attr-defined]
    error.lineno = 3  # type: ignore[attr-defined]
    error.colno = 7  # type: ignore[attr-defined]

    problem = toml_reader._toml_syntax_problem(error, "a = 1\n", "p.toml")

    assert (problem.line, problem.column) == (3, 7)
    assert problem.message == "TOML syntax error: invalid value"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty; a pipeline needs at least `name` and `steps`"),
        ("\n  \n", "the file is empty; a pipeline needs at least `name` and `steps`"),
        ("# nothing here\n", ONLY_COMMENTS),
    ],
)
def test_an_empty_toml_file_is_an_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        read_text(text, file="empty.toml", kind="toml")

    problem = only_problem(error)
    assert problem.message == message
    assert (problem.line, problem.column) == (1, 1)


# --- TOML: keys and tables defined twice -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "path", "message", "hint"),
    [
        (
            'name = "demo"\n\n[steps.load]\nrun = "a.load"\nrun = "a.total"\n',
            *(5, 1, "steps.load.run", "duplicate key `run` (first defined at line 4)"),
            "remove or rename one of the two",
        ),
        (
            '[steps.load]\nrun = "a.load"\n\n[steps.load]\ninputs = {}\n',
            *(4, 1, "steps.load", "table `steps.load` is declared twice (first at line 1)"),
            "TOML allows each table once; merge the two definitions",
        ),
        (
            '[steps]\nload.run = "a.load"\n[steps.load]\n',
            *(3, 1, "steps.load", "table `steps.load` is declared twice (first at line 2)"),
            "TOML allows each table once; merge the two definitions",
        ),
        (
            "[params]\nmodel.depth = 3\n  model.depth = 4  # again\n",
            *(3, 3, "params.model.depth", "duplicate key `depth` (first defined at line 2)"),
            "remove or rename one of the two",
        ),
        (
            'inputs = { path = "a", path = "b" }\n',
            *(1, 24, "inputs.path", "duplicate key `path` (first defined at line 1)"),
            "remove or rename one of the two",
        ),
        (
            'name = "x"\ninputs = { a = 1 }\ninputs = { b = 2 }\n',
            *(3, 1, "inputs", "duplicate key `inputs` (first defined at line 2)"),
            "remove or rename one of the two",
        ),
        (
            "[[schedules]]\ncron = 1\n[[schedules]]\ncron = 2\ncron = 3\n",
            *(5, 1, "schedules[1].cron", "duplicate key `cron` (first defined at line 4)"),
            "remove or rename one of the two",
        ),
        (
            "inputs = { a = 1 }\ninputs.b = 2\n",
            2,
            1,
            "inputs.b",
            "`inputs` is already set at line 1, so `inputs.b` cannot be added to it",
            "TOML allows each key and table once; merge the two definitions",
        ),
        (
            "[steps]\nload = 1\n[steps.load]\n",
            *(
                3,
                1,
                "steps.load",
                "table `steps.load` clashes with the key `load` defined at line 2",
            ),
            "remove or rename one of the two",
        ),
        (
            "[steps.load.inputs]\n[steps]\nload = 1\n",
            3,
            1,
            "steps.load",
            "duplicate key `load`: `steps.load` is already a table (declared at line 1)",
            "remove or rename one of the two",
        ),
        (
            'd = """\n[s]\n"""\n[s]\nx = 1\n[s]\n',
            *(6, 1, "s", "table `s` is declared twice (first at line 4)"),
            "TOML allows each table once; merge the two definitions",
        ),
    ],
)
def test_toml_keys_and_tables_defined_twice_are_told_like_yaml_duplicates(
    text: str, line: int, column: int, path: str, message: str, hint: str
) -> None:
    # Reported, and left out, as a YAML duplicate key is: the rest is read and checked too.
    document = read_text(text, file="p.toml", kind="toml")

    [problem] = document.problems
    assert (problem.file, problem.line, problem.column) == ("p.toml", line, column)
    assert (problem.path, problem.message, problem.hint) == (path, message, hint)


def test_a_redefinition_the_scanner_cannot_place_names_no_python_tuple() -> None:
    error = tomllib.TOMLDecodeError.__new__(tomllib.TOMLDecodeError)
    Exception.__init__(error, "Cannot declare ('steps', 'load') twice")
    error.msg = "Cannot declare ('steps', 'load') twice"  # type: ignore[attr-defined]
    error.lineno = 9  # type: ignore[attr-defined]
    error.colno = 1  # type: ignore[attr-defined]

    problem = toml_reader._toml_syntax_problem(error, "a = 1\n", "p.toml")

    assert problem.message == "TOML syntax error: cannot declare `steps.load` twice"
    assert problem.hint == "TOML allows each table once; merge the two definitions"


def test_find_redefinition_ignores_what_follows_the_refused_statement() -> None:
    text = "a = 1\na = 2\n[[[ not toml at all\n"

    found = toml_positions.find_redefinition(text, 2, 6)

    assert found is not None
    assert (found.path, found.kind, found.position) == (("a",), "key", Position(2, 1))
    assert (found.earlier, found.earlier_position) == (("a",), Position(1, 1))
    assert toml_positions.find_redefinition(text, 40, 1) is None


# --- params files -------------------------------------------------------------------------------


def test_a_missing_params_file_points_at_the_option(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("seed: 1\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        read_document(tmp_path / "parms.yaml", purpose="params")

    problem = only_problem(error)
    assert problem.message == "params file not found"
    assert problem.hint == "check the path given to `--param-file` (in Python, `param_files=`)"
    assert problem.file == str(tmp_path / "parms.yaml")


def test_a_params_directory_asks_for_a_params_file(tmp_path: Path) -> None:
    (tmp_path / "train.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        read_document(tmp_path, purpose="params")

    problem = only_problem(error)
    assert problem.message == (
        f"`{tmp_path}` is a directory; give a params file (.json, .yaml or .toml)"
    )
    assert problem.hint == "files in it: `train.json`"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("params.yaml", ""),
        ("params.yaml", "# no overrides today\n"),
        ("params.json", "\n"),
        ("params.toml", ""),
        ("params.toml", "# none\n"),
    ],
)
def test_an_empty_params_file_overrides_nothing(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    document = read_document(path, purpose="params")

    assert document.data == {}
    assert document.problems == []
    assert document.kind == ("toml" if name.endswith(".toml") else "yaml")
    assert document.position(["seed"]) == Position(1, 1)


@pytest.mark.parametrize(("text", "kind"), [('[{"seed": 3}]\n', "a list"), ("3\n", "an integer")])
def test_a_params_file_must_hold_a_mapping(tmp_path: Path, text: str, kind: str) -> None:
    path = tmp_path / "params.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        read_document(path, purpose="params")

    problem = only_problem(error)
    assert problem.message == f"a params file must hold a mapping of names to values, got {kind}"
    assert problem.hint == 'write e.g. {"test_data_ratio": 0.3}'
    assert (problem.file, problem.line, problem.column) == (str(path), 1, 1)


def test_a_params_file_reads_like_a_config(tmp_path: Path) -> None:
    path = tmp_path / "params.toml"
    path.write_text("seed = 3\n", encoding="utf-8")

    document = read_document(path, purpose="params")

    assert document.data == {"seed": 3}
    assert document.key_positions[("seed",)] == Position(1, 1)


def test_an_unknown_purpose_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="purpose"):
        read_document(tmp_path / "p.yaml", purpose="schedule")
    with pytest.raises(ValueError, match="purpose"):
        read_text("a: 1\n", file="p.yaml", kind="yaml", purpose="schedule")


@pytest.mark.parametrize(
    ("first", "second"),
    [("1.0", "1"), ("1", "1.0"), ("0x1", "1")],
)
@pytest.mark.parametrize("nested", [False, True])
def test_keys_python_reads_as_equal_are_a_duplicate_not_a_crash(
    first: str, second: str, nested: bool
) -> None:
    """`1:` and `1.0:` are different YAML keys, but equal once read (1 == 1.0): one value
    would be lost. A located problem, never a traceback. (`1:` beside `true:` is no longer
    a pair: a boolean key is refused on its own and kept as its text,
    `test_yaml_keys.py`.)"""
    indent = "    " if nested else "  "
    head = "params:\n  inner:\n" if nested else "params:\n"
    text = f"name: a\n{head}{indent}{first}: x\n{indent}{second}: y\nsteps: {{}}\n"
    document = read_text(text, file="p.yaml", kind="yaml")
    [problem] = document.problems
    line = 4 if nested else 3
    assert (problem.line, problem.column) == (line + 1, len(indent) + 1)
    assert problem.message == (
        f"duplicate key `{second}`: it reads as the same key as `{first}` "
        f"(line {line}), so one of the two values would be lost"
    )
    assert problem.hint == "quote the keys to keep both as text, or remove one"


@pytest.mark.parametrize(("first", "second"), [("1", "true"), ("true", "1"), ("0", "false")])
def test_a_boolean_key_beside_its_number_is_one_problem_about_the_boolean(
    first: str, second: str
) -> None:
    text = f"name: a\nparams:\n  {first}: x\n  {second}: y\nsteps: {{}}\n"
    document = read_text(text, file="p.yaml", kind="yaml")
    [problem] = document.problems
    boolean, number = (first, second) if first in ("true", "false") else (second, first)
    assert problem.message == f"the key `{boolean}` reads as {boolean} in YAML, not as text"
    assert set(document.data["params"]) == {boolean, int(number)}  # both kept, apart


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"n": 3,}', 1, 9),  # a trailing comma
        ("{'n': 4}", 1, 2),  # single quotes
        ('{"n": 4, name: "bar"}', 1, 10),  # a key without quotes
        ('{\n  "n": 4\n  "m": 5\n}', 3, 3),  # a missing comma
        ('{"n": 4} # a comment', 1, 10),
    ],
)
def test_a_json_file_must_be_json(text: str, line: int, column: int) -> None:
    """A .json file is read as YAML, which would take what JSON refuses: it is checked first."""
    with pytest.raises(ConfigError) as caught:
        read_text(text, file="params.json", kind="json", purpose="params")
    (problem,) = caught.value.problems
    assert problem.message.startswith("not valid JSON: "), problem.message
    assert (problem.line, problem.column) == (line, column)
    assert problem.hint is not None
    assert "double quotes" in problem.hint


def test_a_duplicate_key_in_a_json_file_names_json() -> None:
    document = read_text('{"n": 1, "n": 2}', file="params.json", kind="json", purpose="params")
    (problem,) = document.problems
    assert problem.message == (
        "duplicate key `n` (first defined at line 1); JSON readers would silently keep the last one"
    )


def test_a_json_file_that_is_json_reads_with_positions() -> None:
    document = read_text('{"n": 3, "m": {"a": [1, 2]}}', file="p.json", kind="json")
    assert document.data == {"n": 3, "m": {"a": [1, 2]}}


@pytest.mark.parametrize(
    "deep",
    [
        "[params]\n" + ".".join(["a"] * 20_000) + " = 1\n",  # a dotted key
        "[" + ".".join(["t"] * 20_000) + "]\nx = 1\n",  # a table header
        "[[" + ".".join(["t"] * 20_000) + "]]\nx = 1\n",  # an array of tables
        "a = 1\n" + " . ".join(['"q"'] * 20_000) + " = 1\n",  # quoted parts, spaced
    ],
    ids=["dotted-key", "table", "array-of-tables", "quoted"],
)
def test_a_toml_key_nested_past_the_limit_is_refused_before_tomllib_reads_it(
    deep: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tomllib takes quadratic time over a dotted key's parts (20,000 parts: 7-30 s here):
    a key deeper than the limit is refused at once, at its line, before it is parsed."""
    import tomllib

    def never(text: str) -> object:
        raise AssertionError("tomllib was given the text")

    monkeypatch.setattr(tomllib, "loads", never)
    with pytest.raises(ConfigError) as error:
        read_text('name = "d"\n' + deep, file="deep.toml", kind="toml")
    problem = only_problem(error)
    assert "nests more than 64 levels deep" in problem.message
    assert problem.line == deep.count("\n", 0, deep.index(".")) + 2
    assert problem.hint is not None


def test_toml_keys_of_ordinary_depth_and_dots_in_text_are_read() -> None:
    text = (
        'name = "d"\n'
        "[params]\n" + ".".join(["a"] * 60) + " = 1\n"
        'note = """\n' + ".".join(["x"] * 100) + ' = not a key\n"""\n'
        'dots = "' + "." * 200 + '"\n'
    )
    document = read_text(text, file="ok.toml", kind="toml")
    assert document.data["params"]["dots"] == "." * 200


@pytest.mark.parametrize("name", ["pipeline", "pipeline.txt", "pipeline.cfg", "pipeline.ini"])
def test_a_config_of_no_known_extension_is_told_how_each_is_read(tmp_path: Path, name: str) -> None:
    """The hint names every extension a config may have, and how a `.json` one is read: as
    JSON (a YAML text in a `.json` file is refused), not as YAML, as it said before."""
    path = tmp_path / name
    path.write_text("name: demo\nsteps: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        pipeflow.load(path)
    (problem,) = caught.value.problems
    assert problem.hint == "name the pipeline file .yaml, .yml or .toml (or .json, read as JSON)"
    moved = path.with_suffix(".json")
    path.rename(moved)
    with pytest.raises(ConfigError) as caught:
        pipeflow.load(moved)
    assert caught.value.problems[0].message.startswith("not valid JSON")
