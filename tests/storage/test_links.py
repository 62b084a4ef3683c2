"""`link_local`: a second name of a complete file, made or swapped in one step (the `latest`
copy of a manifest on a local disk)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeflow.storage.publish import link_local


def test_a_new_name_is_the_same_file(tmp_path: Path) -> None:
    source = tmp_path / "k.json"
    source.write_text("one")
    assert link_local(str(source), str(tmp_path / "latest.json"))
    assert os.path.samefile(source, tmp_path / "latest.json")


def test_an_existing_name_is_replaced_whole(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text("old")
    new.write_text("new")
    link_local(str(old), str(tmp_path / "latest.json"))
    assert link_local(str(new), str(tmp_path / "latest.json"))
    assert (tmp_path / "latest.json").read_text() == "new"
    assert old.read_text() == "old"  # the other name of the replaced file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "new.json", "old.json"]


def test_a_missing_folder_is_made(tmp_path: Path) -> None:
    source = tmp_path / "k.json"
    source.write_text("one")
    assert link_local(str(source), str(tmp_path / "a" / "b" / "latest.json"))
    assert os.path.samefile(source, tmp_path / "a" / "b" / "latest.json")


def test_a_missing_source_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        link_local(str(tmp_path / "gone.json"), str(tmp_path / "f" / "latest.json"))
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []


def test_no_hard_links_leaves_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: str, destination: str) -> None:
        raise PermissionError(1, "Operation not permitted", destination)

    source = tmp_path / "k.json"
    source.write_text("one")
    monkeypatch.setattr(os, "link", refuse)  # as on a filesystem without hard links
    assert not link_local(str(source), str(tmp_path / "latest.json"))
    assert [p.name for p in tmp_path.iterdir()] == ["k.json"]
