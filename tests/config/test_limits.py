"""No input nests or expands without bound, and no param is a non-finite number.

Every format (YAML, TOML, JSON), every input (configs, params files, `--param` values and keys,
params passed to the API): a clear problem and exit 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError, UsageError

DEEP = 500
KEYS = ".".join(f"k{index}" for index in range(DEEP))
BRACKETS = "[" * DEEP + "1" + "]" * DEEP
INLINE_TOML = "{a = " * DEEP + "1" + "}" * DEEP
OBJECTS_JSON = '{"a": ' * DEEP + "1" + "}" * DEEP
BLOCK_YAML = "".join("  " * (index + 1) + f"k{index}:\n" for index in range(DEEP)) + "  " * (
    DEEP + 1
)
BOMB = "".join(
    f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]\n" for level in range(1, 9)
)
BOMB = 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]\n' + BOMB
STEP = "def f():\n    return 1\n"

CONFIGS = {
    "toml-dotted-keys": ("pipeline.toml", f'name = "deep"\n{KEYS} = 1\n[steps.a]\nrun = "s.f"\n'),
    "toml-table-header": (
        "pipeline.toml",
        f'name = "deep"\n[steps.a]\nrun = "s.f"\n[{KEYS}]\nx = 1\n',
    ),
    "toml-inline-tables": (
        "pipeline.toml",
        f'name = "deep"\nx = {INLINE_TOML}\n[steps.a]\nrun = "s.f"\n',
    ),
    "toml-arrays": ("pipeline.toml", f'name = "deep"\nx = {BRACKETS}\n[steps.a]\nrun = "s.f"\n'),
    "yaml-flow": ("pipeline.yaml", f"name: deep\nsteps:\n  a: {{run: s.f}}\nx: {BRACKETS}\n"),
    "yaml-block": ("pipeline.yaml", f"name: deep\nsteps:\n  a: {{run: s.f}}\nx:\n{BLOCK_YAML}1\n"),
    "yaml-alias-bomb": ("pipeline.yaml", f"name: deep\nsteps:\n  a: {{run: s.f}}\n{BOMB}"),
    "json-objects": (
        "pipeline.json",
        f'{{"name": "deep", "steps": {{"a": {{"run": "s.f"}}}}, "x": {OBJECTS_JSON}}}',
    ),
}

PARAM_FILES = {
    "toml-dotted-keys": ("params.toml", f"{KEYS} = 1\n"),
    "toml-inline-tables": ("params.toml", f"x = {INLINE_TOML}\n"),
    "toml-arrays": ("params.toml", f"x = {BRACKETS}\n"),
    "yaml-flow": ("params.yaml", f"x: {BRACKETS}\n"),
    "yaml-block": ("params.yaml", f"x:\n{BLOCK_YAML}1\n"),
    "yaml-alias-bomb": ("params.yaml", f"x: 1\n{BOMB}"),
    "json-arrays": ("params.json", f'{{"x": {BRACKETS}}}'),
    "json-objects": ("params.json", f'{{"x": {OBJECTS_JSON}}}'),
}


def invoke(folder: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output
    return result.exit_code, output


def project(tmp_path: Path, name: str = "pipeline.yaml", text: str | None = None) -> Path:
    (tmp_path / "s.py").write_text(STEP, encoding="utf-8")
    config = tmp_path / name
    config.write_text(text or "name: deep\nparams: {x: 1.5}\nsteps:\n  a: {run: s.f}\n")
    return config


@pytest.mark.parametrize("case", sorted(CONFIGS))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_config_that_nests_or_expands_without_bound_is_refused(
    tmp_path: Path, case: str, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name, text = CONFIGS[case]
    config = project(tmp_path, name, text)
    code, output = invoke(tmp_path, command, str(config), "--allow-extra-params")
    assert code == 2, output
    assert "deep" in output or "expand" in output


@pytest.mark.parametrize("case", sorted(PARAM_FILES))
def test_a_params_file_that_nests_or_expands_without_bound_is_refused(
    tmp_path: Path, case: str
) -> None:
    config = project(tmp_path)
    name, text = PARAM_FILES[case]
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, output = invoke(
        tmp_path,
        "validate",
        str(config),
        "--allow-extra-params",
        "--param-file",
        str(tmp_path / name),
    )
    assert code == 2, output
    assert "deep" in output or "expand" in output


@pytest.mark.parametrize(
    "assignment",
    [f"x={BRACKETS}", f"x={'[' * 100_000}", f"{KEYS}=1", f"x={{{'a: {' * DEEP}1{'}' * DEEP}}}"],
    ids=["value", "unclosed-value", "key", "mapping-value"],
)
def test_a_param_option_that_nests_without_bound_is_refused(
    tmp_path: Path, assignment: str
) -> None:
    config = project(tmp_path)
    code, output = invoke(
        tmp_path, "validate", str(config), "--allow-extra-params", "--param", assignment
    )
    assert code == 2, output
    assert "deep" in output


def test_params_passed_to_the_api_that_nest_without_bound_are_refused(tmp_path: Path) -> None:
    config = project(tmp_path)
    value: object = 1
    for _ in range(DEEP):
        value = {"a": value}
    with pytest.raises((ConfigError, UsageError), match="deep"):
        pipeflow.load(config, params={"x": value}, allow_extra_params=True)


NON_FINITE_OPTIONS = [
    ".nan",
    ".NaN",
    ".NAN",
    ".inf",
    ".Inf",
    "-.inf",
    "-.Inf",
    "+.inf",
    "[1, .nan]",
]


@pytest.mark.parametrize("value", NON_FINITE_OPTIONS)
@pytest.mark.parametrize("command", ["validate", "run", "status"])
def test_a_non_finite_param_option_is_refused(tmp_path: Path, value: str, command: str) -> None:
    config = project(tmp_path)
    code, output = invoke(
        tmp_path, command, str(config), "--allow-extra-params", "--param", f"x={value}"
    )
    assert code == 2, output
    assert "finite" in output


NON_FINITE_FILES = {
    "json-nan": ("params.json", '{"x": NaN}'),
    "json-infinity": ("params.json", '{"x": -Infinity}'),
    "json-nested": ("params.json", '{"y": {"z": [1, Infinity]}}'),
    "yaml-nan": ("params.yaml", "x: .nan\n"),
    "yaml-inf": ("params.yaml", "x: -.Inf\n"),
    "toml-nan": ("params.toml", "x = nan\n"),
    "toml-inf": ("params.toml", "x = -inf\n"),
    "toml-plus-inf": ("params.toml", "x = +inf\n"),
}


@pytest.mark.parametrize("case", sorted(NON_FINITE_FILES))
def test_a_non_finite_number_in_a_params_file_is_refused(tmp_path: Path, case: str) -> None:
    config = project(tmp_path)
    name, text = NON_FINITE_FILES[case]
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, output = invoke(
        tmp_path,
        "validate",
        str(config),
        "--allow-extra-params",
        "--param-file",
        str(tmp_path / name),
    )
    assert code == 2, output
    assert "finite" in output


@pytest.mark.parametrize("spelling", [".nan", ".inf", "-.Inf"])
def test_a_non_finite_default_param_is_refused(tmp_path: Path, spelling: str) -> None:
    config = project(
        tmp_path, text=f"name: deep\nparams: {{x: {spelling}}}\nsteps:\n  a: {{run: s.f}}\n"
    )
    code, output = invoke(tmp_path, "validate", str(config))
    assert code == 2, output
    assert "finite" in output
    assert ":2:" in output  # located in the file


def test_non_finite_params_passed_to_the_api_are_refused(tmp_path: Path) -> None:
    config = project(tmp_path)
    for value in (float("nan"), float("inf"), [float("-inf")], {"deep": float("nan")}):
        with pytest.raises(ConfigError, match="finite"):
            pipeflow.load(config, params={"x": value}, allow_extra_params=True)
