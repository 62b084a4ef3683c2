"""`${env.*}` values and storage credentials never reach any output (SPEC sections 8 and 10).

One distinctive secret, put in the environment, flows through every path a value can take in
pipeflow: a param that fails `params_schema`, a `--param` that changes a secret param's type,
`results.root`, a target template, what a step prints, logs and raises (on every local
executor, with a retry), a whole param mapping passed to a step, storage options (from the
environment, and a literal credential), and a sub-pipeline. Each case runs the real command
line and reads every channel whole: stdout and stderr, `--json` (a file and `-`), `--junit`,
`--log-format json`, the history database's raw bytes, `runs show`, `logs`, `status` (text and
JSON), `validate` (text and JSON), `pipeflow result`, every file under the project (results
root, manifests, `.pipeflow/`), and the UI's pages. The secret's text, in any of the forms it
takes when written out (raw, JSON, XML/HTML, URL-quoted, repr), must appear nowhere, and `***`
must stand where it would have been.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from pipeflow.cli import cli
from pipeflow.ui.app import Settings, create_app
from tests.conftest import REPO

SECRET = "Xq7s3cr3t+Vk9&Zw"  # `+` and `&` change under URL-quoting and XML/HTML escaping
LITERAL = "AKIAliteralCredential42"  # a storage credential written in the config itself
VARIABLE = "PIPEFLOW_TEST_SECRET"
UI_BASE = "http://127.0.0.1:8080"


def forms(secret: str) -> set[str]:
    """Every spelling of `secret` that a channel could write out."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
    }


@dataclass
class Channels:
    """What every channel of one case said, by name."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, text: str) -> None:
        assert name not in self.texts, name
        self.texts[name] = text

    def leaks(self, secrets: list[str]) -> list[str]:
        return [
            f"{name}: {spelling!r}"
            for name, text in self.texts.items()
            for secret in secrets
            for spelling in forms(secret)
            if spelling in text
        ]


@dataclass
class Project:
    folder: Path
    config: Path
    env: dict[str, str]
    written: set[Path] = field(default_factory=set)  # the user's own files: config, steps
    channels: Channels = field(default_factory=Channels)

    def process(self, name: str, *args: str, code: int | None = None) -> str:
        """The real command in a fresh interpreter: stdout and stderr become channels."""
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        self.channels.add(f"{name} (stdout)", done.stdout)
        self.channels.add(f"{name} (stderr)", done.stderr)
        if code is not None:
            assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
        return done.stdout + done.stderr

    def command(self, name: str, *args: str, code: int | None = 0) -> str:
        """An in-process command (its output, stdout and stderr together, is a channel)."""
        result = CliRunner().invoke(cli, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        self.channels.add(name, result.output)
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.output)
        return result.output

    def file(self, name: str, path: Path) -> str:
        text = path.read_text(encoding="utf-8")
        self.channels.add(name, text)
        return text

    def ui(self) -> TestClient:
        settings = Settings(configs={"secretive": self.config})
        return TestClient(create_app(settings), base_url=UI_BASE, raise_server_exceptions=True)

    def page(self, client: TestClient, path: str, status: int = 200) -> str:
        answer = client.get(path)
        assert answer.status_code == status, (path, answer.status_code, answer.text)
        self.channels.add(f"UI {path}", answer.text)
        return answer.text

    def every_file(
        self,
        *,
        skip: Callable[[Path], bool] = lambda relative: False,
        named_by_config: Callable[[Path], bool] = lambda relative: False,
    ) -> None:
        """Every file under the project (results, manifests, history, reports) as bytes
        decoded leniently, and the name of every path the config did not name itself."""
        for path in sorted(self.folder.rglob("*")):
            relative = path.relative_to(self.folder)
            if path in self.written or "__pycache__" in path.parts:
                continue
            if not named_by_config(relative):
                self.channels.add(f"name {relative}", relative.as_posix())
            if path.is_file() and not skip(relative):
                data = path.read_bytes().decode("utf-8", errors="replace")
                self.channels.add(f"file {relative}", data)

    def history_rows(self) -> str:
        """The history database as SQL text, every table's every row."""
        import sqlite3

        connection = sqlite3.connect(self.folder / ".pipeflow" / "runs.db")
        try:
            text = "\n".join(connection.iterdump())
        finally:
            connection.close()
        self.channels.add("history rows", text)
        return text

    def run_ids(self) -> list[str]:
        import sqlite3

        connection = sqlite3.connect(self.folder / ".pipeflow" / "runs.db")
        try:
            rows = connection.execute("SELECT id FROM runs ORDER BY started").fetchall()
        finally:
            connection.close()
        return [row[0] for row in rows]

    def history_channels(self, client: TestClient) -> None:
        """`runs`, `runs show`, `logs` and the UI's pages of every recorded run."""
        home = str(self.folder / ".pipeflow")
        self.command("runs", "runs", "--home", home)
        self.history_rows()
        self.page(client, "/runs")
        self.page(client, "/pipelines/secretive")
        for run_id in self.run_ids():
            self.command(f"runs show {run_id}", "runs", "show", run_id, "--home", home,
                         "--traceback")  # fmt: skip
            self.command(f"logs {run_id}", "logs", run_id, "--home", home)
            for path in (
                f"/runs/{run_id}",
                f"/api/runs/{run_id}",
                f"/runs/{run_id}/logs",
                f"/api/runs/{run_id}/logs",
            ):
                self.page(client, path)

    def check(self, *, masked_in: list[str], secrets: tuple[str, ...] = (SECRET,)) -> None:
        leaks = self.channels.leaks(list(secrets))
        assert not leaks, "the secret leaked:\n" + "\n".join(leaks)
        for name in masked_in:
            assert "***" in self.channels.texts[name], (name, self.channels.texts[name])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Project]:
    monkeypatch.setenv(VARIABLE, SECRET)
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.chdir(tmp_path)

    def make(config: str, **files: str) -> Project:
        folder = tmp_path / "project"
        folder.mkdir()
        for name, text in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        path = folder / "pipeline.yaml"
        path.write_text(textwrap.dedent(config), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("GITHUB_ACTIONS", None)
        written = {path, *(folder / name for name in files)}
        return Project(folder=folder, config=path, env=env, written=written)

    return make


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


# -- validation messages ------------------------------------------------------------------------

SCHEMA_CONFIG = f"""\
name: secretive
params:
  token: "${{env.{VARIABLE}}}"
  size: 2
params_schema:
  properties:
    token: {{type: string, maxLength: 5}}
results: {{root: out}}
steps:
  one: {{run: steps.one, inputs: {{x: "${{params.size}}"}}}}
"""

TYPE_CONFIG = SCHEMA_CONFIG.replace("    token: {type: string, maxLength: 5}\n", "").replace(
    "params_schema:\n  properties:\n", ""
)

SIMPLE_STEPS = {"steps.py": "def one(x):\n    return x\n"}


@pytest.mark.parametrize(
    ("config", "extra", "what"),
    [
        (SCHEMA_CONFIG, (), "fails params_schema"),
        (TYPE_CONFIG, ("--param", "token=5"), "in the defaults"),
        (TYPE_CONFIG, ("--param", "token=[1, 2]"), "in the defaults"),
    ],
    ids=["params_schema", "param-changes-type-int", "param-changes-type-list"],
)
def test_validation_messages_mask_the_value(
    project: Callable[..., Project], config: str, extra: tuple[str, ...], what: str
) -> None:
    p = project(config, **SIMPLE_STEPS)
    name = p.config.name
    p.process("validate", "validate", name, *extra, code=2)
    p.process("validate json", "validate", name, *extra, "--format", "json", code=2)
    p.process("run", "run", name, *extra, "--json", "r.json", "--junit", "r.xml", code=2)
    p.process("run json-lines", "run", name, *extra, "--log-format", "json", "--json", "-",
              code=2)  # fmt: skip
    p.process("status", "status", name, *extra, code=2)
    p.process("status json", "status", name, *extra, "--json", code=2)
    p.command("validate in-process", "validate", str(p.config), *extra, code=2)
    p.command("result in-process", "result", str(p.config), "one", *extra, code=2)
    p.file("--json file", p.folder / "r.json")
    p.file("--junit file", p.folder / "r.xml")
    with p.ui() as client:
        if extra:  # the value the form sends for the field is the bad one
            form = p.page(client, "/pipelines/secretive/run")
            key, value = extra[1].split("=", 1)
            answer = client.post(
                "/pipelines/secretive/run",
                data={"csrf": csrf_of(form), f"param:{key}": value, "param:size": "2"},
                follow_redirects=False,
            )
            assert answer.status_code == 422, answer.text
            p.channels.add("UI run form answer", answer.text)
        else:  # the config itself is invalid with this environment
            p.page(client, "/pipelines/secretive/run", status=409)
            p.page(client, "/pipelines/secretive")
    p.every_file()
    assert what in p.channels.texts["validate (stderr)"]
    p.check(
        masked_in=[
            "validate (stderr)",
            "validate json (stdout)",
            "run (stderr)",
            "run json-lines (stdout)",
            "status (stderr)",
            "validate in-process",
            "--json file",
            "--junit file",
            "UI run form answer" if extra else "UI /pipelines/secretive/run",
        ]
    )


def test_a_secret_in_a_validation_message_is_masked_even_when_long(
    project: Callable[..., Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages shorten long values: the part shown must not give the secret's start away."""
    long_secret = "LongSecretValue-" + "k" * 60
    monkeypatch.setenv(VARIABLE, long_secret)
    p = project(TYPE_CONFIG, **SIMPLE_STEPS)
    p.env[VARIABLE] = long_secret
    p.process("validate", "validate", p.config.name, "--param", "token=5", code=2)
    p.check(masked_in=["validate (stderr)"], secrets=(long_secret, long_secret[:20]))


# -- results.root and target templates ------------------------------------------------------------

ROOT_CONFIG = f"""\
name: secretive
params: {{size: 2}}
results: {{root: "out-${{env.{VARIABLE}}}"}}
steps:
  one: {{run: steps.one, inputs: {{x: "${{params.size}}"}}}}
  two: {{run: steps.one, inputs: {{x: "${{steps.one}}"}}, result: {{target: "two.json"}}}}
"""

TARGET_CONFIG = f"""\
name: secretive
params: {{size: 2, token: "${{env.{VARIABLE}}}"}}
results: {{root: out}}
steps:
  one: {{run: steps.one, inputs: {{x: "${{params.size}}"}}, result: {{target: "{{params.token}}/one.json"}}}}
  two: {{run: steps.one, inputs: {{x: "${{steps.one}}"}}, result: {{target: "two-{{params.token}}.json"}}}}
"""  # noqa: E501


@pytest.mark.parametrize("where", ["results.root", "target"])
def test_result_locations_are_masked(project: Callable[..., Project], where: str) -> None:
    p = project(ROOT_CONFIG if where == "results.root" else TARGET_CONFIG, **SIMPLE_STEPS)
    name = p.config.name
    p.process("run", "run", name, "--json", "r1.json", "--junit", "r1.xml", code=0)
    p.process("run again", "run", name, "--log-format", "json", "--json", "-", code=0)
    p.process("run forced", "run", name, "--force", "--json", "r2.json", "--junit", "r2.xml",
              code=0)  # fmt: skip
    p.process("status", "status", name, code=0)
    p.process("status json", "status", name, "--json", code=0)
    p.process("result", "result", name, "two", code=0)
    p.command("result in-process", "result", str(p.config), "one")
    for report in ("r1.json", "r1.xml", "r2.json", "r2.xml"):
        p.file(report, p.folder / report)
    with p.ui() as client:
        p.history_channels(client)
    if where == "results.root":
        # The store's folder is named by the secret, as the config says; what is inside it
        # (results, manifests) is read byte by byte.
        p.every_file(named_by_config=lambda relative: relative.parts[0].startswith("out-"))
    else:
        # A target names the payload's file by the secret, and the manifest records that path
        # (the store needs it to read the result back): only there may it appear.
        manifests = sorted((p.folder / "out" / ".pipeflow" / "manifests").rglob("*.json"))
        assert manifests
        for manifest in manifests:
            document = json.loads(manifest.read_text(encoding="utf-8"))
            for part in document["parts"].values():
                part["path"] = "(the target's path)"
            relative = manifest.relative_to(p.folder)
            p.channels.add(f"manifest {relative}", json.dumps(document))
        p.every_file(
            skip=lambda relative: relative.parts[:3] == ("out", ".pipeflow", "manifests"),
            named_by_config=lambda relative: SECRET in relative.as_posix(),
        )
    p.check(
        masked_in=[
            "r1.json",
            "r1.xml",
            "r2.json",
            "run again (stdout)",
            "result (stdout)",
            "result in-process",
        ]
    )


# -- what a step prints, logs and raises -----------------------------------------------------

PRINT_CONFIG = f"""\
name: secretive
params: {{token: "${{env.{VARIABLE}}}"}}
results: {{root: out}}
executor: {{type: EXECUTOR, workers: 2}}
steps:
  talk: {{run: steps.talk, inputs: {{token: "${{params.token}}"}}}}
  leak: {{run: steps.leak, inputs: {{token: "${{params.token}}"}}, retries: 1, retry_delay: 0s}}
"""

PRINT_STEPS = {
    "steps.py": """\
        import json
        import logging
        import sys
        from urllib.parse import quote

        log = logging.getLogger(__name__)


        def talk(token):
            print("the token is", token)
            print({"token": token})
            print(json.dumps({"token": token}))
            print("quoted:", quote(token, safe=""))
            sys.stderr.write(f"on stderr: {token}\\n")
            log.warning("logged: %s", token)
            return 1


        def leak(token):
            print("about to fail with", token)
            raise ValueError(f"cannot use token {token!r}")
        """
}


@pytest.mark.parametrize(
    "executor",
    ["sequential", "threads", "processes", pytest.param("dask", marks=pytest.mark.slow)],
)
def test_what_a_step_prints_logs_and_raises_is_masked(
    project: Callable[..., Project], executor: str
) -> None:
    p = project(PRINT_CONFIG.replace("EXECUTOR", executor), **PRINT_STEPS)
    name = p.config.name
    p.process("run", "run", name, "--keep-going", "--json", "r.json", "--junit", "r.xml", code=1)
    p.process("run json-lines", "run", name, "--force", "--keep-going", "--log-format", "json",
              "--json", "-", code=1)  # fmt: skip
    p.file("--json file", p.folder / "r.json")
    p.file("--junit file", p.folder / "r.xml")
    with p.ui() as client:
        p.history_channels(client)
    p.every_file()
    run_id = p.run_ids()[0]
    texts = p.channels.texts
    assert "talk | the token is ***" in texts["run (stdout)"]
    assert "attempt 1 failed (ValueError: cannot use token '***')" in texts["run (stdout)"]
    assert "ValueError: cannot use token '***'" in texts[f"runs show {run_id}"]
    assert "talk | WARNING: logged: ***" in texts[f"logs {run_id}"]
    assert "quoted: ***" in texts[f"logs {run_id}"]
    p.check(
        masked_in=[
            "run (stdout)",
            "run json-lines (stdout)",
            "run json-lines (stderr)",
            "--json file",
            "--junit file",
            "history rows",
            f"UI /api/runs/{run_id}/logs",
        ]
    )


# -- a whole param mapping passed to a step -------------------------------------------------------

MAPPING_CONFIG = f"""\
name: secretive
params:
  db: {{host: h1, password: "${{env.{VARIABLE}}}"}}
results: {{root: out}}
steps:
  connect: {{run: steps.connect, inputs: {{db: "${{params.db}}"}}}}
"""

MAPPING_STEPS = {"steps.py": "def connect(db):\n    return sorted(db)\n"}


def test_a_param_mapping_holding_a_secret_is_masked(project: Callable[..., Project]) -> None:
    p = project(MAPPING_CONFIG, **MAPPING_STEPS)
    name = p.config.name
    p.process("run", "run", name, code=0)
    changed = ("--param", "db.host=h2")
    p.process("status", "status", name, *changed, code=0)
    p.process("status json", "status", name, *changed, "--json", code=0)
    p.process("frozen", "run", name, *changed, "--frozen", "--json", "r.json", code=3)
    p.process("run changed", "run", name, *changed, "--json", "r2.json", code=0)
    p.process("dry run", "run", name, "--param", "db.host=h3", "--dry-run", code=0)
    p.file("--json frozen", p.folder / "r.json")
    p.file("--json changed", p.folder / "r2.json")
    with p.ui() as client:
        p.history_channels(client)
    p.every_file()
    # The key that changed is named, with what is not secret; the secret beside it is not.
    assert "param db.host changed ('h1' -> 'h2')" in p.channels.texts["status (stdout)"]
    p.check(
        masked_in=[
            "--json frozen",
            "--json changed",
            "history rows",
        ]
    )


# -- storage options ------------------------------------------------------------------------------

STORAGE_CONFIG = f"""\
name: secretive
params: {{access: {LITERAL}}}
results:
  root: out
  storage_options: {{key: "${{params.access}}", secret: "${{env.{VARIABLE}}}"}}
steps:
  talk: {{run: steps.talk, inputs: {{access: "${{params.access}}"}}}}
  other:
    run: steps.talk
    inputs: {{access: "${{params.access}}"}}
    result: {{root: elsewhere, storage_options: {{password: literal-password-1234}}}}
"""

STORAGE_STEPS = {
    "steps.py": """\
        import os

        def talk(access):
            print("key", access, "secret", os.environ["PIPEFLOW_TEST_SECRET"])
            print("literal", "literal-password-1234")
            raise RuntimeError(f"denied for {access}")
        """
}


def test_storage_credentials_are_masked(project: Callable[..., Project]) -> None:
    p = project(STORAGE_CONFIG, **STORAGE_STEPS)
    name = p.config.name
    p.process("run", "run", name, "--keep-going", "--json", "r.json", "--junit", "r.xml", code=1)
    p.file("--json file", p.folder / "r.json")
    p.file("--junit file", p.folder / "r.xml")
    with p.ui() as client:
        p.history_channels(client)
        form = p.page(client, "/pipelines/secretive/run")
    p.every_file()
    assert 'name="param:access" value=""' in form  # a credential's field is left empty
    assert "talk | key *** secret ***" in p.channels.texts["run (stdout)"]
    assert "talk | literal ***" in p.channels.texts["run (stdout)"]
    p.check(
        masked_in=["run (stdout)", "--json file", "--junit file", "history rows"],
        secrets=(SECRET, LITERAL, "literal-password-1234"),
    )


# -- a sub-pipeline's secrets ----------------------------------------------------------------------

PARENT_CONFIG = """\
name: secretive
results: {root: out}
steps:
  child: {pipeline: child/pipeline.yaml}
"""

CHILD_CONFIG = f"""\
name: child
params: {{token: "${{env.{VARIABLE}}}"}}
results: {{root: out}}
steps:
  talk: {{run: child_steps.talk, inputs: {{token: "${{params.token}}"}}}}
"""

CHILD_STEPS = {
    "child/pipeline.yaml": CHILD_CONFIG,
    "child/child_steps.py": """\
        def talk(token):
            print("child says", token)
            raise ValueError(token)
        """,
}


def test_a_sub_pipelines_secrets_are_masked(project: Callable[..., Project]) -> None:
    p = project(PARENT_CONFIG, **CHILD_STEPS)
    p.process("run", "run", p.config.name, "--json", "r.json", "--junit", "r.xml", code=1)
    p.file("--json file", p.folder / "r.json")
    p.file("--junit file", p.folder / "r.xml")
    with p.ui() as client:
        p.history_channels(client)
    p.every_file()
    assert "child/talk | child says ***" in p.channels.texts["run (stdout)"]
    p.check(masked_in=["run (stdout)", "--json file", "--junit file", "history rows"])


# -- the Python API ------------------------------------------------------------------------------


def test_the_python_api_masks_errors_outcomes_plans_and_locations(
    project: Callable[..., Project],
) -> None:
    import pipeflow

    p = project(SCHEMA_CONFIG, **SIMPLE_STEPS)
    with pytest.raises(pipeflow.ConfigError) as invalid:
        pipeflow.load(p.config)
    assert "***" in str(invalid.value)
    shown = [str(invalid.value), *(problem.message for problem in invalid.value.problems)]

    p.config.write_text(textwrap.dedent(PRINT_CONFIG.replace("EXECUTOR", "threads")))
    rooted = p.config.read_text().replace("root: out", f'root: "out-${{env.{VARIABLE}}}"')
    p.config.write_text(rooted)
    (p.folder / "steps.py").write_text(textwrap.dedent(PRINT_STEPS["steps.py"]))
    pipe = pipeflow.load(p.config)
    run = pipe.run(keep_going=True, history=False)
    leak, talk = run.outcomes["leak"], run.outcomes["talk"]
    assert leak.error == "ValueError: cannot use token '***'"
    shown += [repr(leak), repr(talk), *talk.locations]
    assert talk.locations
    assert all("out-***" in location for location in talk.locations)
    shown += [*pipe.result("talk").locations.values(), pipe.mask(f"a {SECRET}")]
    shown += [decision.reason for decision in pipe.plan(force=["talk"])]
    with pytest.raises(pipeflow.ConfigError) as changed:
        pipe.run(param_options=["token=5"])
    assert "is a string (***) in the defaults" in str(changed.value)
    shown.append(str(changed.value))
    leaks = [text for text in shown for spelling in forms(SECRET) if spelling in text]
    assert not leaks


def test_a_changed_secret_changes_the_key_without_showing_either_value(
    project: Callable[..., Project],
) -> None:
    p = project(
        MAPPING_CONFIG.replace(
            "connect:", "other: {run: steps.connect, inputs: {db: {host: x}}}\n  connect:"
        ),
        **MAPPING_STEPS,
    )
    p.process("run", "run", p.config.name, code=0)
    p.process("status same", "status", p.config.name, "--json", code=0)
    new_secret = "Nw8-another-s3cret"
    p.env[VARIABLE] = new_secret
    p.process("status changed", "status", p.config.name, "--json", code=0)
    p.process("run changed", "run", p.config.name, code=0)
    with p.ui() as client:
        p.history_channels(client)
    p.every_file()
    same = json.loads(p.channels.texts["status same (stdout)"])
    assert {row["step"]: row["action"] for row in same["steps"]} == {
        "other": "cached",
        "connect": "cached",
    }
    changed = {
        row["step"]: row for row in json.loads(p.channels.texts["status changed (stdout)"])["steps"]
    }
    assert changed["other"]["action"] == "cached"
    assert changed["connect"]["action"] == "run"
    assert changed["connect"]["reason"] == "input db changed"
    p.check(masked_in=["history rows"], secrets=(SECRET, new_secret))


def test_a_fallback_is_no_secret(project: Callable[..., Project]) -> None:
    """`${env.NAME:-fallback}` with NAME unset: the fallback is in the config for all to read,
    so text that happens to contain it is shown as it is (the param is still `***`)."""
    p = project(
        f"""\
        name: secretive
        params: {{mode: "${{env.{VARIABLE}_UNSET:-training}}"}}
        results: {{root: out}}
        steps:
          one: {{run: steps.one, inputs: {{x: "${{params.mode}}"}}}}
        """,
        **{"steps.py": "def one(x):\n    print('mode is', x)\n    return x\n"},
    )
    output = p.process("run", "run", p.config.name, code=0)
    assert "one | mode is training" in output


def test_warnings_mask_the_locations_they_name(project: Callable[..., Project]) -> None:
    p = project(ROOT_CONFIG, **SIMPLE_STEPS)
    p.process("run", "run", p.config.name, code=0)
    manifests = sorted(p.folder.glob("out-*/.pipeflow/manifests/secretive/two/*.json"))
    assert manifests
    for manifest in manifests:
        manifest.write_text("{not json", encoding="utf-8")  # a broken manifest: a warning
    p.process("status", "status", p.config.name, code=0)
    p.process("run again", "run", p.config.name, code=0)
    assert "ignoring the broken manifest at" in p.channels.texts["status (stderr)"]
    p.check(masked_in=["status (stderr)", "run again (stderr)"])


def test_warnings_through_the_python_api_are_masked_too(project: Callable[..., Project]) -> None:
    """`pipeflow.load(...).run()` and `.status()` raise Python warnings, not CLI lines: their
    text is masked as well, whoever shows or records them."""
    import warnings

    import pipeflow

    p = project(ROOT_CONFIG, **SIMPLE_STEPS)
    p.process("run", "run", p.config.name, code=0)
    for manifest in p.folder.glob("out-*/.pipeflow/manifests/secretive/two/*.json"):
        manifest.write_text("{not json", encoding="utf-8")
    for call in ("status", "run"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(pipeflow.load(p.config), call)()
        texts = [str(warning.message) for warning in caught]
        assert any("ignoring the broken manifest at" in text for text in texts), texts
        p.channels.add(f"API {call} warnings", "\n".join(texts))
        p.channels.add(f"API {call} warning args", repr([w.message.args for w in caught]))
    p.check(masked_in=["API status warnings", "API run warnings"])
