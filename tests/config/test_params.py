from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import pipeflow
from pipeflow.config.params import (
    ParamSource,
    check_type,
    merge_params,
    parse_assignment,
    read_param_file,
)
from pipeflow.errors import ConfigError
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

DEFAULTS = {"ratio": 0.2, "seed": 42, "name": "iris", "model": {"depth": 3, "kind": "tree"}}


def source(values: dict[str, object]) -> ParamSource:
    return ParamSource(values=values, label="test")


def test_later_sources_win_and_merge_deeply() -> None:
    merged, problems = merge_params(
        DEFAULTS, [source({"seed": 1, "model": {"depth": 5}}), source({"seed": 2})]
    )
    assert problems == []
    assert merged == {
        "ratio": 0.2,
        "seed": 2,
        "name": "iris",
        "model": {"depth": 5, "kind": "tree"},
    }
    assert DEFAULTS["seed"] == 42  # the defaults are not touched


def test_int_is_accepted_for_a_float_default() -> None:
    merged, problems = merge_params(DEFAULTS, [source({"ratio": 1})])
    assert problems == []
    assert merged["ratio"] == 1.0
    assert isinstance(merged["ratio"], float)


@pytest.mark.parametrize(
    ("default", "value"),
    [(42, "abc"), (42, 0.5), (0.2, "x"), (True, 1), (1, True), ("a", 3), ({"a": 1}, 3), ([1], "x")],
)
def test_type_changes_are_refused(default: object, value: object) -> None:
    from pipeflow.config.param_types import MISMATCH

    assert check_type(default, value) is MISMATCH


@pytest.mark.parametrize(
    ("value", "text"),
    [(date(2024, 2, 1), "2024-02-01"), (7, "7"), (0.5, "0.5"), (True, "true")],
)
def test_a_text_param_given_what_yaml_read_as_another_type_is_told_to_quote_it(
    value: object, text: str
) -> None:
    """`--param day=2024-02-01` for a text default: the user typed text, YAML read a date."""
    _, problems = merge_params({"day": "2024-01-01"}, [source({"day": value})])
    assert len(problems) == 1
    assert problems[0].hint is not None
    assert problems[0].hint.startswith(f'quote it to keep it text, as its default is: `"{text}"`')
    assert f"--param 'day=\"{text}\"'" in problems[0].hint


def test_another_type_for_a_number_param_says_to_match_its_default() -> None:
    _, problems = merge_params({"n": 3}, [source({"n": "x"})])
    assert problems[0].hint == "give `n` a value of the same type as its default"


def test_unknown_param_has_a_suggestion() -> None:
    _, problems = merge_params(DEFAULTS, [source({"rato": 0.3})])
    assert len(problems) == 1
    assert "unknown param `rato`" in problems[0].message
    assert problems[0].hint == "did you mean `ratio`?"


def test_extra_params_allowed_on_request() -> None:
    merged, problems = merge_params(DEFAULTS, [source({"extra": 1})], allow_extra=True)
    assert problems == []
    assert merged["extra"] == 1


def test_every_problem_is_reported() -> None:
    _, problems = merge_params(
        DEFAULTS, [source({"seed": "x", "nope": 1, "model": {"depth": "y"}})]
    )
    assert len(problems) == 3


def test_assignment_reads_yaml_scalars_and_nests() -> None:
    assert parse_assignment("ratio=0.5").values == {"ratio": 0.5}
    assert parse_assignment("seed=7").values == {"seed": 7}
    assert parse_assignment("name=setosa").values == {"name": "setosa"}
    assert parse_assignment("flag=true").values == {"flag": True}
    assert parse_assignment("model.depth=4").values == {"model": {"depth": 4}}
    assert parse_assignment("name=").values == {"name": ""}
    assert parse_assignment("name=a=b").values == {"name": "a=b"}


@pytest.mark.parametrize("text", ["ratio", "=3", "a..b=1"])
def test_assignment_without_key_or_equals_is_a_usage_error(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_assignment(text)
    assert caught.value.exit_code == 2


def test_param_files_by_extension(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps({"seed": 1}))
    (tmp_path / "p.yaml").write_text("seed: 2\n")
    (tmp_path / "p.toml").write_text("seed = 3\n")
    found = [read_param_file(tmp_path / f"p.{ext}").values for ext in ("json", "yaml", "toml")]
    assert found == [{"seed": 1}, {"seed": 2}, {"seed": 3}]


def test_a_param_file_problem_points_into_that_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("ratio: 0.3\nseed: abc\n")
    _, problems = merge_params(DEFAULTS, [read_param_file(path)])
    assert len(problems) == 1
    assert problems[0].file is not None
    assert problems[0].file.endswith("p.yaml")
    assert problems[0].line == 2


def test_missing_param_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_param_file(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("color=#ff0000", "#ff0000"),  # YAML reads a comment: nothing
        ("note=take #2", "take #2"),  # YAML reads `take`
        ("tag=#", "#"),
        ("note=a#b", "a#b"),  # no comment in YAML: as it was
        # A number, a list or a boolean YAML read before a comment: the text too, not the
        # number with the rest of the value silently dropped.
        ("count=3 # three", "3 # three"),
        ("sizes=[1, 2] #two", "[1, 2] #two"),
        ("flag=true\t# yes", "true\t# yes"),
        ("sizes=[1, '#x']", [1, "#x"]),  # a `#` inside a quoted text is no comment
        ("sizes=[1, 2]#x", "[1, 2]#x"),  # not valid YAML: the text as it was
        ("count=3", 3),
        ("empty=", ""),
        ("nothing=null", None),
        ("nothing=~", None),
    ],
)
def test_a_param_value_holding_a_hash_is_taken_as_written(given: str, expected: object) -> None:
    """`--param color=#ff0000` was None: YAML took `#ff0000` for a comment."""
    key = given.split("=", 1)[0]
    assert parse_assignment(given).values == {key: expected}


@pytest.mark.parametrize(
    ("given", "meant"),
    [({"model": {"dept": 5}}, "model.depth"), ({"rato": 0.3}, "ratio"), ({"modl": {}}, "model")],
)
def test_the_suggestion_for_a_nested_unknown_param_is_its_whole_dotted_name(
    given: dict[str, object], meant: str
) -> None:
    """`--param model.dept=5` is told `model.depth`, what to write on the command line."""
    _, problems = merge_params(DEFAULTS, [source(given)])
    assert [problem.hint for problem in problems] == [f"did you mean `{meant}`?"]


VALIDATE = (sys.executable, "-m", "pipeflow", "validate")


def test_a_params_file_missing_here_but_beside_the_config_is_named_in_the_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pipeflow run proj/pipeline.yaml --param-file params.json`: the file is read from the
    current folder, as documented; the hint says so and names the one beside the config."""
    project = tmp_path / "proj"
    (project / "params").mkdir(parents=True)
    (project / "st.py").write_text("def echo(v):\n    return v\n")
    (project / "params" / "p.json").write_text('{"n": 2}')
    config = project / "pipeline.yaml"
    config.write_text("name: p\nparams: {n: 1}\nsteps:\n  a: {run: st.echo, inputs: {v: 1}}\n")
    result = subprocess.run(
        [*VALIDATE, "proj/pipeline.yaml", "--param-file", "params/p.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    said = "the one beside the config is `proj/params/p.json`"
    assert said in result.stderr
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load("proj/pipeline.yaml", param_files=["params/p.json"])
    assert said in str(raised.value)
    with pytest.raises(ConfigError) as elsewhere:
        pipeflow.load("proj/pipeline.yaml", param_files=["params/none.json"])
    assert "beside the config" not in str(elsewhere.value)


@pytest.mark.parametrize("given", ["", "  "])
@pytest.mark.parametrize("command", ["run", "validate", "status"])
def test_an_empty_params_file_path_is_refused_not_read_as_the_current_folder(
    tmp_path: Path, given: str, command: str
) -> None:
    """`--param-file "$PARAMS"` with PARAMS unset said "`.` is a directory"."""
    (tmp_path / "st.py").write_text("def echo(v):\n    return v\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: p\nparams: {n: 1}\nsteps:\n  a: {run: st.echo, inputs: {v: 1}}\n")
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", command, str(config), "--param-file", given],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "'--param-file': the path is empty" in result.stderr
    assert "is a directory" not in result.stderr
    for way in (
        lambda: pipeflow.load(config, param_files=given),
        lambda: pipeflow.load(config).run(param_files=[given], history=False),
        lambda: pipeflow.load(config).with_params(param_files=given),
    ):
        with pytest.raises(ValueError, match="`param_files` takes paths of files, got an empty"):
            way()


@pytest.mark.parametrize("written", ["Results: v2", "- first", "[draft]", "{name}"])
def test_a_text_param_given_text_yaml_reads_as_a_collection_is_told_to_quote_it(
    written: str, make_project: ProjectFactory
) -> None:
    """`--param 'title=Results: v2'` for a text default: YAML reads a mapping, and the hint
    was only "give `title` a value of the same type as its default"."""
    config = make_project(
        'name: p\nparams: {title: "Report"}\nsteps:\n'
        '  a: {run: qsteps.f, inputs: {t: "${params.title}"}}\n',
        qsteps="def f(t):\n    return t\n",
    )
    result = pipeflow_in(config.parent, "validate", config.name, "--param", f"title={written}")
    assert result.returncode == 2, result.stderr
    assert f"--param 'title=\"{written}\"'" in result.stderr, result.stderr
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config, param_options=[f"title={written}"])
    (problem,) = raised.value.problems
    assert problem.hint is not None
    assert problem.hint.startswith(f'quote it to keep it text, as its default is: `"{written}"`')
