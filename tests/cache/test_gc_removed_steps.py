"""`gc --removed-steps` (`Pipeline.gc(removed_steps=True)`): the results of a step the config no
longer has (removed, or renamed) go too, its latest included, on every store. Without it they
stay (a branch may still have the step). The steps the config has, the young and what other
configs stored are kept either way; a blob a kept result shares is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from pipeflow.model.run import Action
from tests.cache.test_gc import SHARED, Project, kept, project  # noqa: F401  (a fixture)
from tests.system import pipeflow_in


def _drop_files_step(project: Project) -> None:  # noqa: F811
    """The config without its `files` step (which wrote `version N` and the shared text)."""
    text = project.config.read_text()
    start = text.index("  files:\n")
    end = text.index("  table:\n")
    project.config.write_text(text[:start] + text[end:])


def _stored_steps(project: Project) -> set[str]:  # noqa: F811
    names = set()
    for path in project.listing():
        parts = path.split("/")
        if parts[1] == "manifests" and len(parts) >= 4:
            names.add(parts[3])
    return names


def test_the_results_of_a_removed_step_go_only_when_asked(project: Project) -> None:  # noqa: F811
    for n in (1, 2):
        assert project.run(n) == ["files", "table", "words"]
    assert project.run(1) == []
    assert project.has_blob("version 2")
    _drop_files_step(project)
    pipe = pipeflow.load(project.config)

    before = project.listing()
    kept_by_default = pipe.gc(keep_last=0, grace=0)
    # By default a step the config no longer has keeps its latest result: n=2's, which ran
    # last (n=1 was restored). Its other results go as any step's do.
    assert project.has_blob("version 2")
    assert project.has_blob(SHARED)
    assert "files" in _stored_steps(project)
    assert set(before) - set(project.listing()) == {r.path for r in kept_by_default.removals}

    preview = pipe.gc(keep_last=0, grace=0, removed_steps=True, dry_run=True)
    report = pipe.gc(keep_last=0, grace=0, removed_steps=True)
    assert report.removals == preview.removals
    assert report.count("blob") == 2  # `version 2` and the shared text
    assert not project.has_blob("version 2")
    assert not project.has_blob(SHARED)  # only `files`' results named it
    assert "files" not in _stored_steps(project)
    # What the config has is untouched: still cached, nothing runs.
    assert kept(project.actions(1))
    assert project.run(1) == []


def test_young_results_of_a_removed_step_stay(project: Project) -> None:  # noqa: F811
    project.run(1)
    _drop_files_step(project)
    report = pipeflow.load(project.config).gc(keep_last=0, removed_steps=True)  # grace: 1h
    assert report.removals == ()
    assert project.has_blob("version 1")


def test_the_command_line_takes_it_and_says_so(tmp_path: Path) -> None:
    project = Project(tmp_path, "out", {})  # noqa: F811  (a store another process can see)
    project.run(1)
    _drop_files_step(project)
    listed = pipeflow_in(
        project.folder, "gc", "pipeline.yaml", "--removed-steps", "--grace", "0s", "--dry-run", "-v"
    )
    assert listed.returncode == 0, listed.stderr
    assert "would delete" in listed.stdout
    assert any("files" in line for line in listed.stdout.splitlines())
    assert project.has_blob("version 1")  # a dry run
    done = pipeflow_in(project.folder, "gc", "pipeline.yaml", "--removed-steps", "--grace", "0s")
    assert done.returncode == 0, done.stderr
    assert not project.has_blob("version 1")
    assert project.actions(1) == {"words": Action.CACHED, "table": Action.CACHED}


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_removed_steps_takes_a_bool(project: Project, value: object) -> None:  # noqa: F811
    with pytest.raises(ConfigError, match="removed_steps"):
        pipeflow.load(project.config).gc(removed_steps=value)  # type: ignore[arg-type]
