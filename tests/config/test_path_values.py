"""A whole reference in `reads:`/`writes:` must stand for a path: text, or a list of them.

A param that holds a mapping, a boolean, null, a float, a list inside a list or an empty text
is refused by `validate` (exit 2) and by `pipeflow.load`, at the entry's place, naming the
reference and what it holds; an integer stays a path (a folder named `2024`). A `foreach`
item known only during the run, used whole, fails its step with the same words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def nothing():
    return None


def items():
    return [{"a": 1}]


def write(item):
    return item
"""

# (the param's value in YAML, in TOML (None: TOML has no such value), what it is said to be)
VALUES = [
    ("{a: 1}", "{a = 1}", "a mapping"),
    ("true", "true", "a boolean"),
    ("null", None, "null"),
    ("0.5", "0.5", "a float"),
    ("[[data/x]]", '[["data/x"]]', "a list inside a list"),
    ("[data/x, {a: 1}]", '["data/x", {a = 1}]', "a mapping"),
    ("''", '""', "an empty text"),
]


def _config(folder: Path, kind: str, value: str, field: str) -> Path:
    (folder / "pathsteps.py").write_text(STEPS)
    if kind == "yaml":
        text = (
            f"name: paths\nparams:\n  path: {value}\nsteps:\n"
            f'  a:\n    run: pathsteps.nothing\n    {field}: ["data/in.txt", "${{params.path}}"]\n'
        )
    else:
        text = (
            f'name = "paths"\n[params]\npath = {value}\n[steps.a]\nrun = "pathsteps.nothing"\n'
            f'{field} = ["data/in.txt", "${{params.path}}"]\n'
        )
    config = folder / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


def _cases() -> list[tuple[str, str, str]]:
    found = []
    for yaml_value, toml_value, kind in VALUES:
        found.append(("yaml", yaml_value, kind))
        if toml_value is not None:
            found.append(("toml", toml_value, kind))
    return found


@pytest.mark.parametrize("field", ["reads", "writes"])
@pytest.mark.parametrize(("kind", "value", "what"), _cases())
def test_validate_refuses_a_reference_that_holds_no_path(
    tmp_path: Path, field: str, kind: str, value: str, what: str
) -> None:
    config = _config(tmp_path, kind, value, field)
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    text = result.stderr
    assert f"`steps.a.{field}[1]`" in text, text
    assert f"`{field}` names `${{params.path}}`, which holds" in text, text
    assert f"({what}), not a path" in text, text
    assert "a path as text" in text, text
    assert "holds the config itself" not in text, text
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    assert f"`{field}` names `${{params.path}}`, which holds" in raised.value.format()


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("yaml", "2024"),
        ("yaml", "[data/a, 2024]"),
        ("yaml", "data/x"),
        ("toml", "2024"),
        ("toml", '["data/a", 2024]'),
        ("toml", '"data/x"'),
    ],
)
def test_text_and_whole_numbers_are_paths(tmp_path: Path, kind: str, value: str) -> None:
    config = _config(tmp_path, kind, value, "writes")
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_foreach_item_only_known_in_the_run_that_is_no_path_fails_its_step(
    tmp_path: Path,
) -> None:
    (tmp_path / "pathsteps.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: paths\nsteps:\n  items: {run: pathsteps.items}\n"
        '  write:\n    run: pathsteps.write\n    foreach: "${steps.items}"\n'
        '    reads: ["${item}"]\n',
        encoding="utf-8",
    )
    result = pipeflow_in(tmp_path, "run", config.name)
    assert result.returncode == 1, result.stdout + result.stderr
    text = result.stdout + result.stderr
    assert "`reads` names `${item}`, which holds {'a': 1} (a mapping), not a path" in text, text
    assert "{'a': 1} is not there" not in text, text


@pytest.mark.parametrize("field", ["reads", "writes"])
def test_an_environment_variable_that_is_empty_is_no_path_and_an_unset_one_is_said_once(
    tmp_path: Path, field: str
) -> None:
    (tmp_path / "pathsteps.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f'name: paths\nsteps:\n  a: {{run: pathsteps.nothing, {field}: "${{env.PF_OUT_DIR}}"}}\n',
        encoding="utf-8",
    )
    result = pipeflow_in(tmp_path, "validate", config.name, env={"PF_OUT_DIR": ""})
    assert result.returncode == 2, result.stdout + result.stderr
    said = f"`{field}` names `${{env.PF_OUT_DIR}}`, which holds '' (an empty text), not a path"
    assert said in result.stderr, result.stderr
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "environment variable `PF_OUT_DIR` is not set" in result.stderr, result.stderr
    assert "1 problem found" in result.stderr, result.stderr
