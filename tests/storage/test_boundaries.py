"""Where a store may write: inside its root, never into pipeflow's reserved areas, never out
through a symbolic link (SPEC section 10). These are the store's own checks, the last line of
defence behind validation: every spelling of the same escape is tried, on a local folder and on
real S3 (moto's server) where the notion applies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pipeflow.errors import StorageError
from pipeflow.storage import (
    Manifest,
    PartRecord,
    ResultStore,
    TargetFields,
    TemplateError,
    get_format,
    render_target,
)
from tests.servers import ObjectStore, require_loopback

JSON = get_format("json")

# Every spelling of "into the store's reserved `.pipeflow/` area" a target can reach after
# normalisation (`..` is refused on its own, whatever follows it).
RESERVED_SPELLINGS = [
    ".pipeflow/manifests/victim/step/latest.json",
    "./.pipeflow/manifests/victim/step/latest.json",
    ".pipeflow//results/x.json",
    ".PIPEFLOW/manifests/x.json",  # case-insensitive filesystems (macOS, Windows)
    ".PipeFlow/x.json",
    ".pipeflow./x.json",  # Windows drops trailing dots and spaces
    ".pipeflow /x.json",
    "\uff0e\uff50\uff49\uff50\uff45\uff46\uff4c\uff4f\uff57/x.json",  # full-width: refused too
    "other-store/.pipeflow/manifests/x.json",  # another store's reserved area, below this one
    ".pipeflow/runs.db",
    ".pipeflow/file-hashes.json",
]


def fields(params: Mapping[str, Any] | None = None, **names: str) -> TargetFields:
    return TargetFields(
        pipeline=names.get("pipeline", "iris"),
        step=names.get("step", "split_data"),
        output=names.get("output", "value"),
        run_id="20240301-abc",
        date=datetime(2024, 3, 1, tzinfo=timezone.utc),
        params=params or {},
        key="k123",
        ext="json",
    )


# -- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", RESERVED_SPELLINGS)
def test_a_template_cannot_render_into_the_reserved_area(target: str) -> None:
    with pytest.raises(TemplateError, match=r"reserved"):
        render_target(target, fields())


@pytest.mark.parametrize(
    ("template", "params", "names"),
    [
        ("{params.p}/manifests/x.json", {"p": ".pipeflow"}, {}),
        ("{params.p}/x.json", {"p": "a/.pipeflow"}, {}),
        ("{params.p}/x.json", {"p": ".Pipeflow"}, {}),
        (".{step}/manifests/x.json", {}, {"step": "pipeflow"}),
        (".{pipeline}/x.json", {}, {"pipeline": "pipeflow"}),
        (".{output}/x.json", {}, {"output": "pipeflow"}),
        ("{params.dot}{step}/x.json", {"dot": "."}, {"step": "pipeflow"}),
    ],
)
def test_fields_and_params_cannot_render_into_the_reserved_area(
    template: str, params: dict[str, Any], names: dict[str, str]
) -> None:
    with pytest.raises(TemplateError, match=r"reserved"):
        render_target(template, fields(params, **names))


@pytest.mark.parametrize(
    ("template", "params"),
    [("{params.p}/x.json", {"p": "x/../.pipeflow"}), ("a/../.pipeflow/x.json", {})],
)
def test_dot_dot_spellings_are_refused_before_they_could_reach_it(
    template: str, params: dict[str, Any]
) -> None:
    with pytest.raises(TemplateError, match=r"\.\."):
        render_target(template, fields(params))


@pytest.mark.parametrize("target", ["pipeflow/x.json", ".pipeflowx/x.json", "x.pipeflow/y.json"])
def test_names_that_only_look_alike_are_fine(target: str) -> None:
    assert render_target(target, fields()) == target


# -- the store: the reserved area ----------------------------------------------------------


def manifest_for(record: PartRecord) -> Manifest:
    return Manifest(
        key="k",
        pipeline="victim",
        step="step",
        run_id="run-1",
        created="2024-03-01T06:30:00+00:00",
        params={},
        parts={"value": record},
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ResultStore:
    if request.param == "local":
        return ResultStore(str(tmp_path / "results"))
    server: ObjectStore = request.getfixturevalue("s3_server")
    require_loopback(server.storage_options)
    return ResultStore(server.unique_url(), server.options())


@pytest.mark.parametrize("path", RESERVED_SPELLINGS)
def test_the_store_refuses_a_target_in_the_reserved_area(store: ResultStore, path: str) -> None:
    with pytest.raises(StorageError, match=r"reserved") as caught:
        store.write(path, {"forged": True}, format=JSON)
    assert "`.pipeflow/`" in str(caught.value)
    assert store.list("") == []


def test_pipeflow_itself_still_writes_its_own_area(store: ResultStore) -> None:
    record = store.write(".pipeflow/results/p/s/k/value.json", [1], format=JSON, internal=True)
    store.write_manifest(".pipeflow/manifests/p/s/k.json", manifest_for(record))
    assert store.read_manifest(".pipeflow/manifests/p/s/k.json") == manifest_for(record)


@pytest.mark.parametrize(
    "path", ["results/.pipeflow/x.json", ".pipeflow/a/.PIPEFLOW/x.json", "a/.Pipeflow/m.json"]
)
def test_pipeflows_own_writes_name_its_area_once_and_first(store: ResultStore, path: str) -> None:
    with pytest.raises(StorageError, match=r"reserved"):
        store.write(path, [1], format=JSON, internal=True)
    with pytest.raises(StorageError, match=r"reserved"):
        store.write_manifest(path, manifest_for(store.write("v.json", [1], format=JSON)))


@pytest.mark.parametrize("inner", [".pipeflow", ".pipeflow/manifests", "x/.PIPEFLOW"])
def test_a_root_inside_a_reserved_folder_is_refused(tmp_path: Path, inner: str) -> None:
    root = tmp_path / "project" / inner
    store = ResultStore(str(root))
    with pytest.raises(StorageError, match=r"inside .*`\.pipeflow/`"):
        store.write("runs.db", {"forged": True}, format=JSON)
    with pytest.raises(StorageError, match=r"inside .*`\.pipeflow/`"):
        store.write(".pipeflow/results/p/s/k/value.json", [1], format=JSON, internal=True)
    assert not root.exists()


def test_a_remote_root_inside_a_reserved_prefix_is_refused(s3_server: ObjectStore) -> None:
    require_loopback(s3_server.storage_options)
    store = ResultStore(f"{s3_server.unique_url()}/.pipeflow/manifests", s3_server.options())
    with pytest.raises(StorageError, match=r"inside .*`\.pipeflow/`"):
        store.write("victim/step/latest.json", {"forged": True}, format=JSON)


def test_the_history_database_in_pipeflow_home_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.db").write_bytes(b"history")
    monkeypatch.setenv("PIPEFLOW_HOME", str(home))
    store = ResultStore(str(home))
    for name in ("runs.db", "RUNS.DB", "runs.db-wal", "runs.db-shm", "runs.db-journal"):
        with pytest.raises(StorageError, match=r"history database"):
            store.write(name, {"forged": True}, format=JSON)
    # The same file, reached from a parent root, directly and through a link inside it.
    (tmp_path / "link").symlink_to(home, target_is_directory=True)
    for path in ("home/runs.db", "link/runs.db"):
        with pytest.raises(StorageError, match=r"history database"):
            ResultStore(str(tmp_path)).write(path, {"x": 1}, format=JSON)
    assert (home / "runs.db").read_bytes() == b"history"
    assert sorted(p.name for p in home.iterdir()) == ["runs.db"]
    # Anything else in that folder is an ordinary target.
    assert store.write("report.json", {"x": 1}, format=JSON).path == "report.json"


def test_the_signing_key_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.delenv("PIPEFLOW_SIGNING_KEY", raising=False)
    store = ResultStore(str(config_home))
    for name in ("pipeflow/signing.key", "PipeFlow/Signing.Key"):
        with pytest.raises(StorageError, match=r"signing key"):
            store.write(name, {"forged": True}, format=JSON)
    assert not (config_home / "pipeflow" / "signing.key").exists()


# -- the store: symbolic links ---------------------------------------------------------------


@pytest.fixture
def linked(tmp_path: Path) -> tuple[ResultStore, Path, Path]:
    """A store whose root holds `out -> ../elsewhere` (a folder outside the root)."""
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "out").symlink_to(elsewhere, target_is_directory=True)
    return ResultStore(str(root)), root, elsewhere


@pytest.mark.parametrize("path", ["out/x.json", "out/deeper/x.json", "./out/x.json"])
def test_a_linked_folder_is_not_followed_out_of_the_root(
    linked: tuple[ResultStore, Path, Path], path: str
) -> None:
    store, _, elsewhere = linked
    with pytest.raises(StorageError, match=r"outside the results store") as caught:
        store.write(path, {"x": 1}, format=JSON)
    assert "symbolic link" in str(caught.value)
    assert list(elsewhere.iterdir()) == []


def test_a_dangling_link_is_not_followed_either(tmp_path: Path) -> None:
    root, missing = tmp_path / "root", tmp_path / "not-yet" / "there"
    root.mkdir()
    (root / "out").symlink_to(missing)
    with pytest.raises(StorageError, match=r"outside the results store"):
        ResultStore(str(root)).write("out/x.json", {"x": 1}, format=JSON)
    assert not (tmp_path / "not-yet").exists()


def test_a_linked_file_is_not_overwritten_through(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    victim = tmp_path / "victim.json"
    victim.write_text("keep")
    (root / "x.json").symlink_to(victim)
    with pytest.raises(StorageError, match=r"outside the results store"):
        ResultStore(str(root)).write("x.json", {"x": 1}, format=JSON)
    assert victim.read_text() == "keep"


def test_a_link_into_the_reserved_area_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / ".pipeflow" / "manifests").mkdir(parents=True)
    (root / "m").symlink_to(root / ".pipeflow" / "manifests")
    with pytest.raises(StorageError, match=r"reserved"):
        ResultStore(str(root)).write("m/victim/step/latest.json", {"x": 1}, format=JSON)
    assert list((root / ".pipeflow" / "manifests").iterdir()) == []


def test_payloads_are_not_read_through_a_link_out_of_the_root(
    linked: tuple[ResultStore, Path, Path],
) -> None:
    store, root, elsewhere = linked
    record = store.write("real/x.json", {"x": 1}, format=JSON)
    (elsewhere / "x.json").write_bytes((root / "real" / "x.json").read_bytes())
    outside = PartRecord(
        path="out/x.json", format="json", size=record.size, checksum=record.checksum
    )
    with pytest.raises(StorageError, match=r"outside the results store"):
        store.read(outside)
    with pytest.raises(StorageError, match=r"outside the results store"):
        store.verify(outside)
    with pytest.raises(StorageError, match=r"outside the results store"):
        store.delete("out")
    assert (elsewhere / "x.json").exists()


def test_links_that_stay_inside_the_root_are_fine(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    store = ResultStore(str(root))
    record = store.write("alias/x.json", {"x": 1}, format=JSON)
    assert store.read(record) == {"x": 1}
    assert json_of(root / "real" / "x.json") == {"x": 1}


def test_a_root_that_is_itself_a_link_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real-root"
    real.mkdir()
    (tmp_path / "root").symlink_to(real, target_is_directory=True)
    store = ResultStore(str(tmp_path / "root"))
    record = store.write("a/x.json", {"x": 1}, format=JSON)
    assert store.read(record) == {"x": 1}
    assert (real / "a" / "x.json").exists()


def json_of(path: Path) -> Any:
    return json.loads(path.read_text())
