"""A big config's model is kept beside its reading, and loaded only while it is its model.

What must hold (`pipeflow/config/builds.py`): a config loaded from its kept model gives exactly
the pipeline building it gives; anything the model depends on (the text, the bytes, the place
of the config, the builder's code) builds it again; a file not signed with this machine's key
is never unpickled; damage, a missing key or a build with problems keep nothing and are no error.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeflow.config import builds, readings
from pipeflow.config.build import Builder
from pipeflow.config.loader import load
from pipeflow.errors import ConfigError
from tests.config.test_readings import STEPS, big_chain


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project folder with a config big enough for its reading and model to be kept."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "bigsteps.py").write_text(STEPS, encoding="utf-8")
    config = folder / "pipeline.yaml"
    config.write_text(big_chain(6000), encoding="utf-8")
    yield config
    sys.modules.pop("bigsteps", None)


class Builds:
    """Counts the models built (not taken from a kept one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        build = Builder.build

        def counted(builder: Builder) -> Any:
            self.count += 1
            return build(builder)

        monkeypatch.setattr(Builder, "build", counted)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Builds:
    return Builds(monkeypatch)


def test_a_big_configs_model_is_kept_and_loaded_instead_of_built(
    project: Path, built: Builds
) -> None:
    first = load(project).pipeline
    assert first.config_hash == hashlib.sha256(project.read_bytes()).hexdigest()[:16]
    kept = builds.model_place(project)
    assert kept == project.parent / ".pipeflow" / "readings" / "pipeline.yaml.model"
    assert kept.is_file()
    assert built.count == 1
    second = load(project).pipeline
    assert built.count == 1  # not built again: taken from the kept model
    assert second == first
    assert (second.source, second.project_dir, second.config_hash) == (
        first.source,
        first.project_dir,
        first.config_hash,
    )
    # What each step references comes worked out with it, and is what working it out gives.
    assert all("_upstream" in vars(step) for step in second.steps.values())
    assert [step.references() for step in second.steps.values()] == [
        step.references() for step in first.steps.values()
    ]
    assert [step.upstream() for step in second.steps.values()][:3] == [(), ("s0",), ("s1",)]


def test_a_small_config_keeps_no_model(tmp_path: Path, built: Builds) -> None:
    (tmp_path / "bigsteps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / "pipeline.yaml"
    config.write_text(big_chain(20), encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        hashed = hashlib.sha256(config.read_bytes()).hexdigest()[:16]
        assert load(config).pipeline.config_hash == hashed
        load(config)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("bigsteps", None)
    assert not builds.model_place(config).exists()
    assert built.count == 2


class Planted:
    """Runs code when unpickled: what a forged model would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "unpickled"))


def forged(project: Path, body: bytes) -> None:
    """The kept model's header (its magic and what it depends on) before `body`."""
    kept = builds.model_place(project)
    header = kept.read_bytes()[: len(builds.MAGIC) + 32]
    kept.write_bytes(header + body)


@pytest.mark.parametrize(
    "mac", [pytest.param(b"\0" * 32, id="a wrong mac"), pytest.param(b"", id="no mac")]
)
def test_a_model_not_signed_here_is_never_unpickled(
    project: Path, built: Builds, tmp_path: Path, mac: bytes
) -> None:
    load(project)
    marker = tmp_path / "marker"
    forged(project, mac + pickle.dumps(Planted(marker)))
    assert load(project).pipeline.name == "big"
    assert not marker.exists()
    assert built.count == 2  # built again, and kept again, signed
    assert load(project).pipeline.name == "big"
    assert built.count == 2


def test_a_model_signed_with_another_key_is_built_again(
    project: Path, built: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "a" * 40)
    load(project)
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "b" * 40)
    load(project)
    assert built.count == 2
    load(project)
    assert built.count == 2


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda body: b"", id="empty"),
        pytest.param(lambda body: body[: len(body) // 2], id="cut short"),
        pytest.param(lambda body: body[:60], id="only a header"),
        pytest.param(lambda body: b"PFB0" + body[4:], id="another magic"),
        pytest.param(lambda body: body[:4] + bytes(32) + body[36:], id="another dependence"),
        pytest.param(lambda body: body[:-1] + bytes([body[-1] ^ 1]), id="a flipped bit"),
    ],
)
def test_a_damaged_model_is_built_again_and_kept_again(
    project: Path, built: Builds, damage: Any
) -> None:
    reference = load(project).pipeline
    kept = builds.model_place(project)
    body = kept.read_bytes()
    kept.write_bytes(damage(body))
    assert load(project).pipeline == reference
    assert built.count == 2
    assert kept.read_bytes()[:36] == body[:36]  # kept again, for the same config
    load(project)
    assert built.count == 2


def test_a_signed_model_that_no_longer_unpickles_is_built_again(
    project: Path, built: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class renamed in place, say (its module's text is part of the key, so this takes a
    key that does not change): the pickle fails, and the config is built."""
    load(project)
    key = builds._signing(create=False)
    assert key is not None
    kept = builds.model_place(project)
    depends = kept.read_bytes()[4:36]
    pickled = b"\x80\x05cno_such_module\nThing\n."
    kept.write_bytes(builds.MAGIC + depends + builds._mac(key, depends, pickled) + pickled)
    assert load(project).pipeline.name == "big"
    assert built.count == 2


def test_an_edited_config_is_built_again(project: Path, built: Builds) -> None:
    load(project)
    project.write_text(big_chain(6000, description="edited"), encoding="utf-8")
    assert load(project).pipeline.description == "edited"
    assert built.count == 2
    assert load(project).pipeline.description == "edited"
    assert built.count == 2


def test_the_same_text_in_other_bytes_is_built_again(project: Path, built: Builds) -> None:
    """A byte-order mark is not text (the reading is the same), but it is in the config's
    hash, which the model holds."""
    before = load(project).pipeline.config_hash
    project.write_bytes(b"\xef\xbb\xbf" + project.read_bytes())
    after = load(project).pipeline.config_hash
    assert after != before
    assert after == hashlib.sha256(project.read_bytes()).hexdigest()[:16]
    assert built.count == 2


def test_a_config_moved_with_its_readings_is_built_again(project: Path, built: Builds) -> None:
    load(project)
    moved = project.parent.parent / "moved"
    shutil.copytree(project.parent, moved)
    pipeline = load(moved / "pipeline.yaml").pipeline
    assert pipeline.source == str((moved / "pipeline.yaml").resolve())
    assert pipeline.project_dir == str(moved.resolve())
    assert built.count == 2


def test_other_builder_code_builds_again(
    project: Path, built: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(project)
    monkeypatch.setattr(builds, "_code", lambda: "another builder")
    load(project)
    assert built.count == 2


def test_the_builders_files_are_part_of_the_key() -> None:
    builds._code.cache_clear()
    try:
        code = builds._code()
        assert code is not None
        package = Path(builds.__file__).parent.parent
        assert (package / "config" / "build.py").is_file()
        assert (package / "model" / "pipeline.py").is_file()
    finally:
        builds._code.cache_clear()


def test_without_a_usable_signing_key_nothing_is_kept(
    project: Path, built: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "too short")
    assert load(project).pipeline.name == "big"
    assert load(project).pipeline.name == "big"
    assert not builds.model_place(project).exists()
    assert built.count == 2


def test_a_build_with_problems_is_not_kept(project: Path, built: Builds) -> None:
    text = big_chain(6000).replace('"${steps.s8}"', '"${oops.s8}"')
    project.write_text(text, encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError, match="unknown reference"):
            load(project)
    assert readings.place(project).is_file()
    assert not builds.model_place(project).exists()
    assert built.count == 2


def test_failing_to_keep_a_model_is_no_error(project: Path, built: Builds) -> None:
    builds.model_place(project).mkdir(parents=True)  # a folder where the file would go
    assert load(project).pipeline.name == "big"
    assert load(project).pipeline.name == "big"
    assert built.count == 2
    assert sorted(path.name for path in readings.place(project).parent.iterdir()) == [
        "pipeline.yaml.json",
        "pipeline.yaml.model",
    ]


def test_a_model_planted_where_no_signing_key_exists_is_never_unpickled(
    project: Path, built: Builds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project copied to a machine (or user) with no key yet: its model file is not loaded,
    and reading it does not make a key either."""
    load(project)
    marker = tmp_path / "marker"
    forged(project, bytes(32) + pickle.dumps(Planted(marker)))
    empty = tmp_path / "no-key-here"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(empty))
    assert builds._signing(create=False) is None
    assert builds.recall(project.resolve(), "any reading", "any hash") is None
    assert load(project).pipeline.name == "big"
    assert not marker.exists()
    assert built.count == 2
