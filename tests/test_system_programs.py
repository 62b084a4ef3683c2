"""The rule for tests that need a program from the system (tests/system.py): outside CI a
missing one skips, naming the apt package; in CI it fails. CI and the README install the same
programs, and no test finds one any other way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import system

REPO = Path(__file__).resolve().parents[1]
ABSENT = "pipeflow-no-such-program"


@pytest.fixture
def absent_program(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(system.PROGRAMS, ABSENT, ("pipeflow-test-package", "this test"))
    return ABSENT


@pytest.mark.parametrize("value", ["", "false", "0"])
def test_outside_ci_a_missing_program_skips_naming_its_package(
    absent_program: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception) as skipped:
        system.program(absent_program)
    reason = str(skipped.value)
    assert f"`{absent_program}`" in reason
    assert "sudo apt-get install -y pipeflow-test-package" in reason


def test_outside_ci_unset_skips_too(absent_program: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        system.program(absent_program)


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_in_ci_a_missing_program_fails(
    absent_program: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception) as failed:
        system.program(absent_program)
    assert "missing in CI" in str(failed.value)
    assert "sudo apt-get install -y pipeflow-test-package" in str(failed.value)


def test_a_present_program_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert Path(system.program("bash")).name == "bash"


def optional_packages() -> set[str]:
    """The apt packages a Debian base system may lack (bash, coreutils, util-linux and mount
    are essential: always there)."""
    return set(system.APT_PACKAGES) - {"bash", "coreutils", "util-linux", "mount"}


def test_ci_installs_every_program_the_tests_need() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    words = set(re.findall(r"[\w-]+", script))
    assert optional_packages() | {"tzdata"} <= words
    assert "apt-get install" in script


def test_the_readme_says_how_to_install_them() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = re.search(r"sudo apt-get install -y ([\w -]+)", readme)
    assert line, "README.md: the apt-get line for the programs the tests need"
    assert optional_packages() | {"tzdata"} <= set(line.group(1).split())


def test_no_test_looks_for_a_program_by_itself() -> None:
    """Every test finds system programs through tests/system.py, so the rule holds for all."""
    bypass = re.compile(
        r"shutil\.which\(|[\"']/usr/bin/|\[\s*[\"'](bash|zsh|fish|date|chromium)[\"']"
    )
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.name not in {"system.py", "test_system_programs.py"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if bypass.search(line)
    ]
    assert found == [], "\n".join(found)


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Install and run the tests:\n\n(?:<!--.*-->\n)?```bash\n(.*?)\n```", readme)
    assert block, "README.md: the test command"
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8").rstrip().splitlines()
    assert script[-1] == block.group(1)
    assert block.group(1).endswith("python -m pytest"), "the whole suite, static checks included"
