"""The layout of stored results without a target, on every kind of store.

A value is one payload file beside the other results of its step
(`.pipeflow/results/PIPELINE/STEP/KEY.PART.EXT`, no folder per result), its manifest
`.pipeflow/manifests/PIPELINE/STEP/KEY.json`, and on a local disk the `latest.json` copy,
another name of that same file (a hard link); on an object store a small value is inside its
manifest, and there is no `latest.json` (tests/cache/test_inline.py). Results stored in the
previous layout (a folder per result: `.../STEP/KEY/PART.EXT`, `latest.json` a separate copy)
are still taken as cached; tampered results are not; a run killed at any moment resumes from
every step it reported finished; `pipeflow gc` collects the new layout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from pipeflow.storage import Manifest, ResultStore, ResultWarning, get_format
from tests import inlined, journals
from tests.calls import calls
from tests.servers import ObjectStore

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def start(count):
    note("start")
    return list(range(count))


def double(values):
    note("double")
    return [2 * value for value in values]


def total(values):
    note("total")
    return sum(values)
"""

STORES = ["local", "s3_server", "gcs_server"]
# On a local store, a small result is a record of its run's journal (tests/cache/test_journal.py);
# a large one keeps the layout below. A count this large makes `start` and `double` large.
LARGE = 20_000


def project(folder: Path, root: str, options: dict[str, object]) -> Path:
    (folder / "laysteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: layout
            params: {{count: 4}}
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              start: {{run: laysteps.start, inputs: {{count: "${{params.count}}"}}}}
              double: {{run: laysteps.double, inputs: {{values: "${{steps.start}}"}}}}
              total: {{run: laysteps.total, inputs: {{values: "${{steps.double}}"}}}}
            """
        )
    )
    return config


def make(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, ResultStore]:
    """A project storing its results in `store` ("local", or a server fixture's name), run
    once, its results then stored as files: on a local store out of its journal
    (`journals.all_to_files`), on an object store out of their manifests (`inlined.to_objects`,
    with `latest.json` copies): as a large value is, and as any value was before."""
    if store == "local":
        config, store_ = local(tmp_path)
        pipeflow.load(config).run()
        journals.all_to_files(tmp_path / "out", "layout")
        return config, store_
    config, store_ = remote(store, request, tmp_path)
    pipeflow.load(config).run()
    inlined.to_objects(store_, "layout")
    return config, store_


def remote(where: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, ResultStore]:
    """A project storing its results on the server fixture `where`, as this pipeflow does: a
    small value inside its manifest (`storage/inline.py`)."""
    server: ObjectStore = request.getfixturevalue(where)
    root, options = server.unique_url("layout"), dict(server.storage_options)
    return project(tmp_path, root, options), ResultStore(root, options)


def local(tmp_path: Path) -> tuple[Path, ResultStore]:
    root = str(tmp_path / "out")
    return project(tmp_path, root, {}), ResultStore(root)


def manifests(store: ResultStore, step: str) -> dict[str, Manifest]:
    """The manifests of `step` by file name (KEY.json, latest.json)."""
    prefix = f".pipeflow/manifests/layout/{step}"
    found = {}
    for path in store.list(prefix):
        manifest = store.read_manifest(path)
        assert manifest is not None, path
        found[path.rsplit("/", 1)[1]] = manifest
    return found


def keyed(store: ResultStore, step: str) -> Manifest:
    [manifest] = [m for name, m in manifests(store, step).items() if name != "latest.json"]
    return manifest


@pytest.mark.parametrize("where", ["s3_server", "gcs_server"])
def test_a_value_is_one_file_beside_the_other_results_of_its_step(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, store = remote(where, request, tmp_path)
    total = LARGE * (LARGE - 1)
    assert pipeflow.load(config, params={"count": LARGE}).run().output("total") == total
    for step in ("start", "double"):
        manifest = keyed(store, step)
        part = manifest.parts["value"]
        assert part.path == f".pipeflow/results/layout/{step}/{manifest.key}.value.json"
        assert part.inline is None
        assert store.list(f".pipeflow/results/layout/{step}") == [part.path]
        assert store.verify(part)
        assert list(manifests(store, step)) == [f"{manifest.key}.json"]  # no `latest.json`
    # A small value is its manifest alone: its bytes inside, no payload object.
    manifest = keyed(store, "total")
    part = manifest.parts["value"]
    assert part.path == f".pipeflow/manifests/layout/total/{manifest.key}.json"
    assert part.inline is not None
    assert store.list(".pipeflow/results/layout/total") == []
    assert list(manifests(store, "total")) == [f"{manifest.key}.json"]
    assert store.verify(part)
    assert calls(tmp_path) == ["double", "start", "total"]
    again = pipeflow.load(config, params={"count": LARGE}).run()
    assert calls(tmp_path) == []
    assert again.output("total") == total  # read back from the store


def test_a_large_value_is_one_file_beside_the_other_results_of_its_step_on_a_local_disk(
    tmp_path: Path,
) -> None:
    config, store = local(tmp_path)
    assert pipeflow.load(config, params={"count": LARGE}).run().ok
    for step in ("start", "double"):
        manifest = keyed(store, step)
        part = manifest.parts["value"]
        assert part.path == f".pipeflow/results/layout/{step}/{manifest.key}.value.json"
        assert part.offset is None
        assert store.list(f".pipeflow/results/layout/{step}") == [part.path]
        assert store.verify(part)
        assert manifests(store, step)["latest.json"] == manifest
    assert store.list(".pipeflow/manifests/layout/total") == []  # small: in the journal
    calls(tmp_path)
    again = pipeflow.load(config, params={"count": LARGE}).run()
    assert calls(tmp_path) == []
    assert again.output("total") == LARGE * (LARGE - 1)


def test_latest_is_another_name_of_the_manifest_on_a_local_disk(tmp_path: Path) -> None:
    config, store = local(tmp_path)
    pipeflow.load(config, params={"count": LARGE}).run()
    folder = tmp_path / "out" / ".pipeflow" / "manifests" / "layout" / "double"
    [manifest] = [path for path in folder.iterdir() if path.name != "latest.json"]
    assert os.path.samefile(manifest, folder / "latest.json")
    assert not [path for path in folder.iterdir() if ".tmp-" in path.name]

    # A new result (another param) moves `latest` to its own manifest; the old one stays whole.
    pipeflow.load(config, params={"count": LARGE + 1}).run()
    newer = [path for path in folder.iterdir() if path.name not in ("latest.json", manifest.name)]
    assert len(newer) == 1
    assert os.path.samefile(newer[0], folder / "latest.json")
    assert not os.path.samefile(manifest, folder / "latest.json")
    assert store.read_manifest(str(manifest.relative_to(tmp_path / "out"))) is not None
    assert not [path for path in folder.iterdir() if ".tmp-" in path.name]


def test_latest_is_a_copy_where_the_disk_has_no_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: str, destination: str) -> None:
        raise PermissionError(1, "Operation not permitted", destination)

    monkeypatch.setattr(os, "link", refuse)  # as on a filesystem without hard links
    config, _ = local(tmp_path)
    total = LARGE * (LARGE - 1)
    assert pipeflow.load(config, params={"count": LARGE}).run().output("total") == total
    folder = tmp_path / "out" / ".pipeflow" / "manifests" / "layout" / "double"
    [manifest] = [path for path in folder.iterdir() if path.name != "latest.json"]
    assert not os.path.samefile(manifest, folder / "latest.json")
    assert manifest.read_bytes() == (folder / "latest.json").read_bytes()
    calls(tmp_path)
    assert pipeflow.load(config, params={"count": LARGE}).run().output("total") == total
    assert calls(tmp_path) == []


def to_previous_layout(store: ResultStore, step: str) -> None:
    """Rewrite `step`'s stored result as the previous pipeflow wrote it: its payload in a
    folder of its own (`KEY/value.json`), `latest.json` a separate copy of the manifest."""
    manifest = keyed(store, step)
    part = manifest.parts["value"]
    old = replace(part, path=f".pipeflow/results/layout/{step}/{manifest.key}/value.json")
    with store.open_verified(part) as payload:
        value = json.loads(payload.read())
    written = store.write(old.path, value, format=get_format("json"), internal=True)
    assert (written.size, written.checksum) == (part.size, part.checksum)
    store.delete(part.path)
    previous = replace(manifest, parts={"value": written})
    folder = f".pipeflow/manifests/layout/{step}"
    store.delete(f"{folder}/latest.json")  # a link to the manifest on a local disk: unlink it
    store.write_manifest(f"{folder}/{manifest.key}.json", previous)
    store.write_manifest(f"{folder}/latest.json", previous)


@pytest.mark.parametrize("where", STORES)
def test_a_store_in_the_previous_layout_is_still_read_as_cached(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, store = make(where, request, tmp_path)
    pipeflow.load(config).run()
    calls(tmp_path)
    for step in ("start", "double", "total"):
        to_previous_layout(store, step)
        assert store.list(f".pipeflow/results/layout/{step}")[0].endswith("/value.json")
    if where == "local":
        folder = tmp_path / "out" / ".pipeflow" / "manifests" / "layout" / "total"
        [manifest] = [path for path in folder.iterdir() if path.name != "latest.json"]
        assert not os.path.samefile(manifest, folder / "latest.json")

    pipe = pipeflow.load(config)
    assert {d.step: d.action for d in pipe.status()} == dict.fromkeys(
        ("start", "double", "total"), Action.CACHED
    )
    run = pipe.run()
    assert calls(tmp_path) == []
    assert run.output("total") == 12  # loaded from the payloads in the previous layout
    assert pipeflow.load(config).gc(keep_last=0, grace=0).removals == ()  # all current

    # A new value of the param is stored in the new layout beside the old results.
    assert pipeflow.load(config, params={"count": 2}).run().output("total") == 2
    assert calls(tmp_path) == ["double", "start", "total"]
    assert pipeflow.load(config).run().output("total") == 12
    assert calls(tmp_path) == []


@pytest.mark.parametrize("where", STORES)
def test_a_tampered_payload_or_manifest_is_not_taken_as_cached(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, store = make(where, request, tmp_path)
    pipeflow.load(config).run()
    calls(tmp_path)

    # Other bytes of the same size in the payload of `total`.
    part = keyed(store, "total").parts["value"]
    store.write(part.path, 13, format=get_format("json"), internal=True)  # "13" beside "12"
    with pytest.warns(ResultWarning, match="total"):
        run = pipeflow.load(config).run()
    assert calls(tmp_path) == ["total"]
    assert run.output("total") == 12

    # A manifest that records another checksum than its payload has.
    manifest = keyed(store, "double")
    record = manifest.parts["value"]
    forged = replace(record, checksum="sha256:" + "0" * 64)
    path = f".pipeflow/manifests/layout/double/{manifest.key}.json"
    store.write_manifest(path, replace(manifest, parts={"value": forged}))
    with pytest.warns(ResultWarning, match="double"):
        run = pipeflow.load(config).run()
    assert calls(tmp_path) == ["double"]
    assert run.output("total") == 12

    # A manifest that is no manifest.
    manifest = keyed(store, "start")
    path = f".pipeflow/manifests/layout/start/{manifest.key}.json"
    store.write(path, "{not json", format=get_format("txt"), internal=True)
    with pytest.warns(ResultWarning, match="broken manifest"):
        run = pipeflow.load(config).run()
    assert calls(tmp_path) == ["start"]
    assert run.output("total") == 12
    assert pipeflow.load(config).run().output("total") == 12
    assert calls(tmp_path) == []


@pytest.mark.parametrize("where", ["s3_server", "gcs_server"])  # local: test_journal.py
def test_gc_collects_results_in_the_new_layout(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, store = remote(where, request, tmp_path)
    pipeflow.load(config, params={"count": 2}).run()
    pipeflow.load(config, params={"count": 3}).run()
    pipeflow.load(config).run()  # count 4: current, and the latest
    before = store.list(".pipeflow/manifests/layout")
    assert len(before) == 9  # no `latest.json`, and every value inside its manifest
    assert store.list(".pipeflow/results/layout") == []
    report = pipeflow.load(config).gc(keep_last=0, grace=0)
    assert report.count("manifest") == 6  # counts 2 and 3, three steps each
    assert report.count("payload") == 0
    after = store.list(".pipeflow/manifests/layout")
    assert sorted(set(before) - set(after)) == sorted(r.path for r in report.removals)
    assert after == sorted(
        keyed(store, step).parts["value"].path for step in ("double", "start", "total")
    )
    calls(tmp_path)
    assert pipeflow.load(config).run().output("total") == 12
    assert calls(tmp_path) == []
    assert pipeflow.load(config, params={"count": 2}).run().output("total") == 2
    assert calls(tmp_path) == ["double", "start", "total"]


CHAIN = """
import time
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def inc(x, name):
    time.sleep(0.005)
    with LOG.open("a") as log:
        log.write(name + "\\n")
    return x + 1
"""


@pytest.mark.parametrize("killed_after", [1, 7, 23])
def test_a_run_killed_at_any_moment_resumes_from_every_step_it_reported_finished(
    tmp_path: Path, killed_after: int
) -> None:
    (tmp_path / "chainsteps.py").write_text(textwrap.dedent(CHAIN))
    steps = ["s0: {run: chainsteps.inc, inputs: {x: 0, name: s0}}"]
    steps += [
        f's{i}: {{run: chainsteps.inc, inputs: {{x: "${{steps.s{i - 1}}}", name: s{i}}}}}'
        for i in range(1, 40)
    ]
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: killed\nresults: {root: out}\nsteps:\n  " + "\n  ".join(steps) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--log-format", "json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    reported: list[str] = []
    deadline = time.monotonic() + 120
    for line in process.stdout:
        event = json.loads(line)
        if event["event"] == "StepFinished" and event["outcome"]["state"] == "done":
            reported.append(event["outcome"]["step"])
            if len(reported) == killed_after:
                os.killpg(process.pid, signal.SIGKILL)  # at once: the next step is underway
                break
        assert time.monotonic() < deadline
    process.stdout.close()
    process.wait(timeout=30)
    assert len(reported) == killed_after
    assert set(reported) <= set(calls(tmp_path))

    pipe = pipeflow.load(config)
    actions = {d.step: d.action for d in pipe.status()}
    assert all(actions[step] is Action.CACHED for step in reported), actions
    run = pipe.run()  # a temporary file left by the kill is never taken for a result
    assert run.ok
    assert run.output("s39") == 40
    again = calls(tmp_path)
    assert not set(again) & set(reported)  # nothing reported finished ran again
    assert pipeflow.load(config).run().state("s39").value == "cached"
