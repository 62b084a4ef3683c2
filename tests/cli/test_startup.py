"""`pipeflow --help` stays fast: the CLI imports the engine, config and storage only when a
command runs, so help and usage errors load click and little else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Modules `--help` must not load: each of them (and what it imports) costs start-up time.
HEAVY = (
    "pipeflow.plan",
    "pipeflow.cache",
    "pipeflow.storage",
    "pipeflow.config",
    "pipeflow.api",
    "pipeflow.execute",
    "pipeflow.importing",
    "pipeflow.report.picture",
    "PIL",
    "yaml",
    "jsonschema",
    "fsspec",
    "importlib.metadata",
    "sysconfig",
    # Made lazy for start-up time (issue 13): each is imported only where it is used.
    "croniter",
    "fastjsonschema",
    "decimal",
    "s3fs",
    "gcsfs",
    "aiohttp",
    "botocore",
    "difflib",
    "tomllib",
    "zoneinfo",
    "pipeflow.model.run",
    "pipeflow.schedule",
)
# What `validate` of a valid config loads only to explain a problem or run a step.
NOT_FOR_A_VALID_CONFIG = (
    "jsonschema",
    "croniter",  # the Iris config's `0 6 * * 1-5` is checked without it
    "pipeflow.model.events",  # the secrets masker imports them to mask a run's events
    "referencing",
    "fastjsonschema",
    "pandas",
    "sklearn",
    "dask",
    "distributed",
    "s3fs",
    "gcsfs",
    "aiohttp",
    # Made lazy for start-up time (issue 13, second round): validate checks targets and
    # boundaries with the light storage modules; the store, its filesystems, the blobs and the
    # planner's preparation (cache keys, restore) are a run's, the history's queries the CLI's.
    "pipeflow.storage.store",
    "pipeflow.storage.access",
    "pipeflow.storage.filesystems",
    "pipeflow.storage.blobs",
    "pipeflow.plan.prepare",
    "pipeflow.cache.files",
    "pipeflow.cache.keys",
    "pipeflow.cache.versions",
    "pipeflow.cache.payloads",
    "pipeflow.cache.restore",
    "pipeflow.history",
    "click.shell_completion",
    "fsspec",
)
# What a run of a valid config loads only for other commands: the history's queries (a run
# records through the recorder alone) and shell completion; and, on a local results store,
# what only object stores need (fsspec, asyncio for listings in ranges, socket for probes).
NOT_FOR_A_RUN = (
    "pipeflow.history.query",
    "pipeflow.history.skipped",
    "pipeflow.api.cluster",
    "click.shell_completion",
    "pandas",
    "jsonschema",
    "fsspec",
    "asyncio",
    "socket",
    # Imported where a value needs them (value isolation learns `decimal` and `fractions`
    # numbers are immutable when it first meets one; pickle is for pickled values).
    "decimal",
    "fractions",
    "pickle",
)

CHILD = """
import json, sys
started_with = set(sys.modules)  # what the interpreter itself loaded (site may load sysconfig)
from pipeflow.cli import cli
try:
    cli(sys.argv[1:], prog_name="pipeflow")
except SystemExit as exit:
    code = exit.code
heavy = %r
new = set(sys.modules) - started_with
loaded = sorted(m for m in new if any(m == h or m.startswith(h + ".") for h in heavy))
print("@@" + json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(
    *args: str, heavy: tuple[str, ...] = HEAVY, cwd: Path | None = None
) -> tuple[int, list[str]]:
    """(exit code, heavy modules in sys.modules) after `pipeflow ARGS` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD % (heavy,), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert marker, done.stdout + done.stderr
    found = json.loads(marker[-1][2:])
    return found["code"], found["loaded"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["validate", "--help"],
        ["status", "--help"],
        ["graph", "--help"],
        ["init", "--help"],
        ["completion", "bash"],
    ],
)
def test_help_loads_only_the_cli(args: list[str]) -> None:
    code, loaded = loaded_by(*args)
    assert code == 0
    assert loaded == []


def test_the_command_table_names_each_command_and_its_module() -> None:
    """`pipeflow CMD` imports only CMD's module, found in `main.COMMANDS`: the table must
    name every command, each in the module that defines it."""
    from pipeflow.cli.main import COMMANDS, cli, load_commands

    load_commands()
    defined = {name: command.callback.__module__ for name, command in cli.commands.items()}
    assert defined == {name: f"pipeflow.cli.{module}" for name, module in COMMANDS.items()}


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["validate", "--help"], "pipeflow.cli.validating"),
        (["schema"], "pipeflow.cli.info"),
        (["runs", "--help"], "pipeflow.cli.history"),
    ],
)
def test_a_command_loads_only_its_own_module(args: list[str], module: str) -> None:
    others = tuple(f"pipeflow.cli.{name}" for name in ("serve", "gc", "ui", "schedules", "init"))
    code, loaded = loaded_by(*args, heavy=(module, *others))
    assert code == 0
    assert loaded == [module]


def test_an_unknown_command_is_told_the_closest_one() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", "valdate", "x"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "No such command 'valdate'. Did you mean 'validate'?" in done.stderr


@pytest.mark.parametrize("config", ["pipeline.yaml", "pipeline.toml"])
def test_validating_a_valid_config_loads_no_schema_library(config: str) -> None:
    """jsonschema (~150 ms to import) is only for wording problems; a valid config's schema
    and params_schema are checked without it (config/schema_check.py, params_check.py)."""
    validate = ["validate", config, "--param-file", "params/params.json"]
    loaded_by(*validate, heavy=(), cwd=REPO)  # the first validate imports the step modules once
    code, loaded = loaded_by(*validate, heavy=NOT_FOR_A_VALID_CONFIG, cwd=REPO)
    assert code == 0
    assert loaded == []


def test_an_invalid_config_is_still_explained_by_jsonschema(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: demo\nsteps:\n  a: {run: m.f, retries: -1}\n", encoding="utf-8")
    code, loaded = loaded_by("validate", str(config), heavy=("jsonschema",))
    assert code == 2
    assert "jsonschema" in loaded


def test_force_without_a_step_means_every_step_everywhere() -> None:
    from pipeflow.api import ALL as api_all
    from pipeflow.cli.running import run
    from pipeflow.model.run import ALL
    from pipeflow.plan.planner import ALL as planner_all

    force = next(p for p in run.params if p.name == "force")
    assert ALL == api_all == planner_all == force.flag_value == "*"


@pytest.mark.parametrize("quiet", [["-q"], []])
def test_a_run_records_itself_without_loading_the_history_queries(
    tmp_path: Path, quiet: list[str]
) -> None:
    (tmp_path / "steps.py").write_text(
        "def one():\n    return 1\n\n\ndef two(x):\n    return x + 1\n", encoding="utf-8"
    )
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: demo\nsteps:\n  a: {run: steps.one}\n"
        "  b: {run: steps.two, inputs: {x: '${steps.a}'}}\n",
        encoding="utf-8",
    )
    code, loaded = loaded_by("run", str(config), *quiet, heavy=NOT_FOR_A_RUN, cwd=tmp_path)
    assert code == 0
    assert loaded == []
    from pipeflow.history import open_history

    with open_history(tmp_path) as history:
        (run,) = history.runs()
        assert [step.step for step in history.run(run.id).steps] == ["a", "b"]


def _ten_steps(folder: Path, step_body: str = "return x + 1") -> Path:
    (folder / "steps.py").write_text(
        f"import gc, json\n\n\ndef one():\n    return 1\n\n\ndef inc(x):\n    {step_body}\n",
        encoding="utf-8",
    )
    lines = ["name: ten", "results: {persist: false}", "steps:", "  s0: {run: steps.one}"]
    lines += [
        f"  s{i}: {{run: steps.inc, inputs: {{x: '${{steps.s{i - 1}}}'}}}}" for i in range(1, 10)
    ]
    config = folder / "pipeline.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


# Made by exec in dataclasses (a `<string>` code object) rather than by `@record`: allowed only
# for these (a slotted record of many instances, which `@record` does not support).
DATACLASS_BY_EXEC = {"pipeflow.config.reader.Position"}

CLASSES_CHILD = """
import json, sys
from pipeflow.cli import cli
try:
    cli(sys.argv[1:], prog_name="pipeflow")
except SystemExit:
    pass
made = []
for name, module in list(sys.modules.items()):
    if not name.startswith("pipeflow"):
        continue
    for value in list(vars(module).values()):
        if not isinstance(value, type) or value.__module__ != name:
            continue
        for method in ("__init__", "__repr__", "__eq__", "__setattr__"):
            code = getattr(vars(value).get(method), "__code__", None)
            if code is not None and code.co_filename == "<string>":  # dataclass's exec
                made.append(f"{name}.{value.__qualname__}")
print("@@" + json.dumps(sorted(set(made))))
"""


@pytest.mark.parametrize("command", [["run", "-q"], ["validate"]])
def test_the_records_a_run_imports_are_not_compiled_by_dataclass(
    tmp_path: Path, command: list[str]
) -> None:
    """dataclass compiles six methods per class with exec (0.5-1 ms each class at import); the
    modules a run or `validate` imports declare their records with `@record` instead, whose
    methods are closures (issue 13). A new `@dataclass` there fails this test."""
    config = _ten_steps(tmp_path)
    args = [command[0], str(config), *command[1:]]
    done = subprocess.run(
        [sys.executable, "-c", CLASSES_CHILD, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert marker, done.stdout + done.stderr
    assert set(json.loads(marker[-1][2:])) <= DATACLASS_BY_EXEC


def test_steps_run_with_the_collector_on_and_start_up_frozen(tmp_path: Path) -> None:
    """The `pipeflow` command pauses the cyclic collector while it imports and loads, then
    freezes what that made and resumes it: every step runs with the collector on."""
    config = _ten_steps(
        tmp_path,
        "open(f'seen-{x}.json', 'w').write(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"
        "\n    return x + 1",
    )
    for entry in (
        [sys.executable, "-m", "pipeflow"],
        [str(Path(sys.executable).parent / "pipeflow")],
    ):
        for seen in tmp_path.glob("seen-*.json"):
            seen.unlink()
        done = subprocess.run(
            [*entry, "run", str(config), "-q"], capture_output=True, text=True, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        seen = [json.loads(path.read_text()) for path in sorted(tmp_path.glob("seen-*.json"))]
        assert len(seen) == 9
        for enabled, frozen in seen:
            assert enabled is True
            assert frozen > 10_000  # the modules, the config and the pipeline


GC_CHILD = """
import gc, json, sys
enabled_before = sys.argv[1] == "on"
if not enabled_before:
    gc.disable()
from pipeflow.cli import cli
try:
    cli(sys.argv[2:], prog_name="pipeflow")
except SystemExit:
    pass
print("@@" + json.dumps([gc.isenabled(), gc.get_freeze_count()]))
"""


@pytest.mark.parametrize("collector", ["on", "off"])
@pytest.mark.parametrize("command", [["run", "-q"], ["validate"]])
def test_cli_called_from_a_program_leaves_its_collector_as_it_was(
    tmp_path: Path, collector: str, command: list[str]
) -> None:
    config = _ten_steps(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", GC_CHILD, collector, command[0], str(config), *command[1:]],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert marker, done.stdout + done.stderr
    assert json.loads(marker[-1][2:]) == [collector == "on", 0]
