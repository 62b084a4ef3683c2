"""A big config's reading is remembered beside it and used while its text is the same.

What must hold (`pipeflow/config/readings.py`): a config read from its remembered reading gives
exactly what reading its text gives (the same values of the same types, the same problems at
the same lines and columns), any change of the text or damage to the file is read afresh, only
plainly read configs are remembered, and failing to remember is never an error.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.config import readings
from pipeflow.config.loader import load
from pipeflow.config.reader import read_document
from pipeflow.errors import ConfigError

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "invalid"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PADDING = "\n# " + "-" * readings.SMALLEST + "\n"  # makes any config big enough to remember


def exact(value: Any) -> Any:
    """A value with every type spelled out: 1, 1.0 and True compare different here."""
    if isinstance(value, dict):
        return {key: exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [exact(item) for item in value]
    return (type(value).__name__, value)


def big_chain(steps: int, *, description: str = "chain") -> str:
    lines = [
        "name: big",
        f"description: {description}",
        "results: {persist: false}",
        "params: {rate: 0.25, count: 3, flag: true, nothing: null, big: 12345678901234567890}",
        "steps:",
        "  s0: {run: bigsteps.source, inputs: {values: [1, 2.5, -0.0, 'text', {a: 1e3}]}}",
    ]
    lines += [
        f'  s{i}: {{run: bigsteps.inc, inputs: {{x: "${{steps.s{i - 1}}}"}}}}'
        for i in range(1, steps)
    ]
    return "\n".join(lines) + "\n"


STEPS = """\
def source(values: list) -> int:
    return 1


def inc(x: int) -> int:
    return x + 1
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder with a config big enough to be remembered (and its step module)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (tmp_path / "bigsteps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / "pipeline.yaml"
    config.write_text(big_chain(6000), encoding="utf-8")
    assert config.stat().st_size >= readings.SMALLEST
    yield config
    sys.modules.pop("bigsteps", None)


def test_a_big_config_is_remembered_and_read_back_exactly(project: Path) -> None:
    first = read_document(project)
    remembered = readings.place(project)
    assert remembered == project.parent / ".pipeflow" / "readings" / "pipeline.yaml.json"
    assert remembered.is_file()
    second = read_document(project)
    assert exact(second.data) == exact(first.data)
    assert (second.kind, second.plain, second.problems) == (first.kind, first.plain, [])
    # Positions, found from the text when asked, are the same.
    assert second.value_positions == first.value_positions
    assert second.key_positions == first.key_positions
    assert load(project).pipeline == load(project).pipeline


def test_the_remembered_reading_is_what_is_read(project: Path) -> None:
    """Not a check that can pass without the file being used: a reading changed inside the
    file (its key kept) is what the next read gives."""
    read_document(project)
    remembered = readings.place(project)
    document = json.loads(remembered.read_text(encoding="utf-8"))
    document["data"]["description"] = "changed in the remembered reading"
    remembered.write_text(json.dumps(document), encoding="utf-8")
    assert read_document(project).data["description"] == "changed in the remembered reading"


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: "", id="empty"),
        pytest.param(lambda text: text[: len(text) // 2], id="cut short"),
        pytest.param(lambda text: "[1, 2]", id="not an object"),
        pytest.param(lambda text: json.dumps({"key": "0" * 64, "data": {}}), id="another key"),
        pytest.param(
            lambda text: json.dumps({**json.loads(text), "data": [1]}), id="data not a mapping"
        ),
        pytest.param(lambda text: "\udcff", id="not text"),
    ],
)
def test_a_damaged_reading_is_read_afresh_and_written_again(project: Path, damage: Any) -> None:
    fresh = read_document(project).data
    remembered = readings.place(project)
    text = remembered.read_text(encoding="utf-8")
    remembered.write_bytes(damage(text).encode("utf-8", "surrogateescape"))
    assert exact(read_document(project).data) == exact(fresh)
    assert remembered.read_text(encoding="utf-8") == text


def test_an_edited_config_is_read_afresh(project: Path) -> None:
    read_document(project)
    before = readings.place(project).read_text(encoding="utf-8")
    project.write_text(big_chain(6000, description="edited"), encoding="utf-8")
    assert read_document(project).data["description"] == "edited"
    assert readings.place(project).read_text(encoding="utf-8") != before
    # One more character anywhere is another text.
    project.write_text(big_chain(6000, description="edited") + " ", encoding="utf-8")
    assert read_document(project).data["description"] == "edited"


def test_small_configs_and_params_files_are_not_remembered(tmp_path: Path) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(big_chain(10), encoding="utf-8")
    read_document(small)
    params = tmp_path / "params" / "big.yaml"
    params.parent.mkdir()
    params.write_text("rate: 0.5\n" + PADDING, encoding="utf-8")
    assert read_document(params, purpose="params").data == {"rate": 0.5}
    assert not (tmp_path / ".pipeflow").exists()
    assert not (params.parent / ".pipeflow").exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("dated.yaml", "name: d\nsteps: {a: {run: m.f}}\nparams: {day: 2024-01-31}\n"),
        ("duplicate.yaml", "name: d\nname: e\nsteps: {a: {run: m.f}}\n"),
        ("alias.yaml", "name: d\nbase: &b {run: m.f}\nsteps: {a: *b}\n"),
        ("infinite.yaml", "name: d\nsteps: {a: {run: m.f}}\nparams: {x: .inf}\n"),
        ("dated.toml", 'name = "d"\n[params]\nday = 2024-01-31\n[steps.a]\nrun = "m.f"\n'),
    ],
)
def test_only_plain_readings_are_remembered(tmp_path: Path, name: str, text: str) -> None:
    """A date, a duplicate key, an alias, an infinite number: JSON cannot give it back, or the
    reading has something to report; the text is read each time."""
    config = tmp_path / name
    config.write_text(text + PADDING, encoding="utf-8")
    with contextlib.suppress(ConfigError):
        read_document(config)
    assert not readings.place(config).exists()


def test_toml_is_remembered_too(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.toml"
    steps = "\n".join(f'[steps.s{i}]\nrun = "m.f"\ninputs = {{x = {i}, y = 0.5}}' for i in range(9))
    config.write_text(f'name = "t"\n{steps}\n{PADDING}', encoding="utf-8")
    first = read_document(config)
    assert readings.place(config).is_file()
    second = read_document(config)
    assert exact(second.data) == exact(first.data)
    assert (second.kind, second.plain) == ("toml", False)
    assert second.value_positions == first.value_positions


def test_failing_to_remember_is_no_error(project: Path) -> None:
    (project.parent / ".pipeflow").write_text("a file where the folder would go")
    read_document(project)
    read_document(project)
    assert (project.parent / ".pipeflow").is_file()


def test_a_problem_is_reported_at_the_same_place_from_a_remembered_reading(
    project: Path,
) -> None:
    text = big_chain(6000).replace(
        "s4321: {run: bigsteps.inc,", "s4321: {run: bigsteps.inc, inptus: 1,"
    )
    project.write_text(text, encoding="utf-8")
    reports = []
    for _ in range(2):
        with pytest.raises(ConfigError) as error:
            load(project)
        reports.append([(p.message, p.line, p.column, p.path) for p in error.value.problems])
    assert readings.place(project).is_file()
    assert reports[0] == reports[1]
    assert reports[0][0][1] == 6 + 4321  # the line of `s4321`, found from the text


def config_files() -> list[Path]:
    found = [path for pattern in ("*.yaml", "*.toml") for path in ASSETS.glob(pattern)]
    found += [
        path
        for pattern in ("*/pipeline.yaml", "*/*.yaml", "*/*.toml")
        for path in EXAMPLES.glob(pattern)
        if "params" not in path.parts
    ]
    return sorted(set(found))


@pytest.fixture
def copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Copies of the golden invalid configs and of the examples."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    modules = set(sys.modules)
    shutil.copytree(ASSETS, tmp_path / "invalid", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        EXAMPLES,
        tmp_path / "examples",
        ignore=shutil.ignore_patterns("__pycache__", ".pipeflow", "data"),
    )
    yield tmp_path
    for name in set(sys.modules) - modules:
        if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]  # the copies' step modules, not the libraries they imported


# Configs whose report a comment at their end changes (it is no longer empty).
CHANGED_BY_PADDING = {"empty.yaml", "only_comments.yaml", "params_empty.params.yaml"}


def test_every_config_validates_the_same_from_its_remembered_reading(
    copies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole report of `pipeflow validate` (problems, lines, columns, hints, exit code) of
    every golden invalid config and every example: as written, then made big enough to be
    remembered by a comment at its end (read from its text), then again (from its reading)."""
    remembered = 0
    for original in config_files():
        folder = "invalid" if original.is_relative_to(ASSETS) else "examples"
        base = ASSETS if folder == "invalid" else EXAMPLES
        config = copies / folder / original.relative_to(base)
        monkeypatch.chdir(config.parent)
        written = CliRunner().invoke(cli, ["validate", config.name])
        config.write_text(config.read_text(encoding="utf-8") + PADDING, encoding="utf-8")
        first = CliRunner().invoke(cli, ["validate", config.name])
        remembered += readings.place(config).is_file()
        second = CliRunner().invoke(cli, ["validate", config.name])
        reference = first if config.name in CHANGED_BY_PADDING else written
        assert (first.exit_code, first.output) == (reference.exit_code, reference.output), config
        assert (second.exit_code, second.output) == (reference.exit_code, reference.output), config
        assert second.exception is None or isinstance(second.exception, SystemExit), config
    # Most of them read plainly (their problems come later): the comparison is not empty.
    assert remembered >= len(config_files()) // 2, remembered


def test_whether_it_meets_the_schema_is_kept_with_it(project: Path) -> None:
    load(project)
    assert json.loads(readings.place(project).read_text(encoding="utf-8"))["fits"] is True
    assert read_document(project).fits_schema
    misspelt = big_chain(6000).replace(
        "s7: {run: bigsteps.inc,", "s7: {run: bigsteps.inc, cahce: 1,"
    )
    project.write_text(misspelt, encoding="utf-8")
    for _ in range(2):  # from the text, then from its kept reading: the same schema problem
        with pytest.raises(ConfigError, match="unknown key `cahce`"):
            load(project)
    assert json.loads(readings.place(project).read_text(encoding="utf-8"))["fits"] is False
    assert not read_document(project).fits_schema


def test_the_files_that_decide_a_reading_exist() -> None:
    """Each is part of the kept reading's key (a missing one would fail every big config)."""
    folder = Path(readings.__file__).parent
    assert all((folder / name).is_file() for name in readings._DECIDING)


def test_a_reading_that_cannot_be_put_in_place_leaves_nothing_behind(project: Path) -> None:
    readings.place(project).mkdir(parents=True)  # a folder where the file would go
    assert read_document(project).data["name"] == "big"
    assert [path.name for path in readings.place(project).parent.iterdir()] == [
        "pipeline.yaml.json"
    ]


def test_without_the_readers_own_files_nothing_is_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installation missing one of the files that make the key reads every text afresh."""
    monkeypatch.setattr(readings, "_DECIDING", (*readings._DECIDING, "no_such_file.py"))
    readings._reader.cache_clear()
    try:
        assert read_document(project).data["name"] == "big"
        assert read_document(project).data["name"] == "big"
        assert not readings.place(project).exists()
    finally:
        readings._reader.cache_clear()


def test_a_json_config_is_remembered_as_json_reads(tmp_path: Path) -> None:
    """A `.json` config is read as YAML with JSON's rules (`NaN` is text there): its reading
    is kept under its own kind, and gives back the same values and positions."""
    config = tmp_path / "pipeline.json"
    steps = {f"s{i}": {"run": "m.f", "inputs": {"x": i, "y": 0.5, "z": "NaN"}} for i in range(9)}
    body = json.dumps({"name": "j", "steps": steps}, indent=1)
    config.write_text(body + " " * readings.SMALLEST + "\n", encoding="utf-8")
    first = read_document(config)
    assert readings.place(config).is_file()
    second = read_document(config)
    assert exact(second.data) == exact(first.data)
    assert second.data["steps"]["s3"]["inputs"]["z"] == "NaN"
    assert second.value_positions == first.value_positions
    # The same text as a .yaml file is another kind: its own key, not the JSON one's.
    as_yaml = tmp_path / "pipeline.json.yaml"
    as_yaml.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    kept = json.loads(readings.place(config).read_text(encoding="utf-8"))["key"]
    read_document(as_yaml)
    assert json.loads(readings.place(as_yaml).read_text(encoding="utf-8"))["key"] != kept
