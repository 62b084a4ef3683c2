"""A secret in a file path (`writes:`, `reads:`, a path input, a `foreach` item) never shows.

The path a step writes may hold a `${env.*}` value (a bucket or tenant name, a token in a
folder name). pipeflow keeps a copy of what the step wrote and lists it in the step's manifest,
names the file when it must put it back ("data/***/out.txt is missing"), and reports the run on
every channel. Each spelling below runs the real command line, removes the written file so the
next `status` and `run` restore it, and reads every channel whole: stdout and stderr, `--json`
(a file and `-`), `--junit`, `--log-format json`, `status` (text and JSON), `graph`, the
history (`runs show`, `logs`, its raw rows), the UI's pages and API, and every file pipeflow
made under the project, manifests included (a results store may be a shared bucket). Only the
written files themselves may be named by the secret, as the config asks. And the restore must
still find them: the file is back after the run. The UI, which echoes what it is asked for on
its pages and its API, and logs an unexpected error, masks those texts too.
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from pipeflow.ui.app import Settings, create_app
from tests.conftest import REPO
from tests.safety.test_secrets import SECRET, UI_BASE, VARIABLE, Project

STEPS = {
    "steps.py": """\
        from pathlib import Path


        def make(out):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text("made\\n")
            return 1


        def make_item(tenant):
            out = Path(__file__).parent / "data" / tenant / "out.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("made\\n")
            return 1


        def use(src):
            return Path(src).read_text()


        def look(folder):
            return len(list(Path(folder).rglob("*")))
        """
}

# Each spelling writes `data/<secret>/out.txt` (one item's folder for `foreach`) and reads it.
CONFIGS = {
    "env-in-writes-and-a-path-input": f"""\
        name: secretive
        results: {{root: out}}
        steps:
          make:
            run: steps.make
            inputs: {{out: "data/${{env.{VARIABLE}}}/out.txt"}}
            writes: ["data/${{env.{VARIABLE}}}/out.txt"]
          use: {{run: steps.use, inputs: {{src: "data/${{env.{VARIABLE}}}/out.txt"}}}}
        """,
    "param-from-env-in-writes-and-reads": f"""\
        name: secretive
        params: {{tenant: "${{env.{VARIABLE}}}"}}
        results: {{root: out}}
        steps:
          make:
            run: steps.make
            inputs: {{out: "data/${{params.tenant}}/out.txt"}}
            writes: ["data/${{params.tenant}}/"]
          use:
            run: steps.look
            inputs: {{folder: data}}
            reads: ["data/${{params.tenant}}/out.txt"]
            after: [make]
        """,
    "foreach-item-from-env": f"""\
        name: secretive
        params: {{tenants: ["${{env.{VARIABLE}}}", plain-tenant]}}
        results: {{root: out}}
        steps:
          make:
            run: steps.make_item
            foreach: "${{params.tenants}}"
            as: tenant
            writes: ["data/${{tenant}}/out.txt"]
          use:
            run: steps.look
            inputs: {{folder: data}}
            after: [make]
        """,
}


@pytest.fixture
def secret_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Project]:
    monkeypatch.setenv(VARIABLE, SECRET)
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.chdir(tmp_path)

    def make(config: str) -> Project:
        folder = tmp_path / "project"
        folder.mkdir()
        for name, text in STEPS.items():
            (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
        path = folder / "pipeline.yaml"
        path.write_text(textwrap.dedent(config), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("GITHUB_ACTIONS", None)
        written = {path, *(folder / name for name in STEPS)}
        return Project(folder=folder, config=path, env=env, written=written)

    return make


@pytest.mark.parametrize("spelling", list(CONFIGS))
def test_a_secret_in_a_file_path_is_masked_everywhere_and_restore_finds_the_file(
    secret_project: Callable[..., Project], spelling: str
) -> None:
    p = secret_project(CONFIGS[spelling])
    name = p.config.name
    written = p.folder / "data" / SECRET / "out.txt"
    p.process("run", "run", name, "--json", "r1.json", "--junit", "r1.xml", code=0)
    assert written.read_text() == "made\n"
    written.unlink()
    p.process("status", "status", name, code=0)
    p.process("status json", "status", name, "--json", code=0)
    p.process("dry run", "run", name, "--dry-run", code=0)
    p.process("restoring run", "run", name, "--log-format", "json", "--json", "-", code=0)
    assert written.read_text() == "made\n", "the restore did not find the file"
    written.unlink()
    p.process("restoring run 2", "run", name, "--json", "r2.json", "--junit", "r2.xml", code=0)
    assert written.read_text() == "made\n", "the restore did not find the file"
    # On a process pool, the writes are checked and put back on the workers.
    p.process("forced run", "run", name, "--force", "--executor", "processes", code=0)
    written.unlink()
    p.process("restoring run 3", "run", name, "--executor", "processes", code=0)
    assert written.read_text() == "made\n", "the restore did not find the file"
    for graph_format in ("ascii", "mermaid", "dot", "svg"):
        p.process(f"graph {graph_format}", "graph", name, "--format", graph_format, code=0)
    for report in ("r1.json", "r1.xml", "r2.json", "r2.xml"):
        p.file(report, p.folder / report)
    with p.ui() as client:
        p.history_channels(client)
    manifests = sorted((p.folder / "out" / ".pipeflow" / "manifests").rglob("*.json"))
    assert any('"files"' in manifest.read_text() for manifest in manifests)
    # The files the config asked for are named by the secret; nothing else may be.
    p.every_file(named_by_config=lambda relative: relative.parts[:2] == ("data", SECRET))
    p.check(masked_in=["status (stdout)", "status json (stdout)", "restoring run (stdout)"])


def test_the_ui_masks_a_secret_it_echoes_on_its_pages_and_its_api(
    secret_project: Callable[..., Project],
) -> None:
    p = secret_project(CONFIGS["env-in-writes-and-a-path-input"])
    p.process("run", "run", p.config.name, code=0)
    asked = quote(SECRET, safe="")
    with p.ui() as client:
        p.page(client, "/pipelines/secretive")  # the UI loads the config: it knows the secret
        p.page(client, f"/runs/{asked}", status=404)
        p.page(client, f"/api/runs/{asked}", status=404)
        p.page(client, f"/api/runs/{asked}/logs", status=404)
    p.check(masked_in=[f"UI /runs/{asked}", f"UI /api/runs/{asked}", f"UI /api/runs/{asked}/logs"])


def test_the_ui_server_log_masks_an_unexpected_error(
    secret_project: Callable[..., Project], caplog: pytest.LogCaptureFixture
) -> None:
    p = secret_project(CONFIGS["env-in-writes-and-a-path-input"])
    app = create_app(Settings(configs={"secretive": p.config}))

    async def broken(request: Request) -> Response:
        raise RuntimeError(f"cannot open data/{SECRET}/out.txt")

    app.add_route("/broken", broken)
    with TestClient(app, base_url=UI_BASE, raise_server_exceptions=False) as client:
        p.page(client, "/pipelines/secretive")  # the UI loads the config: it knows the secret
        with caplog.at_level(logging.ERROR):
            p.page(client, "/broken", status=500)
    assert "RuntimeError" in caplog.text
    p.channels.add("server log", caplog.text)
    p.check(masked_in=["server log"])
