"""A step whose stored manifest for its current key is broken (edited by hand, cut short by a
disk) runs again, and every place that says why says that its stored result was ignored, as
for a damaged payload: `status`, `run --frozen`, `pipeflow result`. Before, they said "no
stored result yet" (only a warning above told otherwise), on a local folder and on S3 alike.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from pipeflow.storage import ResultStore, ResultWarning
from tests.servers import ObjectStore

STEPS = """
def big() -> str:
    return "x" * 100_000  # a manifest file of its own, not a journal record


def size(text: str) -> int:
    return len(text)
"""


def project(folder: Path, root: str, options: dict[str, object]) -> Path:
    (folder / "bsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: broken
            results: {{root: "{root}", storage_options: {options!r}}}
            steps:
              big: {{run: bsteps.big}}
              size: {{run: bsteps.size, inputs: {{text: "${{steps.big}}"}}}}
            """
        )
    )
    assert pipeflow.load(config).run().ok
    return config


@pytest.fixture(params=["local", "s3"])
def store(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, ResultStore]:
    if request.param == "local":
        root, options = str(tmp_path / "out"), {}
    else:
        server: ObjectStore = request.getfixturevalue("s3_server")
        root, options = server.unique_url("broken"), dict(server.storage_options)
    return project(tmp_path, root, options), ResultStore(root, options)


@pytest.mark.parametrize("damage", ["not json", "cut short"])
def test_a_broken_manifest_is_said_to_be_ignored(
    store: tuple[Path, ResultStore], damage: str
) -> None:
    config, results = store
    big = pipeflow.load(config).status()[0]
    assert big.step == "big"
    assert big.action is Action.CACHED
    path = f".pipeflow/manifests/broken/big/{big.key}.json"
    text = results.read_bytes(path)
    assert text is not None
    broken = b"{not json" if damage == "not json" else text[: len(text) // 2]
    results.write_bytes(path, broken, internal=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultWarning)
        decisions = {d.step: d for d in pipeflow.load(config).status()}
        assert decisions["big"].action is Action.RUN
        reason = decisions["big"].reason
        assert reason.startswith("its stored result was ignored: its manifest"), reason
        assert "is broken" in reason
        assert "no stored result yet" not in reason
        with pytest.raises(pipeflow.StaleResults) as stale:
            pipeflow.load(config).run(frozen=True)
        assert reason in str(stale.value)
        with pytest.raises(pipeflow.PipeflowError, match="its stored result was ignored"):
            pipeflow.load(config).result("big")
        run = pipeflow.load(config).run()
    assert run.ok
    assert run.outcomes["big"].reason == reason
    assert {d.step: d.action for d in pipeflow.load(config).status()} == {
        "big": Action.CACHED,
        "size": Action.CACHED,
    }
