"""The distribution: its name on the package index, every install line that names it, its
extras, its classifiers and its version.

The name `pipeflow` on the package index belongs to an unrelated project (a Luigi clone from
2017): an install line naming it installs someone else's code. The distribution is
`pipeflow-runner`; the import name and the command stay `pipeflow`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeflow
from pipeflow.cache.code import CodeFingerprinter

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTION = "pipeflow-runner"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

# Folders that are not the project's own text: tools' caches, virtual environments, data.
SKIPPED_FOLDERS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".pipeflow",
    "data",
    "mutants",
}
TEXT_SUFFIXES = {
    ".md", ".py", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".ini", ".sh", ".html", ".j2",
    ".json", ".rst", ".fish", ".zsh", ".bash",
}  # fmt: skip
# The changelog records what was true when it was written; it is history, not instructions.
HISTORY = {REPO / "CHANGELOG.md"}

# The old name as a requirement: after `pip install`, `pipx install`, `uv add` (with or without
# options and quotes), and the old name followed by `[EXTRA]` anywhere (only a distribution has
# extras). The name followed by `-` or a word character is another name.
OLD_NAME = "pipeflow"
INSTALLERS = r"(?:(?:uv\s+)?pip3?|pipx|python3?\s+-m\s+pip)\s+install|uv\s+add|poetry\s+add"
OLD_INSTALL = re.compile(
    rf"(?:{INSTALLERS})(?:\s+-{{1,2}}[\w-]+(?:[ =]\S+)?)*\s+['\"]?{OLD_NAME}(?![\w.-])"
    rf"|(?<![\w.-]){OLD_NAME}\[",
)


def project_files() -> Iterator[Path]:
    """Every text file of the project: docs, README, the package, examples, tests, CI."""
    for folder, folders, files in os.walk(REPO):
        if Path(folder) == REPO / "benchmarks":
            folders[:] = [name for name in folders if name != "out"]  # copies, results
        folders[:] = [
            name
            for name in folders
            if name not in SKIPPED_FOLDERS
            and (not name.startswith(".") or name in {".ci", ".github"})
            and not name.endswith(".egg-info")
        ]
        for name in files:
            path = Path(folder) / name
            if path in HISTORY:
                continue
            if path.suffix in TEXT_SUFFIXES or path.parent.name == ".ci":
                yield path


def old_install_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if OLD_INSTALL.search(line)]


@pytest.mark.parametrize(
    "line",
    [
        "pip install " + OLD_NAME,
        "pip install -q " + OLD_NAME,
        "pip3 install --upgrade " + OLD_NAME,
        "python -m pip install " + OLD_NAME,
        "pipx install " + OLD_NAME,
        "uv pip install " + OLD_NAME,
        "uv add " + OLD_NAME,
        f"pip install '{OLD_NAME}[s3]'",
        f'pip install "{OLD_NAME}[ui]"',
        f"needs `{OLD_NAME}[png]`",
        f'web = ["{OLD_NAME}[ui]"]',
        f"f\"pip install '{OLD_NAME}[{{extra}}]'\"",
        f"install=\"'{OLD_NAME}[parquet]'\"",
        f"else `pip install {OLD_NAME}`)",
    ],
)
def test_the_check_finds_every_spelling_of_the_old_name(line: str) -> None:
    assert old_install_lines(line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        f"pip install {DISTRIBUTION}",
        f"pip install '{DISTRIBUTION}[s3]'",
        f'all = ["{DISTRIBUTION}[parquet,s3]"]',
        "pip install -e '.[dev]'",
        "pip install -e .",
        "pipeflow run pipeline.yaml",
        "import pipeflow",
        "pip install pipeflow-lite",  # another project's name, not ours
        "pipeflow.read",
    ],
)
def test_the_check_passes_the_new_name_and_other_text(line: str) -> None:
    assert old_install_lines(line) == []


def test_no_install_line_names_the_old_distribution() -> None:
    found = [
        f"{path.relative_to(REPO)}: {line}"
        for path in project_files()
        for line in old_install_lines(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == [], (
        f"`{OLD_NAME}` on the package index is someone else's project: install "
        f"`{DISTRIBUTION}` (`pip install '{DISTRIBUTION}[s3]'`):\n" + "\n".join(found)
    )


def test_the_scan_reads_the_places_users_copy_from() -> None:
    """The control: the files above include docs, README, the package, examples and CI."""
    scanned = {path.relative_to(REPO).as_posix() for path in project_files()}
    for expected in (
        "README.md",
        "pyproject.toml",
        "docs/stores.md",
        "docs/ui.md",
        "pipeflow/schedule/export.py",
        "pipeflow/storage/store.py",
        "pipeflow/execute/executors/dask/executor.py",
        "pipeflow/cli/ui.py",
        "examples/ci/github-workflow.yml",
        ".ci/run",
    ):
        assert expected in scanned


def test_the_distribution_is_pipeflow_runner() -> None:
    assert PYPROJECT["project"]["name"] == DISTRIBUTION
    assert PYPROJECT["project"]["scripts"] == {"pipeflow": "pipeflow.cli:main"}
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["pipeflow"]


def test_extras_that_name_the_project_name_it_by_its_distribution() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    own = [
        requirement
        for requirements in extras.values()
        for requirement in requirements
        if re.match(r"pipeflow\b", requirement)
    ]
    assert own, "the control: dev and all name other extras of this project"
    assert all(requirement.startswith(f"{DISTRIBUTION}[") for requirement in own), own


def test_the_installed_version_is_the_package_version() -> None:
    try:
        installed = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            f"{DISTRIBUTION} is not installed in this venv (an install from before the rename?): "
            "`pip uninstall -y pipeflow && pip install -e '.[dev]'`"
        )
    assert installed == pipeflow.__version__


def test_a_step_importing_pipeflow_keys_on_its_installed_version(tmp_path: Path) -> None:
    """The cache key's package part for `import pipeflow` names pipeflow-runner and its
    version, never "unknown" (nor the version of whatever else is installed as `pipeflow`)."""
    (tmp_path / "flow.py").write_text(
        "import pipeflow\n\ndef step():\n    return pipeflow.__version__\n", encoding="utf-8"
    )
    parts = CodeFingerprinter(str(tmp_path)).fingerprint("flow.step").parts
    assert parts[f"package:{DISTRIBUTION}"] == pipeflow.__version__, parts


# -- extras and platforms ------------------------------------------------------------------------

# What `all` stands for: every optional part of the product a user may need.
PRODUCT_EXTRAS = {"parquet", "s3", "gcs", "dask", "ui", "png"}


def requirements_of(extra: str) -> set[str]:
    """The requirement names an extra pulls in, through the project's own extras."""
    names: set[str] = set()
    for requirement in PYPROJECT["project"]["optional-dependencies"][extra]:
        own = re.fullmatch(rf"{DISTRIBUTION}\[([\w,\s-]+)\]", requirement)
        if own:
            for inner in own.group(1).split(","):
                names |= requirements_of(inner.strip())
        else:
            names.add(re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0].lower())
    return names


def test_all_is_every_product_extra_and_not_the_examples() -> None:
    (requirement,) = PYPROJECT["project"]["optional-dependencies"]["all"]
    named = re.fullmatch(rf"{DISTRIBUTION}\[(.*)\]", requirement)
    assert named, requirement
    assert {extra.strip() for extra in named.group(1).split(",")} == PRODUCT_EXTRAS
    pulled = requirements_of("all")
    assert {"s3fs", "gcsfs", "pyarrow", "starlette", "pillow"} <= pulled  # the control
    assert {"scikit-learn", "scipy", "joblib"}.isdisjoint(pulled), pulled


def test_the_classifiers_claim_the_platforms_the_code_runs_on() -> None:
    """The code is POSIX-only (fcntl locks, SIGALRM time-outs, /proc): no "OS Independent"."""
    classifiers = PYPROJECT["project"]["classifiers"]
    systems = {c for c in classifiers if c.startswith("Operating System ::")}
    assert systems == {"Operating System :: POSIX :: Linux", "Operating System :: MacOS"}


def test_the_readme_states_the_supported_platforms() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Supported platforms", 1)
    assert len(section) == 2, "README.md has no `## Supported platforms` section"
    text = section[1].split("\n## ", 1)[0]
    for word in ("Linux", "macOS", "Windows", "WSL", "Python 3.10"):
        assert word in text, word


# -- what the install makes importable ----------------------------------------------------------


def clean_environment() -> dict[str, str]:
    """The environment a user's shell has: nothing that adds to Python's path by hand."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH"}
    }


def venv_python(code: str, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_install_makes_pipeflow_importable_from_anywhere(tmp_path: Path) -> None:
    done = venv_python("import pipeflow, pipeflow.cli; print(pipeflow.__version__)", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == pipeflow.__version__


def test_the_install_puts_no_folder_of_the_checkout_on_the_path(tmp_path: Path) -> None:
    done = venv_python("import json, sys; print(json.dumps(sys.path))", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    paths = {Path(entry).resolve() for entry in json.loads(done.stdout) if entry}
    assert REPO not in paths, (
        "the repository root is importable: its `steps` shadows users' (an editable install "
        "from before the rename? `pip uninstall -y pipeflow && pip install -e '.[dev]'`)"
    )


@pytest.mark.parametrize("module", ["steps", "steps.iris", "tests", "benchmarks", "examples"])
def test_the_checkouts_own_folders_are_not_importable(tmp_path: Path, module: str) -> None:
    done = venv_python(f"import {module}", cwd=tmp_path)
    assert done.returncode != 0, f"`import {module}` works outside the checkout"
    assert "ModuleNotFoundError" in done.stderr, done.stderr


STEP_MODULE = """\
def shout(text):
    print("own step says", text.upper())
    return text.upper()
"""
OWN_CONFIG = """\
name: own
executor: {type: EXECUTOR}
results: {root: out}
steps:
  shout:
    run: steps.m.shout
    inputs: {text: hello}
"""


@pytest.mark.parametrize("executor", ["sequential", "processes"])
@pytest.mark.parametrize("package", [False, True], ids=["namespace", "package"])
def test_a_users_own_steps_folder_is_found(tmp_path: Path, executor: str, package: bool) -> None:
    """`steps/` beside a user's config, with or without `__init__.py` (a namespace package
    loses to any regular `steps` package on the path), run from another folder."""
    project = tmp_path / "project"
    (project / "steps").mkdir(parents=True)
    (project / "steps" / "m.py").write_text(STEP_MODULE, encoding="utf-8")
    if package:
        (project / "steps" / "__init__.py").write_text("", encoding="utf-8")
    config = project / "pipeline.yaml"
    config.write_text(OWN_CONFIG.replace("EXECUTOR", executor), encoding="utf-8")
    command = Path(sys.executable).parent / "pipeflow"
    assert command.exists(), f"{command}: the install's `pipeflow` command"
    for arguments in (["validate", "project/pipeline.yaml"], ["run", "project/pipeline.yaml"]):
        done = subprocess.run(
            [str(command), *arguments],
            cwd=tmp_path,
            env={**clean_environment(), "PIPEFLOW_HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert "own step says HELLO" in done.stdout + done.stderr
