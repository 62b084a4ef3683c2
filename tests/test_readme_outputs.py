"""What README.md shows a command printing is what it prints: its Validation section makes two
mistakes in the Iris config (a misspelt key, a reference to a step that does not exist) and
shows `pipeflow validate`'s report of them, line and column included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def shown_after(heading: str) -> str:
    """The first fenced block of README.md under `heading`."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(f"\n## {heading}\n") :]
    found = re.search(r"^```[a-z]*\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert found is not None, heading
    return found.group(1)


def test_the_validation_section_shows_what_validate_prints(
    iris_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = iris_project / "pipeline.yaml"
    text = config.read_text(encoding="utf-8")
    mistakes = (
        (
            "  get_classes:\n    run: steps.iris.get_classes\n    inputs: {",
            "  get_classes:\n    run: steps.iris.get_classes\n    inpts: {",
        ),
        (
            "      data: ${steps.encode_categorical_columns}\n",
            "      data: ${steps.encode}\n",
        ),
    )
    for right, wrong in mistakes:
        assert text.count(right) == 1, right
        text = text.replace(right, wrong)
    config.write_text(text, encoding="utf-8")

    monkeypatch.chdir(iris_project)
    done = CliRunner().invoke(cli, ["validate", "pipeline.yaml"], catch_exceptions=False)

    assert done.exit_code == 2
    assert done.output == shown_after("Validation")


def test_params_page_status_example_is_what_status_prints(
    iris_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/params.md: after a run, `status` with another params file says which steps run
    and why. Run ids differ from run to run; the rest is as shown."""
    page = (README.parent / "docs" / "params.md").read_text(encoding="utf-8")
    command = "pipeflow status pipeline.yaml --param-file params/params.toml\n```\n\n```text\n"
    shown = page[page.index(command) + len(command) :].split("```", 1)[0]
    monkeypatch.chdir(iris_project)
    assert CliRunner().invoke(cli, ["run", "pipeline.yaml", "-q"]).exit_code == 0

    done = CliRunner().invoke(
        cli, ["status", "pipeline.yaml", "--param-file", "params/params.toml"]
    )

    def without_run_ids(text: str) -> str:
        return re.sub(r"run \d{8}-\d{6}-[0-9a-f]{6}", "run ID", text)

    assert done.exit_code == 0, done.output
    assert without_run_ids(done.output) == without_run_ids(shown)
