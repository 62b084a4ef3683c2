"""Golden tests: the exact report `pipeflow validate` prints for one mistake per config.

Each `NAME.yaml` / `NAME.toml` in tests/assets/invalid/ that has a `NAME.expected` beside it holds
one mistake (`several_mistakes.yaml` holds several); `NAME.expected` is the exact text that
`pipeflow validate NAME.yaml` prints to stderr when run with that folder as the working directory.
The params and bad-path cases, which need extra arguments, are listed in CLI_CASES below.

UPDATE_GOLDEN=1 rewrites every `.expected` file from what pipeflow prints now:

    UPDATE_GOLDEN=1 pytest tests/config/test_invalid_configs.py

then read `git diff tests/assets/invalid` line by line before committing: each report must give
file:line:col (where there is a file), the path in the document, what is wrong and what to do.
To add a case, write the config and an empty `NAME.expected`, then run with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeflow.cli import cli

FOLDER = Path(__file__).resolve().parents[1] / "assets" / "invalid"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# (config, extra arguments, expected file): cases that need more than the config's name.
CLI_CASES: list[tuple[str, list[str], str]] = [
    ("params_base.yaml", ["--param-file", "params_list.json"], "params_not_mapping.expected"),
    (
        "params_base.yaml",
        ["--param-file", "params_unknown_key.params.yaml"],
        "params_unknown_key.expected",
    ),
    (
        "params_base.yaml",
        ["--param-file", "params_type_change.params.yaml"],
        "params_type_change.expected",
    ),
    ("params_base.yaml", ["--param", "limit"], "param_without_equals.expected"),
    ("params_base.yaml", ["--param", "limt=3"], "param_option_unknown.expected"),
    ("params_base.yaml", ["--param", "limit=three"], "param_option_type_change.expected"),
    (
        "params_base.yaml",
        ["--param-file", "no_such_params.yaml"],
        "params_file_missing.expected",
    ),
    ("no_such_pipeline.yaml", [], "config_missing.expected"),
    ("project_dir", [], "config_is_directory.expected"),
]

# Configs in the folder that are valid on purpose (they have no `.expected`).
VALID_CONFIGS = {"params_base.yaml", "valid_marker.yaml"}
MARKER = "MARKER_WRITTEN_BY_A_STEP"  # what validsteps.write_marker writes beside itself


def golden_configs() -> list[str]:
    names = [
        path.name
        for pattern in ("*.yaml", "*.toml")
        for path in FOLDER.glob(pattern)
        if path.with_suffix(".expected").is_file()
    ]
    return sorted(names)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["validate", *args])


def crash_report(result: Result) -> str:
    """The traceback, when the command raised instead of reporting."""
    if result.exception is None or isinstance(result.exception, SystemExit):
        return ""
    assert result.exc_info is not None
    return "".join(traceback.format_exception(*result.exc_info))


def check_golden(args: list[str], expected_file: Path) -> None:
    result = invoke(*args)
    assert not crash_report(result), crash_report(result)
    if UPDATE:
        expected_file.write_text(result.stderr, encoding="utf-8")
    assert result.exit_code == 2, result.output
    assert result.stdout == "", "the text report goes to stderr only"
    assert result.stderr == expected_file.read_text(encoding="utf-8")


@pytest.fixture
def project_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo what validating a project does to the process: sys.path and imported step modules."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name == "validsteps" or name.startswith("validsteps."):
            del sys.modules[name]


@pytest.fixture
def in_golden_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_state: None) -> None:
    """A copy of the golden folder as the working directory: validation remembers which step
    modules imported cleanly under `.pipeflow/`, which must not land in the repository."""
    copy = tmp_path / "invalid"
    shutil.copytree(FOLDER, copy, ignore=shutil.ignore_patterns("__pycache__", ".pipeflow"))
    monkeypatch.chdir(copy)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


@pytest.mark.usefixtures("in_golden_folder")
@pytest.mark.parametrize("config", golden_configs())
def test_report_of_invalid_config(config: str) -> None:
    check_golden([config], (FOLDER / config).with_suffix(".expected"))


@pytest.mark.usefixtures("in_golden_folder")
@pytest.mark.parametrize(
    ("config", "extra", "expected"),
    CLI_CASES,
    ids=[expected.removesuffix(".expected") for _, _, expected in CLI_CASES],
)
def test_report_of_invalid_params_and_paths(config: str, extra: list[str], expected: str) -> None:
    check_golden([config, *extra], FOLDER / expected)


@pytest.mark.usefixtures("in_golden_folder")
def test_an_empty_params_file_overrides_nothing() -> None:
    result = CliRunner().invoke(
        cli, ["validate", "params_base.yaml", "--param-file", "params_empty.params.yaml"]
    )
    assert result.exit_code == 0, result.output


def test_every_file_in_the_folder_is_a_case() -> None:
    """No orphaned `.expected` file, and no config silently left out of the golden tests."""
    configs = {path.name for pattern in ("*.yaml", "*.toml") for path in FOLDER.glob(pattern)}
    params_files = {name for name in configs if ".params." in name}
    assert configs - params_files - VALID_CONFIGS == set(golden_configs())
    used = {Path(config).with_suffix(".expected").name for config in golden_configs()}
    used |= {expected for _, _, expected in CLI_CASES}
    assert {path.name for path in FOLDER.glob("*.expected")} == used
    assert len(golden_configs()) >= 38


def test_several_mistakes_are_all_reported_sorted_by_line() -> None:
    text = (FOLDER / "several_mistakes.expected").read_text(encoding="utf-8")
    heads = [line for line in text.splitlines() if line.startswith("several_mistakes.yaml:")]
    assert len(heads) >= 4
    positions = [tuple(int(n) for n in head.split(":")[1:3]) for head in heads]
    assert positions == sorted(positions)
    assert text.endswith(f"{len(heads)} problems found; nothing was run.\n")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, with a hash of each file's content."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        found[relative] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
        )
    return found


@pytest.fixture
def golden_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_state: None) -> Path:
    """A fresh copy of the golden folder as the working directory, bytecode writing on (as for
    a user who has not set PYTHONDONTWRITEBYTECODE)."""
    copy = tmp_path / "invalid"
    shutil.copytree(FOLDER, copy, ignore=shutil.ignore_patterns("__pycache__", ".pipeflow", MARKER))
    monkeypatch.chdir(copy)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return copy


def test_validation_writes_nothing_but_its_own_cache(golden_copy: Path) -> None:
    """Nothing in the user's project, no __pycache__ either; only pipeflow's own cache of
    which step modules imported cleanly, under `.pipeflow/`."""
    before = snapshot(golden_copy)
    runs = [[config] for config in golden_configs()]
    runs += [[config, *extra] for config, extra, _ in CLI_CASES]
    runs += [[config] for config in sorted(VALID_CONFIGS)]
    for args in runs:
        result = invoke(*args)
        assert not crash_report(result), crash_report(result)
    after = snapshot(golden_copy)
    created = sorted(after.keys() - before.keys())
    assert created == [".pipeflow", ".pipeflow/import-checks.json"], "files were created"
    assert {name for name in before if before[name] != after.get(name)} == set(), "files changed"
    remembered = json.loads((golden_copy / ".pipeflow" / "import-checks.json").read_text())
    assert list(remembered["modules"]) == ["validsteps"]


def test_validate_never_calls_the_step_functions(golden_copy: Path) -> None:
    result = invoke("valid_marker.yaml")
    assert result.exit_code == 0, result.output + crash_report(result)
    assert "is valid" in result.stdout
    assert not (golden_copy / MARKER).exists(), "validate called the step's function"

    # The control: calling the function does write the marker, so its absence above means it
    # was not called.
    spec = importlib.util.spec_from_file_location("_marker_steps", golden_copy / "validsteps.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_marker()
    assert (golden_copy / MARKER).read_text(encoding="utf-8") == "ran"
