"""A forged pickle in a store is never unpickled, through any door (SPEC section 10).

Whoever can write a bucket that a config reads can write a pickle and a manifest whose
checksum matches it. Here such a forgery replaces a real result, in a local store and on S3
(moto's server), as a pickle and as joblib, unsigned or signed with another key; then the
victim runs (it would be a cache hit), another pipeline reads it with `pipeflow.read`, a user
asks `pipeflow result --show`, and the API's `result().load()` and `Run.output`. The forged
payload writes a marker file when unpickled: the marker must never appear. Results that
pipeflow itself wrote, with worker processes and Dask workers too, stay cached.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import pickle
import textwrap
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import joblib
import pytest
from click.testing import CliRunner
from fsspec.core import url_to_fs

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import StepState
from pipeflow.storage import Manifest, ResultStore, ResultWarning, UntrustedResult
from pipeflow.storage.signing import SigningKey, sign
from tests import inlined, journals
from tests.calls import calls_in_order as calls
from tests.servers import ObjectStore, require_loopback

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def load():
    note("load")
    return {"setosa", "versicolor"}          # a set: no safe format holds it, so a pickle


def count(classes):
    note("count")
    return len(classes)
"""


class Booby:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path, str]]:
        return Path.write_text, (self.marker, "code ran")


def make_project(folder: Path, root: str, options: dict[str, Any], format_name: str) -> Path:
    (folder / "victimsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "victim.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: victim
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              load:
                run: victimsteps.load
                result: {{format: {format_name}}}
              count: {{run: victimsteps.count, inputs: {{classes: "${{steps.load}}"}}}}
            """
        )
    )
    return config


def forge(root: str, options: dict[str, Any], marker: Path, format_name: str, how: str) -> None:
    """Replace the stored result of `load` with a booby-trapped payload and manifests whose
    checksum and size match it, as whoever can write the store could."""
    filesystem, base = url_to_fs(root, **options)
    base = base.rstrip("/")
    folder = f"{base}/.pipeflow/manifests/victim/load"
    buffer = io.BytesIO()
    if format_name == "pickle":
        pickle.dump(Booby(marker), buffer)
    else:
        joblib.dump(Booby(marker), buffer)
    data = buffer.getvalue()
    other = SigningKey(b"k" * 40, "feed", "x")
    if "://" not in root:
        # A local store keeps this small result in its run's journal: a newer record of the
        # same key, appended by whoever can write the store, is the one a run would take.
        signer = (lambda record: sign(record, other)) if how == "other key" else None
        journals.append_forged(Path(root), "victim", "load", data, signer=signer)
        return
    manifests = [name for name in filesystem.ls(folder, detail=False) if name.endswith(".json")]
    for name in manifests:
        manifest = Manifest.from_json(filesystem.cat_file(name))
        record = manifest.parts["value"]
        forged = replace(
            record,
            size=len(data),
            checksum="sha256:" + hashlib.sha256(data).hexdigest(),
            stamp=None,
            signature=None,
        )
        if record.inline is not None:  # a small result inside its manifest (`inline.py`)
            forged = replace(forged, inline=base64.b64encode(data).decode("ascii"))
        else:  # a payload object, as earlier pipeflows stored any result
            filesystem.pipe_file(f"{base}/{record.path}", data)
        if how == "other key":
            forged = replace(forged, signature=sign(forged, other))
        filesystem.pipe_file(name, replace(manifest, parts={"value": forged}).to_json())


@pytest.fixture(params=["local", "s3", "s3 objects"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """Where the victim stores its results: a local folder, or S3 (its small results inside
    their manifests, or, "s3 objects", as payload objects as earlier pipeflows stored them)."""
    if request.param == "local":
        return str(tmp_path / "out"), {}
    server: ObjectStore = request.getfixturevalue("s3_server")
    require_loopback(server.storage_options)
    return server.unique_url(request.param.replace(" ", "-")), server.options()


@pytest.fixture(params=["pickle", "joblib"])
def format_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["unsigned", "other key"])
def forged(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    where: tuple[str, dict[str, Any]],
    format_name: str,
) -> tuple[Path, Path]:
    """A victim project that ran once, whose stored `load` was then forged: (config, marker)."""
    root, options = where
    config = make_project(tmp_path, root, options, format_name)
    first = pipeflow.load(config).run()
    assert first.ok
    assert first.output("count") == 2
    calls(tmp_path)
    if "/s3-objects-" in root:
        inlined.to_objects(ResultStore(root, options), "victim")
        assert pipeflow.load(config).run().state("load") is StepState.CACHED
    marker = tmp_path / "marker"
    forge(root, options, marker, format_name, request.param)
    return config, marker


def test_a_run_never_takes_a_forged_pickle_for_a_cache_hit(forged: tuple[Path, Path]) -> None:
    config, marker = forged
    with pytest.warns(
        ResultWarning,
        match=r"runs code when loaded, and it (is not signed|was signed with another key)",
    ):
        run = pipeflow.load(config).run()
    assert run.ok
    assert run.state("load") is StepState.DONE  # rebuilt, not cached
    assert run.outcomes["load"].reason.startswith("its stored result was ignored")
    assert run.output("load") == {"setosa", "versicolor"}
    assert run.output("count") == 2
    assert calls(config.parent) == ["load"]  # `count` sees the same data version again
    assert not marker.exists()
    # The rebuilt result is signed here: the next run takes it from the cache.
    again = pipeflow.load(config).run()
    assert again.state("load") is StepState.CACHED
    assert not marker.exists()


def test_the_api_refuses_a_forged_pickle(forged: tuple[Path, Path]) -> None:
    config, marker = forged
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)
        with pytest.raises(pipeflow.PipeflowError, match="PIPEFLOW_SIGNING_KEY"):
            pipeflow.load(config).result("load").load()
        # A selection that needs `load` from the store finds no result it may take.
        with pytest.raises(pipeflow.ConfigError, match="no up-to-date stored result"):
            pipeflow.load(config).run(only=["count"])
        run = pipeflow.load(config).run()
    # `Run.output` gives the value rebuilt in this run, never the forged payload.
    assert run.output("load") == {"setosa", "versicolor"}
    assert not marker.exists()


def test_pipeflow_result_show_refuses_a_forged_pickle(forged: tuple[Path, Path]) -> None:
    config, marker = forged
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)  # the CLI shows it; the error says it too
        result = CliRunner().invoke(cli, ["result", str(config), "load", "--show"])
    assert result.exit_code == 3, result.output
    assert "ignored" in result.output
    assert "PIPEFLOW_SIGNING_KEY" in result.output
    assert "Traceback" not in result.output
    assert not marker.exists()


def test_pipeflow_read_refuses_a_forged_pickle(forged: tuple[Path, Path]) -> None:
    config, marker = forged
    reader = config.parent / "reader.yaml"
    reader.write_text(
        textwrap.dedent(
            f"""
            name: reader
            results: {{root: reader-out}}
            steps:
              classes:
                run: pipeflow.read
                inputs: {{config: {json.dumps(str(config))}, step: load}}
            """
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)
        run = pipeflow.load(reader).run()
    assert not run.ok
    error = run.outcomes["classes"].error or ""
    assert "PIPEFLOW_SIGNING_KEY" in error
    assert not marker.exists()


# -- what pipeflow wrote itself stays cached, whoever wrote it on this machine ------------------


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_pickles_written_by_workers_are_signed_with_the_same_key(
    tmp_path: Path, executor: str
) -> None:
    config = make_project(tmp_path, str(tmp_path / "out"), {}, "pickle")
    text = config.read_text() + f"executor: {{type: {executor}, workers: 1}}\n"
    config.write_text(text)
    first = pipeflow.load(config).run()
    assert first.ok, first.outcomes
    assert sorted(calls(tmp_path)) == ["count", "load"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)  # nothing is refused
        again = pipeflow.load(config).run()
    assert again.state("load") is StepState.CACHED
    assert again.output("load") == {"setosa", "versicolor"}
    assert calls(tmp_path) == []


def test_the_latest_result_of_a_cache_false_step_is_refused_too(tmp_path: Path) -> None:
    """`pipeflow result` shows a `cache: false` step's latest result: a forged one is refused."""
    config = make_project(tmp_path, str(tmp_path / "out"), {}, "pickle")
    config.write_text(
        config.read_text().replace(
            "run: victimsteps.load", "run: victimsteps.load\n    cache: false"
        )
    )
    assert pipeflow.load(config).run().ok
    marker = tmp_path / "marker"
    forge(str(tmp_path / "out"), {}, marker, "pickle", "unsigned")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)
        shown = CliRunner().invoke(cli, ["result", str(config), "load", "--show"])
    assert shown.exit_code == 3, shown.output
    assert "the latest was ignored" in shown.output
    assert "not signed" in shown.output
    assert not marker.exists()


def test_run_output_checks_the_signature_when_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Run.output` reads a cached value only when asked: the signature is checked then too,
    with the key the process has at that moment."""
    config = make_project(tmp_path, str(tmp_path / "out"), {}, "pickle")
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "a" * 40)
    assert pipeflow.load(config).run().ok
    run = pipeflow.load(config).run()
    assert run.state("load") is StepState.CACHED  # `count` was cached too: `load` never read
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "b" * 40)
    with pytest.raises(UntrustedResult, match="signed with another key"):
        run.output("load")
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "a" * 40)
    assert run.output("load") == {"setosa", "versicolor"}
