"""The manifest index on real object stores (moto's S3, the GCS emulator): a no-op re-run asks
the store a handful of things, not one per step, and the index never makes a step "cached"
that is not (SPEC section 5; issue 13, object stores).

Requests are counted where the client sends them: every S3 call goes through s3fs's
`_call_s3`, every GCS call through gcsfs's `_call`; the spy counts and passes them on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fsspec
import pytest

import pipeflow
from pipeflow.cache.index import INDEX, ManifestIndex
from pipeflow.model.run import Action
from pipeflow.storage import ResultStore, ResultWarning
from tests.servers import ObjectStore

STEPS = 60
BOUND = STEPS // 50 + 10  # a handful of requests, whatever the number of steps

CHAIN = """
def first(base: int) -> int:
    return base


def step(previous: int) -> int:
    return previous + 1
"""

LARGE = """
def large(previous: int) -> list[int]:
    return [previous] * 30_000  # more than 64 KiB as JSON: not inside its manifest
"""


@pytest.fixture(params=["s3_server", "gcs_server"])
def server(request: pytest.FixtureRequest) -> ObjectStore:
    found: ObjectStore = request.getfixturevalue(request.param)
    return found


def chain(folder: Path, root: str, options: dict[str, Any], steps: int = STEPS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chainsteps.py").write_text(textwrap.dedent(CHAIN))
    lines = [
        "name: chain",
        "params: {base: 0}",
        f"results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}",
        "steps:",
        '  s0: {run: chainsteps.first, inputs: {base: "${params.base}"}}',
    ] + [
        f'  s{i}: {{run: chainsteps.step, inputs: {{previous: "${{steps.s{i - 1}}}"}}}}'
        for i in range(1, steps)
    ]
    config = folder / "pipeline.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


class Sent(list[str]):
    """Requests sent, one name each, and the most that were in flight at once."""

    flying = 0
    most = 0

    async def through(self, name: str, request: Awaitable[Any]) -> Any:
        self.append(name)
        self.flying += 1
        self.most = max(self.most, self.flying)
        try:
            return await request
        finally:
            self.flying -= 1


@contextmanager
def counted(kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """The requests the client sends to the store while inside."""
    sent = Sent()
    if kind == "s3":
        import s3fs

        original = s3fs.S3FileSystem._call_s3

        async def call_s3(self: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
            name = str(getattr(method, "__name__", method))
            return await sent.through(name, original(self, method, *args, **kwargs))

        monkeypatch.setattr(s3fs.S3FileSystem, "_call_s3", call_s3)
    else:
        import gcsfs

        original = gcsfs.GCSFileSystem._call

        async def call(self: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
            return await sent.through(
                f"{method} {path}", original(self, method, path, *args, **kwargs)
            )

        monkeypatch.setattr(gcsfs.GCSFileSystem, "_call", call)
    try:
        yield sent
    finally:
        monkeypatch.undo()


def run(config: Path, **params: Any) -> pipeflow.api.Run:
    result = pipeflow.load(config, params=params or None).run()
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


def states(result: pipeflow.api.Run) -> dict[str, int]:
    found: dict[str, int] = {}
    for outcome in result.outcomes.values():
        found[outcome.state.value] = found.get(outcome.state.value, 0) + 1
    return found


def filesystem(server: ObjectStore) -> Any:
    found = fsspec.filesystem(server.url.split(":")[0], **dict(server.storage_options))
    found.invalidate_cache()
    return found


def segments(server: ObjectStore, root: str) -> dict[str, dict[str, str]]:
    """The index's segments under `root`: name -> manifest path -> text."""
    found = filesystem(server)
    prefix = f"{root}/{INDEX}/chain"
    names = found.find(prefix) if found.exists(prefix) else []
    return {name: json.loads(found.cat_file(name))["manifests"] for name in sorted(names)}


def manifest_of(server: ObjectStore, root: str, step: str) -> str:
    """The path, under the bucket, of `step`'s manifest under its key."""
    found = filesystem(server)
    return next(
        path
        for path in found.find(f"{root}/.pipeflow/manifests/chain/{step}")
        if not path.endswith("/latest.json")
    )


def test_a_no_op_re_run_sends_a_handful_of_requests(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = server.unique_url("index")
    config = chain(tmp_path, root, dict(server.storage_options))
    assert states(run(config)) == {"done": STEPS}
    for _ in range(2):  # and the index is not rewritten: the next one costs as little
        with counted(server.kind, monkeypatch) as sent:
            assert states(run(config)) == {"cached": STEPS}
        assert len(sent) <= BOUND, sent
    assert len(segments(server, root)) == 1


def test_a_deleted_payload_or_manifest_is_not_taken_from_the_index(
    tmp_path: Path, server: ObjectStore
) -> None:
    root = server.unique_url("index")
    config = chain(tmp_path, root, dict(server.storage_options))
    run(config)
    found = filesystem(server)
    found.rm_file(manifest_of(server, root, "s9"))
    decisions = {d.step: d for d in pipeflow.load(config).status()}
    assert decisions["s9"].action is Action.RUN
    assert decisions["s9"].reason == "no stored result yet"  # and no `latest.json` left
    assert {decisions[f"s{i}"].action for i in range(9)} == {Action.CACHED}
    assert run(config).outcomes["s9"].state.value == "done"

    # A value larger than a manifest holds is an object of its own: `big`'s, after s5.
    (tmp_path / "chainsteps.py").write_text(textwrap.dedent(CHAIN + LARGE))
    with config.open("a") as lines:
        lines.write('  big: {run: chainsteps.large, inputs: {previous: "${steps.s5}"}}\n')
    assert states(run(config)) == {"cached": STEPS, "done": 1}
    payload = next(iter(found.find(f"{root}/.pipeflow/results/chain/big")))
    found.rm_file(payload)
    with pytest.warns(ResultWarning, match="value.json is missing"):
        decisions = {d.step: d for d in pipeflow.load(config).status()}
    assert decisions["big"].action is Action.RUN
    assert decisions["big"].reason.startswith("stored result missing (")
    assert payload.split("/", 1)[1] in decisions["big"].reason
    assert decisions["s5"].action is Action.CACHED
    with pytest.warns(ResultWarning, match="value.json is missing"):
        result = run(config)
    assert result.outcomes["big"].state.value == "done"
    assert states(run(config)) == {"cached": STEPS + 1}


def test_a_tampered_index_is_not_believed_and_is_rebuilt(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = server.unique_url("index")
    config = chain(tmp_path, root, dict(server.storage_options))
    first = run(config)
    found = filesystem(server)
    (name, manifests), *_ = segments(server, root).items()
    path = manifest_of(server, root, "s7")
    relative = path[len(root.split("://", 1)[1]) + 1 :]
    assert relative in manifests
    # The entry for s7 now says another run made it, and points at s3's payload.
    document = json.loads(manifests[relative])
    document["run_id"] = "forged"
    s3_path = manifest_of(server, root, "s3")[len(root.split("://", 1)[1]) + 1 :]
    s3_part = json.loads(manifests[s3_path])["parts"]["value"]
    document["parts"]["value"] = s3_part
    manifests[relative] = json.dumps(document, indent=2, sort_keys=True) + "\n"
    found.pipe_file(
        name, json.dumps({"version": 1, "pipeline": "chain", "manifests": manifests}).encode()
    )
    decisions = {d.step: d for d in pipeflow.load(config).status()}
    assert decisions["s7"].action is Action.CACHED
    assert decisions["s7"].reason == f"stored by run {first.id}"
    assert run(config).output("s7") == 7
    rebuilt = segments(server, root)
    assert name not in rebuilt
    assert len(rebuilt) == 1
    assert "forged" not in json.dumps(rebuilt)
    with counted(server.kind, monkeypatch) as sent:
        assert states(run(config)) == {"cached": STEPS}
    assert len(sent) <= BOUND, sent

    # A segment that is not one at all is ignored, and replaced.
    (name, _), *_ = segments(server, root).items()
    found.pipe_file(name, b"{not json")
    assert states(run(config)) == {"cached": STEPS}
    assert list(segments(server, root)) != [name]


def test_a_missing_index_is_rebuilt_and_results_stay_cached(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = server.unique_url("index")
    config = chain(tmp_path, root, dict(server.storage_options))
    run(config)
    found = filesystem(server)
    found.rm(f"{root}/{INDEX}", recursive=True)
    assert segments(server, root) == {}
    with counted(server.kind, monkeypatch) as sent:
        assert states(run(config)) == {"cached": STEPS}
    assert len(sent) > STEPS  # every manifest read once, to rebuild the index
    assert len(segments(server, root)) == 1
    with counted(server.kind, monkeypatch) as sent:
        assert states(run(config)) == {"cached": STEPS}
    assert len(sent) <= BOUND, sent


def test_writers_at_once_keep_each_others_entries(tmp_path: Path, server: ObjectStore) -> None:
    """Two runs that read the index before either publishes: both sets of entries stay."""
    root = server.unique_url("index")
    options = dict(server.storage_options)
    config = chain(tmp_path / "a", root, options, steps=3)
    run(config, base=1)
    store = ResultStore(root, options)
    listing = store.stamps("")
    manifests = {path: store.read_bytes(path) for path in listing if "/manifests/" in path}
    one, other = ManifestIndex(store, "chain"), ManifestIndex(store, "chain")
    one.load()
    other.load()
    paths = sorted(manifests)
    for index, path in enumerate(paths):
        data = manifests[path]
        assert data is not None
        (one if index % 2 else other).learn(path, data)
    one.publish()
    other.publish()
    reader = ManifestIndex(store, "chain")
    reader.load()
    reader.check(store.stamps(""))
    assert all(reader.get(path) == manifests[path] for path in paths)


def test_runs_at_once_into_one_store_find_both_results(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = server.unique_url("index")
    options = dict(server.storage_options)
    configs = [chain(tmp_path / name, root, options, steps=20) for name in ("a", "b")]
    for config, base in zip(configs, (1, 2), strict=True):
        text = config.read_text().replace("{base: 0}", f"{{base: {base}}}")
        config.write_text(text)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "pipeflow", "run", str(config), "--quiet"],
            cwd=config.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for config in configs
    ]
    for process in runs:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output.decode(errors="replace")
    for config in configs:
        assert states(run(config)) == {"cached": 20}
    for config in configs:
        with counted(server.kind, monkeypatch) as sent:
            assert states(run(config)) == {"cached": 20}
        assert len(sent) <= BOUND, sent


def test_gc_removes_the_entries_of_what_it_collects(tmp_path: Path, server: ObjectStore) -> None:
    root = server.unique_url("index")
    config = chain(tmp_path, root, dict(server.storage_options), steps=4)
    run(config, base=1)
    run(config, base=2)
    before = {path for manifests in segments(server, root).values() for path in manifests}
    report = pipeflow.load(config, params={"base": 2}).gc(keep_last=1, grace=0)
    collected = {removal.path for removal in report.removals if removal.kind == "manifest"}
    assert collected
    assert collected <= before
    after = {path for manifests in segments(server, root).values() for path in manifests}
    assert after
    assert not after & collected
    assert states(run(config, base=2)) == {"cached": 4}
    assert states(run(config, base=1)) == {"done": 4}


FAN_IN = """
def part(index: int) -> list[int]:
    return [index] * 30_000  # more than 64 KiB as JSON: an object of its own, not inline


def total(scale: int, **parts: list[int]) -> int:
    return scale * sum(sum(values) for values in parts.values())


def grand(scale: int, many: list[list[int]]) -> int:
    return scale * sum(sum(values) for values in many)
"""


def test_stored_values_a_step_needs_are_read_at_once(
    tmp_path: Path, server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that runs after many cached steps reads their values together, not in turn;
    and so does a step after a cached `foreach`."""
    root = server.unique_url("index")
    (tmp_path / "fanin.py").write_text(textwrap.dedent(FAN_IN))
    parts = ", ".join(f'p{i}: "${{steps.p{i}}}"' for i in range(12))
    lines = [
        "name: fanin",
        "params: {scale: 1}",
        f"results: {{root: {json.dumps(root)}, storage_options: "
        f"{json.dumps(dict(server.storage_options))}}}",
        "steps:",
        *(f"  p{i}: {{run: fanin.part, inputs: {{index: {i}}}}}" for i in range(12)),
        f'  total: {{run: fanin.total, inputs: {{scale: "${{params.scale}}", {parts}}}}}',
        "  items: {run: fanin.part, foreach: [1, 2, 3, 4, 5, 6, 7, 8], as: index}",
        '  again: {run: fanin.grand, inputs: {scale: "${params.scale}", many: "${steps.items}"}}',
    ]
    config = tmp_path / "pipeline.yaml"
    config.write_text("\n".join(lines) + "\n")
    run(config)
    with counted(server.kind, monkeypatch) as sent:
        result = run(config, scale=2)
    assert result.output("total") == 2 * 30_000 * sum(range(12))
    assert result.output("again") == 2 * 30_000 * sum(range(1, 9))
    assert {result.outcomes[f"p{i}"].state.value for i in range(12)} == {"cached"}
    assert result.outcomes["items"].state.value == "cached"
    assert sent.most > 1, sent


def test_a_local_store_keeps_no_index(tmp_path: Path) -> None:
    config = chain(tmp_path, "out", {})
    run(config)
    assert states(run(config)) == {"cached": STEPS}
    assert not (tmp_path / "out" / INDEX).exists()
