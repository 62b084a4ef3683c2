"""docs/reference.md is generated from the JSON Schema, and may not drift from it."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.config.reference import markdown
from pipeflow.config.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "reference.md"
REGENERATE = "pipeflow schema --format markdown > docs/reference.md"


def test_the_committed_reference_matches_the_schema() -> None:
    expected = markdown()
    committed = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
    if committed != expected:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                "docs/reference.md (committed)",
                "docs/reference.md (from pipeflow/config/schema.json)",
            )
        )
        raise AssertionError(
            f"docs/reference.md is out of date with the schema; regenerate it with\n\n"
            f"    {REGENERATE}\n\n{diff}"
        )


def test_every_key_of_the_schema_is_in_the_reference() -> None:
    schema = load_schema()
    definitions = schema["$defs"]
    page = markdown(schema)
    keys = [
        *schema["properties"],
        *schema["properties"]["results"]["properties"],
        *schema["properties"]["executor"]["properties"],
        *schema["properties"]["defaults"]["properties"],
        *definitions["step"]["properties"],
        *definitions["result"]["properties"],
        *definitions["schedule"]["properties"],
    ]
    missing = [key for key in keys if f"| `{key}`" not in page]
    assert missing == []
    for section in ("results", "executor", "defaults", "steps.NAME", "steps.NAME.result"):
        assert f"## `{section}`" in page
    assert "## `schedules[]`" in page
    assert "### duration" in page


def test_types_defaults_enums_and_examples_are_shown() -> None:
    page = markdown()
    assert "| `type` | one of `sequential`, `threads`, `processes`, `dask` | `sequential` |" in page
    assert "| `retries` | integer, ≥ 0 | `0` |" in page
    assert "| `timeout` | [timeout](#type-timeout) | `null` |" in page
    assert "[result settings](#steps-name-result)" in page
    assert "`models/{step}.joblib`" in page  # an example of `result.target`
    assert "Exactly one of `run` or `pipeline`." in page


def test_a_new_key_in_the_schema_changes_the_reference() -> None:
    schema = load_schema()
    schema["$defs"]["step"]["properties"]["priority"] = {
        "description": "Which step goes first.",
        "type": "integer",
        "default": 0,
    }
    assert "| `priority` | integer | `0` | Which step goes first. |" in markdown(schema)
    assert "priority" not in markdown()


def test_pipe_characters_in_descriptions_do_not_break_the_table() -> None:
    schema = load_schema()
    schema["properties"]["description"]["description"] = "a | b"
    assert "a \\| b" in markdown(schema)


def test_the_cli_and_the_module_print_the_same_page(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schema", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output == markdown()
    written = tmp_path / "reference.md"
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow.config.reference", str(written)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert written.read_text(encoding="utf-8") == markdown()


def test_the_json_format_is_still_the_default() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.output.startswith("{")
