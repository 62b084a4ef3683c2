"""The examples of docs/config.md are valid configs: the docs cannot drift from the code.

Every ```yaml (or ```toml) block whose first line is `# example: NAME` is written to a fresh
project folder, together with every ```python block whose first line is `# file: PATH` (the step
modules the examples call), and must pass `pipeflow validate`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "config.md"
FENCE = re.compile(r"^```(\w+)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
EXAMPLE = re.compile(r"#\s*example:\s*([\w-]+)\s*$")
FILE = re.compile(r"#\s*file:\s*(\S+)\s*$")
SUFFIXES = {"yaml": ".yaml", "toml": ".toml"}


def blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block in the page."""
    text = DOC.read_text(encoding="utf-8")
    return [(match.group(1), match.group(2)) for match in FENCE.finditer(text)]


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


def examples() -> list[tuple[str, str, str]]:
    """(name, language, config text) of every marked example."""
    found = []
    for language, text in blocks():
        marked = EXAMPLE.fullmatch(first_line(text))
        if marked and language in SUFFIXES:
            found.append((marked.group(1), language, text))
    return found


def files() -> dict[str, str]:
    """The files the examples need (step modules), by relative path."""
    found = {}
    for language, text in blocks():
        marked = FILE.fullmatch(first_line(text))
        if marked and language == "python":
            found[marked.group(1)] = text
    return found


EXAMPLES = examples()


@pytest.fixture(autouse=True)
def isolated_imports() -> Iterator[None]:
    """Validation puts the project folder on sys.path and may import its `steps` package:
    undo both, so that later tests import the repository's own `steps`."""
    path = list(sys.path)
    modules = {n: m for n, m in sys.modules.items() if n == "steps" or n.startswith("steps.")}
    yield
    sys.path[:] = path
    for name in [n for n in sys.modules if n == "steps" or n.startswith("steps.")]:
        del sys.modules[name]
    sys.modules.update(modules)


def test_the_page_has_examples_and_their_modules() -> None:
    names = [name for name, _, _ in EXAMPLES]
    assert len(names) >= 8, f"too few `# example:` blocks found in {DOC}: {names}"
    assert len(names) == len(set(names)), f"example names repeat: {names}"
    assert any(language == "toml" for _, language, _ in EXAMPLES)
    assert "steps/demo.py" in files()


@pytest.mark.parametrize(
    ("name", "language", "config"), EXAMPLES, ids=[name for name, _, _ in EXAMPLES]
)
def test_example_is_valid(
    name: str, language: str, config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEED", raising=False)  # the params example reads `${env.SEED:-42}`
    project = tmp_path / name
    for relative, code in files().items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
        for folder in path.relative_to(project).parents:
            if folder != Path("."):
                (project / folder / "__init__.py").touch()
    config_path = project / f"{name}{SUFFIXES[language]}"
    config_path.write_text(config, encoding="utf-8")

    result = CliRunner().invoke(cli, ["validate", str(config_path)])

    assert result.exit_code == 0, f"example `{name}` in {DOC.name}:\n{result.output}"
    assert "is valid" in result.output
