"""`load_callable` keeps one allow rule per project and allow list in a process (finding which
modules are project modules costs ~1 ms a step), and still applies the rule on every call."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeflow.importing import ImportProblem, load_callable, loading


def write_project(folder: Path) -> None:
    (folder / "proj_steps_rule.py").write_text("def f():\n    return 1\n", encoding="utf-8")


def test_the_rule_is_kept_and_still_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    first = load_callable("proj_steps_rule.f", project_dir=str(tmp_path))
    again = load_callable("proj_steps_rule.f", project_dir=str(tmp_path))
    assert first is again
    assert first() == 1
    assert loading._rule(str(tmp_path), ()) is loading._rule(str(tmp_path), ())
    for _ in range(2):  # refused every time, from the kept rule too
        with pytest.raises(ImportProblem, match="internals"):
            load_callable("pipeflow.api.load", project_dir=str(tmp_path))
        with pytest.raises(ImportProblem):
            load_callable("os.system", project_dir=str(tmp_path))
    # Another allow list is another rule: what it allows is allowed there only.
    allowed = load_callable("json.dumps", project_dir=str(tmp_path), allow_imports=("json",))
    assert allowed([1]) == "[1]"
    with pytest.raises(ImportProblem):
        load_callable("json.dumps", project_dir=str(tmp_path))


def test_one_rule_per_project(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    assert loading._rule(str(one), ()) is not loading._rule(str(two), ())
    assert loading._rule(str(one), ()) is not loading._rule(str(one), ("json",))
