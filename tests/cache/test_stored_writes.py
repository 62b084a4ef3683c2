"""What a step `writes` is checked and kept: blobs named by their checksum, listed in the manifest.

Real files, a real local store and moto's S3 server: each file of a declared write (a file,
or every file of a folder) is stored once per content under `.pipeflow/files/sha256/`, the
manifest's `files` lists each checksum, a target payload keeps a blob too, and a declared
write that is missing (or a file where a folder was declared) fails the step without
committing anything.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.model.run import StepState
from pipeflow.storage import ResultStore
from pipeflow.storage.blobs import BLOBS, blob_path
from tests.servers import ObjectStore

STEPS = """
import json
from pathlib import Path

import fsspec


def write(text, out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text)
    return len(text)


def folder(out, count):
    root = Path(out)
    (root / "sub").mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (root / f"part-{index}.txt").write_text(f"part {index}")
    (root / "sub" / "same.txt").write_text("part 0")  # the same bytes as part-0.txt
    return count


def forget(out):
    return 0  # declares `out` but never writes it


def upload(url, text, options):
    with fsspec.open(url, "w", **options) as handle:
        handle.write(text)
    return text
"""


@pytest.fixture(autouse=True)
def _in_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a step writing a relative path it does not declare


def make(tmp_path: Path, steps: str, *, root: str = "out", options: str = "{}") -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    body = textwrap.indent(textwrap.dedent(steps), "  ")
    config.write_text(
        f"name: kept\nparams: {{text: hello}}\n"
        f"results: {{root: {json.dumps(root)}, storage_options: {options}}}\nsteps:\n{body}"
    )
    return config


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest_of(store: ResultStore, step: str) -> dict[str, Any]:
    """The newest manifest of `step`: its `latest.json` (a local store), or the newest of its
    manifests (an object store keeps no `latest.json`)."""
    folder = f".pipeflow/manifests/kept/{step}"
    found = [store.read_manifest(path) for path in store.list(folder)]
    manifest = max((m for m in found if m is not None), key=lambda m: m.created, default=None)
    assert manifest is not None
    data: dict[str, Any] = json.loads(manifest.to_json())
    return data


def test_a_written_file_and_folder_are_kept_once_per_content(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        one:
          run: mysteps.write
          inputs: {text: "${params.text}", out: data/one.txt}
          writes: data/one.txt
        many: {run: mysteps.folder, inputs: {out: data/parts, count: 3}, writes: [data/parts/]}
        """,
    )
    run = pipeflow.load(config).run()
    assert run.ok
    store = ResultStore(str(tmp_path / "out"))
    one = manifest_of(store, "one")["files"]
    entry = {"size": 5, "checksum": sha(b"hello")}
    assert one == {"data/one.txt": {"kind": "file", "entries": {"": entry}}}
    many = manifest_of(store, "many")["files"]["data/parts/"]
    assert many["kind"] == "folder"
    assert sorted(many["entries"]) == ["part-0.txt", "part-1.txt", "part-2.txt", "sub/same.txt"]
    assert many["entries"]["sub/same.txt"] == many["entries"]["part-0.txt"]
    for entry in [*many["entries"].values(), one["data/one.txt"]["entries"][""]]:
        blob = tmp_path / "out" / blob_path(entry["checksum"])
        assert sha(blob.read_bytes()) == entry["checksum"]
    # Deduplicated: part-0.txt and sub/same.txt share one blob.
    blobs = [p for p in (tmp_path / "out" / BLOBS).rglob("*") if p.is_file()]
    assert len(blobs) == 4  # hello, part 0, part 1, part 2


def test_a_target_payload_keeps_a_blob(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        one:
          run: mysteps.write
          inputs: {text: "${params.text}", out: data/one.txt}
          result: {target: "counts/{step}.json"}
        """,
    )
    assert pipeflow.load(config).run().ok
    store = ResultStore(str(tmp_path / "out"))
    part = manifest_of(store, "one")["parts"]["value"]
    assert part["path"] == "counts/one.json"
    assert part["blob"] == blob_path(part["checksum"])
    kept = (tmp_path / "out" / part["blob"]).read_bytes()
    assert kept == (tmp_path / "out" / "counts/one.json").read_bytes()


@pytest.mark.parametrize("options", [{}, {"no_cache": True}], ids=["cached", "no-cache"])
def test_a_missing_declared_write_fails_the_step(tmp_path: Path, options: dict[str, bool]) -> None:
    config = make(
        tmp_path,
        """
        forgetful: {run: mysteps.forget, inputs: {out: data/never.txt}, writes: [data/never.txt]}
        after: {run: mysteps.write, inputs: {text: x, out: data/x.txt}, after: [forgetful]}
        """,
    )
    run = pipeflow.load(config).run(**options)
    outcome = run.outcomes["forgetful"]
    assert outcome.state is StepState.FAILED
    assert "declared write data/never.txt was not written" in (outcome.error or "")
    assert run.outcomes["after"].state is StepState.NOT_RUN
    assert not list(tmp_path.rglob("manifests/kept/forgetful/*.json"))
    # Nothing was committed: it runs (and fails) again.
    again = pipeflow.load(config).run()
    assert again.outcomes["forgetful"].state is StepState.FAILED


def test_a_file_where_a_folder_was_declared_fails_the_step(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        "w: {run: mysteps.write, inputs: {text: x, out: data/features}, writes: [data/features/]}",
    )
    outcome = pipeflow.load(config).run().outcomes["w"]
    assert outcome.state is StepState.FAILED
    assert "declared write data/features/ is a file, not a folder" in (outcome.error or "")


def test_writes_to_s3_are_kept_in_the_bucket(tmp_path: Path, s3_server: ObjectStore) -> None:
    root = s3_server.unique_url("writes")
    options = json.dumps(dict(s3_server.storage_options))
    config = make(
        tmp_path,
        f"""
        up:
          run: mysteps.upload
          inputs: {{url: "{root}/exports/up.txt", text: "${{params.text}}", options: {options}}}
          writes: ["{root}/exports/up.txt"]
        """,
        root=root,
        options=options,
    )
    run = pipeflow.load(config).run()
    assert run.ok, run.outcomes["up"].error
    store = ResultStore(root, s3_server.storage_options)
    files = manifest_of(store, "up")["files"]
    entry = files[f"{root}/exports/up.txt"]["entries"][""]
    assert entry["checksum"] == sha(b"hello")
    assert entry["stamp"]  # the object's ETag
    assert store.exists(blob_path(entry["checksum"]))


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        ('["data/*.csv"]', "`reads` names data/*.csv, which matches nothing"),
        ("[data/absent.txt]", "`reads` names data/absent.txt, which does not exist"),
    ],
)
def test_a_read_that_is_not_there_fails_the_step_and_loses_nothing(
    tmp_path: Path, reads: str, expected: str
) -> None:
    config = make(
        tmp_path,
        f"""
        one: {{run: mysteps.write, inputs: {{text: "${{params.text}}", out: data/one.txt}},
               writes: [data/one.txt]}}
        reader: {{run: mysteps.forget, inputs: {{out: x}}, reads: {reads}, after: [one]}}
        """,
    )
    first = pipeflow.load(config).run()
    assert first.outcomes["one"].state is StepState.DONE
    outcome = first.outcomes["reader"]
    assert outcome.state is StepState.FAILED
    assert expected in (outcome.error or "")
    stored = sorted(p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*"))
    # Another param: `one` runs and fails nothing; its first result stays stored.
    pipeflow.load(config, params={"text": "other"}).run()
    again = pipeflow.load(config).run()
    assert again.outcomes["one"].state is StepState.CACHED
    assert set(stored) <= {p.relative_to(tmp_path) for p in (tmp_path / "out").rglob("*")}


def test_an_item_read_that_is_not_there_fails_before_any_item_runs(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        each:
          run: mysteps.write
          foreach: [a, b]
          as: out
          inputs: {text: x}
          reads: ["sources/${out}.txt"]
        """,
    )
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "a.txt").write_text("a")
    outcome = pipeflow.load(config).run().outcomes["each"]
    assert outcome.state is StepState.FAILED
    assert "`reads` names sources/b.txt, which does not exist" in (outcome.error or "")
    assert not (tmp_path / "a").exists()
