"""A storage error of pipeflow's own, on every store, is its message once: no fragment of
pipeflow's traceback under it (the `contextlib.py ... __exit__ / self.gen.throw` frames of the
`with` that turned a filesystem error into a StorageError), no second copy of the message. A
step that called pipeflow and got the error keeps its own frames, and only those."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepOutcome, StepState
from tests.servers import AuthenticatedS3, ObjectStore

STEPS = """
import pipeflow


def one():
    return {"v": 1}


def reads(url):
    return pipeflow.read(url)  # the step's own line, kept in its traceback
"""


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "errsteps", raising=False)


def run(
    folder: Path, root: str, options: dict[str, object], missing: str
) -> dict[str, StepOutcome]:
    (folder / "errsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: words
            results: {{root: {json.dumps(root)}, storage_options: {json.dumps(options)}}}
            steps:
              inline: {{run: errsteps.one}}
              target: {{run: errsteps.one, result: {{target: "t/{{step}}.json"}}}}
              reads: {{run: errsteps.reads, inputs: {{url: {json.dumps(missing)}}}, result: false}}
            """
        )
    )
    return pipeflow.load(config).run(keep_going=True, history=False).outcomes


def assert_words_alone(outcome: StepOutcome, words: str) -> None:
    assert outcome.state is StepState.FAILED
    assert words in (outcome.error or ""), outcome.error
    assert outcome.traceback is None, outcome.traceback


def assert_step_frames_alone(outcome: StepOutcome) -> None:
    assert outcome.state is StepState.FAILED
    assert "StorageError" in (outcome.error or ""), outcome.error
    shown = outcome.traceback or ""
    assert "return pipeflow.read(url)" in shown, shown
    assert "contextlib" not in shown, shown
    assert "/pipeflow/" not in shown, shown
    assert shown.count("StorageError") == 1, shown  # the message once, at its end


def test_a_denied_write_on_s3_is_its_message_alone(
    s3_auth_server: AuthenticatedS3, tmp_path: Path
) -> None:
    server = s3_auth_server.store
    options = server.options(**s3_auth_server.reader)  # may read and list, not write
    missing = str(tmp_path / "no-such-file.json")
    outcomes = run(tmp_path, server.unique_url("words"), options, missing)
    assert_words_alone(outcomes["inline"], "access denied")
    assert_words_alone(outcomes["target"], "access denied")


@pytest.mark.parametrize("kind", ["local", "s3_server", "gcs_server"])
def test_a_storage_error_in_a_step_keeps_only_the_steps_frames(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if kind == "local":
        root, options = str(tmp_path / "results"), {}
    else:
        server: ObjectStore = request.getfixturevalue(kind)
        root, options = server.unique_url("words"), dict(server.storage_options)
    outcomes = run(tmp_path, root, options, f"{root}/no-such-file.json")
    assert outcomes["inline"].state is StepState.DONE
    assert_step_frames_alone(outcomes["reads"])
