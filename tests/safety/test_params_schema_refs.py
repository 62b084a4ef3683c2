"""A `params_schema` cannot make pipeflow fetch anything (SPEC section 10): a `$ref` to a URL
or a file is refused before any step runs, and so is a local one that points at nothing —
exit 2, located at the `$ref`, in YAML and TOML, from `validate`, `run` and `pipeflow.load()`.
A real HTTP server on loopback records every request; it must see none.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path

def one():
    Path(__file__).with_name("ran").write_text("ran")
    return 1
"""


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that answers every GET with a schema and records its path."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = json.dumps({"properties": {"n": {"minimum": 5}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


# (id, params_schema with URL standing for the server, path of the `$ref` under params_schema)
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("url-at-root", {"$ref": "URL/remote.json"}, 'params_schema["$ref"]'),
    (
        "url-in-a-property",
        {"properties": {"n": {"$ref": "URL/remote.json#/properties/n"}}},
        'params_schema.properties.n["$ref"]',
    ),
    (
        "url-in-defs-reached-locally",
        {"properties": {"n": {"$ref": "#/$defs/d"}}, "$defs": {"d": {"$ref": "URL/d.json"}}},
        'params_schema["$defs"].d["$ref"]',
    ),
    ("dynamic-ref", {"$dynamicRef": "URL/dyn.json"}, 'params_schema["$dynamicRef"]'),
    (
        "relative-file",
        {"properties": {"n": {"$ref": "other.json"}}},
        'params_schema.properties.n["$ref"]',
    ),
    ("file-url", {"$ref": "file:///etc/passwd"}, 'params_schema["$ref"]'),
    (
        "relative-to-an-id",
        {"$id": "URL/base/", "properties": {"n": {"$ref": "sub.json"}}},
        'params_schema.properties.n["$ref"]',
    ),
    (
        "missing-local-definition",
        {"properties": {"n": {"$ref": "#/$defs/nope"}}, "$defs": {"yes": {}}},
        'params_schema.properties.n["$ref"]',
    ),
    (
        "missing-anchor",
        {"properties": {"n": {"$ref": "#nope"}}},
        'params_schema.properties.n["$ref"]',
    ),
    ("not-a-text", {"properties": {"n": {"$ref": 3}}}, 'params_schema.properties.n["$ref"]'),
]


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _project(tmp_path: Path, schema: dict[str, Any], url: str, kind: str) -> Path:
    schema = json.loads(json.dumps(schema).replace("URL", url))
    (tmp_path / "refsteps.py").write_text(STEPS)
    if kind == "yaml":
        text = (
            f"name: ps\nparams: {{n: 1}}\nparams_schema: {json.dumps(schema)}\n"
            "steps: {a: {run: refsteps.one, cache: false}}\n"
        )
    else:
        text = (
            f'name = "ps"\nparams = {{n = 1}}\nparams_schema = {_toml(schema)}\n'
            '[steps.a]\nrun = "refsteps.one"\ncache = false\n'
        )
    path = tmp_path / f"ps.{kind}"
    path.write_text(text)
    return path


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pipeflow COMMAND CONFIG` in the config's folder."""
    return pipeflow_in(config.parent, *args, config.name)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("schema", "where"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
@pytest.mark.parametrize("channel", ["validate", "run", "load"])
def test_a_ref_outside_params_schema_or_to_nothing_is_refused_unfetched(
    tmp_path: Path,
    server: tuple[str, list[str]],
    kind: str,
    schema: dict[str, Any],
    where: str,
    channel: str,
) -> None:
    url, requests = server
    before = len(requests)
    config = _project(tmp_path, schema, url, kind)
    if channel == "load":
        with pytest.raises(ConfigError) as raised:
            pipeflow.load(config)
        output = raised.value.format()
        assert [p.path for p in raised.value.problems] == [where], output
    else:
        result = _cli(config, channel)
        output = result.stdout + result.stderr
        assert result.returncode == 2, output
    assert "Traceback" not in output
    assert f"error at `{where}`" in output
    assert "nothing was run" in output
    assert "hint:" in output
    assert len(requests) == before, f"fetched {requests[before:]}"
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_local_refs_still_apply_and_fetch_nothing(
    tmp_path: Path, server: tuple[str, list[str]], kind: str
) -> None:
    url, requests = server
    before = len(requests)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{url}/base.json",
        "properties": {"n": {"$ref": "#/$defs/big"}, "m": {"$ref": "#small"}},
        "$defs": {"big": {"minimum": 5}, "small": {"$anchor": "small", "maximum": 0}},
    }
    config = _project(tmp_path, schema, url, kind)
    result = _cli(config, "validate")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "1 is less than the minimum of 5" in output
    assert len(requests) == before, f"fetched {requests[before:]}"
    config.write_text(config.read_text().replace("n: 1", "n: 7").replace("n = 1", "n = 7"))
    assert _cli(config, "validate").returncode == 0
    assert pipeflow.load(config).run(history=False).output("a") == 1
    assert len(requests) == before, f"fetched {requests[before:]}"
