"""`--results URL` (and `results=` in the API) moves the results store for one run: a step may
write under that store as it may under `results.root`, and what it wrote there is restored.

Before, the check of `writes:` only knew the config's `results.root`: `pipeflow run CONFIG
--results s3://bucket/prefix` with a step writing `s3://bucket/prefix/eval/metrics.json` was
refused ("outside the project folder and the results root"), although that is the store the
run uses. The reserved `.pipeflow/` folder of the store given by `--results` is refused too.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
import s3fs
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import ConfigError
from pipeflow.model.run import Action, StepState
from tests.servers import ObjectStore

STEPS = """
import fsspec


def save(text, url):
    with fsspec.open(url, "w") as handle:
        handle.write(text)
"""

CONFIG = """
name: override
params: {text: one, url: out/never.txt}
results: {root: out}
steps:
  save:
    run: mysteps.save
    inputs: {text: "${params.text}", url: "${params.url}"}
    writes: ["${params.url}"]
"""


@pytest.fixture
def s3_store(s3_server: ObjectStore) -> Iterator[ObjectStore]:
    """The session's S3 server, reached through the environment alone (AWS_ENDPOINT_URL), as
    `--results s3://...` is. s3fs keeps one client per set of options: a client made while
    another test server's environment applied would reach that server, so none is kept."""
    s3fs.S3FileSystem.clear_instance_cache()
    yield s3_server
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(CONFIG))
    return path


def cli_run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    return done.exit_code, done.output


def test_a_write_under_the_results_given_on_the_command_line(
    config: Path, s3_store: ObjectStore
) -> None:
    root = s3_store.unique_url("override")
    url = f"{root}/exports/text.txt"
    options = ["--results", root, "--param", f"url={url}"]
    code, output = cli_run("run", str(config), *options)
    assert code == 0, output
    filesystem = fsspec.filesystem("s3")
    assert filesystem.cat_file(url) == b"one"
    code, output = cli_run("run", str(config), *options, "--frozen")
    assert code == 0, output

    filesystem.rm_file(url)
    code, output = cli_run("status", str(config), *options)
    assert code == 0, output
    assert f"restore  {url} is missing" in output
    code, output = cli_run("run", str(config), *options, "--frozen")
    assert code == 0, output
    filesystem.invalidate_cache()
    assert filesystem.cat_file(url) == b"one"


def test_a_write_under_the_results_given_to_the_api(config: Path, s3_store: ObjectStore) -> None:
    root = s3_store.unique_url("override")
    url = f"{root}/exports/text.txt"
    pipe = pipeflow.load(config, params={"url": url}, results=root)
    first = pipe.run(results=root)
    assert first.state("save") is StepState.DONE, first.outcomes
    fsspec.filesystem("s3").rm_file(url)
    [decision] = pipe.status(results=root)
    assert (decision.action, decision.reason) == (Action.RESTORE, f"{url} is missing")
    again = pipe.run(results=root)
    assert again.outcomes["save"].reason == f"restored: {url} is missing"
    # Without the store it writes under, the same write is refused before anything runs.
    with pytest.raises(ConfigError, match="outside the project folder and the results root"):
        pipeflow.load(config, params={"url": url})
    # ... and a run given another store checks the write against that one.
    with pytest.raises(ConfigError, match="outside the project folder and the results root"):
        pipe.run(results=s3_store.unique_url("elsewhere"))


@pytest.mark.parametrize("where", ["s3", "local"])
def test_the_reserved_folder_of_the_given_store_is_refused(
    config: Path, tmp_path: Path, s3_store: ObjectStore, where: str
) -> None:
    root = s3_store.unique_url("override") if where == "s3" else str(tmp_path / "store")
    code, output = cli_run(
        "run", str(config), "--results", root, "--param", f"url={root}/.pipeflow/x.txt"
    )
    assert code == 2, output
    assert "inside pipeflow's own `.pipeflow/` folder" in output
