"""A library's INFO records are not a step's output (botocore's "Found credentials in
environment variables." as a step's store opens an S3 client), on every executor and every
channel (the terminal, the history); the step's own records at INFO still are, and so is a
library's record at WARNING, or at INFO when the user set a level for that library's logger."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.servers import ObjectStore, s3_server

__all__ = ["s3_server"]

STEPS = """
import logging


def make(configure: bool) -> dict:
    if configure:
        logging.getLogger("urllib3").setLevel(logging.INFO)
    logging.getLogger("steps.x").info("own: a logger of the user's own name")
    logging.getLogger(__name__).info("own: the step module's logger")
    logging.info("own: the root logger")
    logging.getLogger("botocore.credentials").info("library: botocore info")
    logging.getLogger("urllib3.connectionpool").info("library: urllib3 info")
    logging.getLogger("fsspec").info("library: fsspec info")
    logging.getLogger("s3fs").info("library: s3fs info")
    logging.getLogger("gcsfs").info("library: gcsfs info")
    logging.getLogger("google.auth.transport").info("library: google info")  # a namespace
    logging.getLogger("asyncio").info("library: standard library info")
    logging.getLogger("fsspec").warning("library: fsspec warning")
    return {"a": 1}


def use(value: dict) -> int:
    logging.getLogger("steps.use").info("own: use ran")
    return len(value)
"""

LIBRARY_INFO = [
    "Found credentials in environment variables.",  # botocore, as the store opens a client
    "library: botocore info",
    "library: urllib3 info",
    "library: fsspec info",
    "library: s3fs info",
    "library: gcsfs info",
    "library: google info",
    "library: standard library info",
]
OWN = [
    "own: a logger of the user's own name",
    "own: the step module's logger",
    "own: the root logger",
    "own: use ran",
    "WARNING: library: fsspec warning",
]

EXECUTORS = ["sequential", "threads", "processes", "dask"]
CHANNELS = ("terminal", "history", "json lines")


def _project(make_project: ProjectFactory, store: ObjectStore, *, configure: bool) -> Path:
    return make_project(
        f"""
        name: chatty
        results:
          root: {store.unique_url("logs")}
          storage_options: {{client_kwargs: {{endpoint_url: "{store.endpoint}"}}}}
        steps:
          make: {{run: lsteps.make, inputs: {{configure: {str(configure).lower()}}}}}
          use: {{run: lsteps.use, inputs: {{value: "${{steps.make}}"}}}}
        """,
        lsteps=STEPS,
    )


def _pipeflow(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=config.parent,
        env={**os.environ, "PIPEFLOW_HOME": str(config.parent / "home")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _run_and_logs(config: Path, executor: str) -> tuple[str, str, str]:
    """What the terminal showed of a run, what `pipeflow logs` shows of it, and the text of
    the JSON lines of another run."""
    shown = _pipeflow(config, "run", str(config), "--executor", executor, "--log-format", "plain")
    [run_id] = re.findall(r"^run (\S+) of pipeline", shown.stdout, re.MULTILINE)
    kept = _pipeflow(config, "logs", run_id)
    lines = _pipeflow(
        config, "run", str(config), "--executor", executor, "--log-format", "json", "--force"
    )
    texts = [json.loads(line).get("text", "") for line in lines.stdout.splitlines()]
    return shown.stdout + shown.stderr, kept.stdout, "\n".join(texts) + lines.stderr


@pytest.mark.parametrize("executor", EXECUTORS)
def test_library_info_is_no_steps_output_the_steps_own_logging_is(
    make_project: ProjectFactory, s3_server: ObjectStore, executor: str
) -> None:
    config = _project(make_project, s3_server, configure=False)
    for channel, text in zip(CHANNELS, _run_and_logs(config, executor), strict=True):
        for line in OWN:
            assert line in text, (channel, line, text)
        for line in LIBRARY_INFO:
            assert line not in text, (channel, line, text)


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_library_whose_level_the_user_set_is_shown(
    make_project: ProjectFactory, s3_server: ObjectStore, executor: str
) -> None:
    config = _project(make_project, s3_server, configure=True)
    for channel, text in zip(CHANNELS, _run_and_logs(config, executor), strict=True):
        assert "library: urllib3 info" in text, (channel, text)
        assert "library: botocore info" not in text, (channel, text)
        for line in OWN:
            assert line in text, (channel, line, text)
