"""Files exchanged through URLs on real object stores (moto's S3, the GCS emulator): read,
written, cached, restored.

The results root and the files the steps exchange live in one bucket. A reader of an
`s3://` object its writer wrote re-runs on the new content, an unchanged re-run runs nothing,
a step writing to the URL it is given is cached (issue 11, item 6: `save_csv(df, url)`), and
a deleted object or prefix is put back from the store without running anything.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import fsspec
import pytest

import pipeflow
from pipeflow.model.run import Action
from tests.calls import calls
from tests.servers import ObjectStore

STEPS = """
from pathlib import Path

import fsspec

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def save_csv(rows, path, options):
    note("save_csv")
    with fsspec.open(path, "w", **options) as handle:
        handle.write("\\n".join(",".join(map(str, row)) for row in rows))


def count(path, options):
    note("count")
    with fsspec.open(path, "r", **options) as handle:
        return len(handle.read().splitlines())


def export(prefix, count, options):
    note("export")
    filesystem, root = fsspec.core.url_to_fs(prefix, **options)
    for index in range(count):
        with filesystem.open(f"{root}/part-{index}.txt", "w") as handle:
            handle.write(f"part {index}")


def listing(prefix, options):
    note("listing")
    filesystem, root = fsspec.core.url_to_fs(prefix, **options)
    return len(filesystem.find(root))
"""


@pytest.fixture(params=["s3_server", "gcs_server"])
def bucket(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    """(the results root URL, the storage options as JSON) of a fresh prefix, on S3 (moto)
    and on GCS (the emulator)."""
    server: ObjectStore = request.getfixturevalue(request.param)
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    return server.unique_url("files"), json.dumps(dict(server.storage_options))


def make(tmp_path: Path, root: str, options: str, steps: str) -> Path:
    config = tmp_path / "pipeline.yaml"
    body = textwrap.indent(textwrap.dedent(steps), "  ")
    config.write_text(
        f"name: s3files\nparams: {{rows: 3, parts: 2}}\n"
        f"results: {{root: {json.dumps(root)}, storage_options: {options}}}\nsteps:\n{body}"
    )
    return config


def run(config: Path, **params: object) -> pipeflow.api.Run:
    result = pipeflow.load(config, params=params or None).run()
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


def test_a_reader_of_an_object_follows_its_writer(tmp_path: Path, bucket: tuple[str, str]) -> None:
    root, options = bucket
    url = f"{root}/exports/table.csv"
    config = make(
        tmp_path,
        root,
        options,
        f"""
        save:
          run: mysteps.save_csv
          inputs: {{rows: "${{params.table}}", path: "{url}", options: {options}}}
          writes: ["{url}"]
        count:
          run: mysteps.count
          inputs: {{path: "{url}", options: {options}}}
        """,
    )
    text = config.read_text().replace("{rows: 3, parts: 2}", "{table: [[1, 2], [3, 4]]}")
    config.write_text(text)
    assert run(config).output("count") == 2
    assert calls(tmp_path) == ["count", "save_csv"]
    # Issue 11, item 6: the step writing to the URL it is given is cached.
    assert run(config).output("count") == 2
    assert calls(tmp_path) == []
    assert run(config, table=[[1], [2], [3]]).output("count") == 3
    assert calls(tmp_path) == ["count", "save_csv"]

    # The object is deleted: it is put back, byte for byte, and nothing runs.
    filesystem = fsspec.filesystem(root.split(":")[0], **json.loads(options))
    before = filesystem.cat_file(url)
    filesystem.rm_file(url)
    status = pipeflow.load(config, params={"table": [[1], [2], [3]]}).status()
    decisions = {d.step: d for d in status}
    assert decisions["save"].action is Action.RESTORE
    assert decisions["save"].reason == f"{url} is missing"
    assert decisions["count"].action is Action.CACHED
    run(config, table=[[1], [2], [3]])
    assert calls(tmp_path) == []
    filesystem.invalidate_cache()
    assert filesystem.cat_file(url) == before

    # Switching back restores the first version.
    assert run(config).output("count") == 2
    assert calls(tmp_path) == []
    filesystem.invalidate_cache()
    assert filesystem.cat_file(url) == b"1,2\n3,4"


def test_a_written_prefix_is_kept_and_restored(tmp_path: Path, bucket: tuple[str, str]) -> None:
    root, options = bucket
    prefix = f"{root}/exports/parts"
    config = make(
        tmp_path,
        root,
        options,
        f"""
        export:
          run: mysteps.export
          inputs: {{prefix: "{prefix}", count: "${{params.parts}}", options: {options}}}
          writes: ["{prefix}/"]
        listing:
          run: mysteps.listing
          inputs: {{prefix: "{prefix}", options: {options}}}
          reads: ["{prefix}"]
        """,
    )
    assert run(config).output("listing") == 2
    assert run(config, parts=3).output("listing") == 3
    assert calls(tmp_path) == ["export", "export", "listing", "listing"]
    filesystem = fsspec.filesystem(root.split(":")[0], **json.loads(options))
    filesystem.rm(prefix.split("://")[1], recursive=True)
    assert run(config, parts=3).output("listing") == 3
    assert calls(tmp_path) == []
    filesystem.invalidate_cache()
    assert sorted(p.rsplit("/", 1)[-1] for p in filesystem.find(prefix)) == [
        "part-0.txt",
        "part-1.txt",
        "part-2.txt",
    ]
    # Back to two parts: the third, which that version did not have, is removed.
    assert run(config, parts=2).output("listing") == 2
    assert calls(tmp_path) == []
    filesystem.invalidate_cache()
    assert len(filesystem.find(prefix)) == 2
