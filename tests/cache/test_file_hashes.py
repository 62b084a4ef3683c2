"""Remembered file hashes: a hash taken on a worker is found again by the client, by path."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pipeflow.cache.files import FileFingerprints
from pipeflow.storage.blobs import FileHash

PRETEND = "ab" * 32  # a sha256 the file does not have: seen only if the remembered one is used


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "out.txt"
    path.parent.mkdir()
    path.write_text("content")
    return path


def remembered(path: Path, *, ctime: bool = False) -> FileHash:
    status = path.stat()
    return FileHash(
        str(path),
        status.st_size,
        status.st_mtime_ns,
        PRETEND,
        status.st_ctime_ns if ctime else None,
    )


@pytest.mark.parametrize("spelling", ["absolute", "relative", "through-a-link"])
def test_a_hash_taken_elsewhere_is_not_taken_again(
    tmp_path: Path, file: Path, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = FileFingerprints(tmp_path / "hashes.json")
    hashes.remember(remembered(file, ctime=True))
    if spelling == "relative":
        monkeypatch.chdir(tmp_path)
        asked = Path("data/out.txt")
    elif spelling == "through-a-link":
        (tmp_path / "link").symlink_to(file.parent)
        asked = tmp_path / "link" / "out.txt"
    else:
        asked = file
    assert hashes.checksum(asked) == (len("content"), f"sha256:{PRETEND}")
    hashes.save()
    again = FileFingerprints(tmp_path / "hashes.json")
    assert again.checksum(asked) == (len("content"), f"sha256:{PRETEND}")
    # Remembered by a hash of the path: the path itself never reaches the file.
    assert str(tmp_path) not in (tmp_path / "hashes.json").read_text()


def test_a_changed_file_is_hashed_again(tmp_path: Path, file: Path) -> None:
    hashes = FileFingerprints(None)
    hashes.remember(remembered(file))
    file.write_text("changed")
    actual = hashlib.sha256(b"changed").hexdigest()
    assert hashes.checksum(file) == (len("changed"), f"sha256:{actual}")


@pytest.mark.parametrize("how", ["rewritten in place", "renamed over it"])
@pytest.mark.parametrize("saved", [False, True])
def test_a_file_replaced_with_its_size_and_modification_time_is_hashed_again(
    tmp_path: Path, file: Path, how: str, saved: bool
) -> None:
    """`cp -p`, `rsync -t`, `tar x`, `touch -r`: same size, same mtime, other bytes. Any such
    change sets the file's ctime, which nothing can set back."""
    hashes = FileFingerprints(tmp_path / "hashes.json")
    assert hashes.checksum(file) == (7, "sha256:" + hashlib.sha256(b"content").hexdigest())
    if saved:
        hashes.save()
        hashes = FileFingerprints(tmp_path / "hashes.json")
    before = file.stat()
    if how == "rewritten in place":
        file.write_text("CONTENT")
    else:
        other = tmp_path / "incoming.txt"
        other.write_text("CONTENT")
        os.replace(other, file)
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = file.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert hashes.checksum(file) == (7, "sha256:" + hashlib.sha256(b"CONTENT").hexdigest())


def test_a_hash_remembered_without_its_ctime_is_taken_again(tmp_path: Path, file: Path) -> None:
    hashes = FileFingerprints(None)
    hashes.remember(remembered(file))
    assert hashes.checksum(file) == (7, "sha256:" + hashlib.sha256(b"content").hexdigest())


def test_a_blob_is_checked_only_with_its_ctime_and_checksum(tmp_path: Path, file: Path) -> None:
    hashes = FileFingerprints(None)
    hashes.remember(remembered(file))
    assert hashes.checked(str(file), PRETEND) is None  # hashed, but no ctime: never trusted
    hashes.remember(remembered(file, ctime=True))
    status = file.stat()
    stamp = (status.st_size, status.st_mtime_ns, status.st_ctime_ns)
    assert hashes.checked(str(file), PRETEND) == stamp
    assert hashes.checked(str(file), "cd" * 32) is None  # another content
    assert hashes.checked(os.path.join(str(file.parent), "other"), PRETEND) is None


def test_a_file_reached_through_a_link_of_its_own_name_is_the_file(
    tmp_path: Path, file: Path
) -> None:
    hashes = FileFingerprints(None)
    hashes.remember(remembered(file, ctime=True))
    link = tmp_path / "data" / "alias.txt"
    link.symlink_to(file)
    assert hashes.checksum(link) == (len("content"), f"sha256:{PRETEND}")
    other = tmp_path / "data" / "other.txt"
    other.write_text("content")  # same size, another file: its own hash
    assert hashes.checksum(other) == (
        len("content"),
        f"sha256:{hashlib.sha256(b'content').hexdigest()}",
    )
