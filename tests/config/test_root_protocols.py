"""A results root whose protocol no fsspec filesystem answers to (`s3x://`, `gcs:/`-style
typos) is a validation error at its place (exit 2), with the protocol it most likely meant:
`validate` catches it before any step runs, as SPEC 3 promises, instead of `run` failing
with exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = "def one():\n    return 1\n"


def _yaml(root: str, step_root: str | None) -> str:
    own = f", result: {{root: {step_root!r}}}" if step_root else ""
    return f"name: p\nresults: {{root: {root!r}}}\nsteps:\n  a: {{run: psteps.one{own}}}\n"


def _toml(root: str, step_root: str | None) -> str:
    own = f'\n[steps.a.result]\nroot = "{step_root}"\n' if step_root else ""
    return f'name = "p"\n[results]\nroot = "{root}"\n[steps.a]\nrun = "psteps.one"\n{own}'


def _pipeflow(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args, str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )


# (root of the pipeline, root of the step, where the problem is, the protocol, a suggestion)
UNKNOWN = [
    ("s3x://bucket/x", None, "results.root", "s3x", "s3"),
    ("gz://bucket/x", None, "results.root", "gz", "gs"),
    ("simplecache::s4://bucket/x", None, "results.root", "s4", "s3"),
    ("out", "s3x://bucket/y", "steps.a.result.root", "s3x", "s3"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("root", "step_root", "where", "protocol", "meant"), UNKNOWN)
def test_an_unknown_protocol_is_refused_at_its_place(
    make_project: ProjectFactory,
    kind: str,
    command: str,
    root: str,
    step_root: str | None,
    where: str,
    protocol: str,
    meant: str,
) -> None:
    write = _yaml if kind == "yaml" else _toml
    config = make_project(write(root, step_root), name=f"pipeline.{kind}", psteps=STEPS)
    result = _pipeflow(config, command)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert where in output
    assert f"`{protocol}`" in output
    assert f"`{meant}`" in output
    assert not (config.parent / "out").exists()


def test_known_protocols_pass(make_project: ProjectFactory) -> None:
    """Every protocol fsspec knows passes, installed or not (the run says what to install)."""
    for root in (
        "s3://b/x",
        "gs://b/x",
        "az://c/x",
        "memory://x",
        "file:///tmp/x",
        "simplecache::s3://b/x",
        "out",
    ):
        config = make_project(_yaml(root, None), psteps=STEPS)
        result = _pipeflow(config, "validate")
        assert result.returncode == 0, (root, result.stdout + result.stderr)


BLANK = [
    ("", None, "results.root"),
    ("   ", None, "results.root"),
    ("out", "", "steps.a.result.root"),
    ("out", " ", "steps.a.result.root"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("root", "step_root", "where"), BLANK)
def test_an_empty_root_is_refused_at_its_place(
    make_project: ProjectFactory,
    kind: str,
    command: str,
    root: str,
    step_root: str | None,
    where: str,
) -> None:
    """An empty root would be the config's own folder (or a folder named by its spaces):
    refused, as `.` says that folder when it is meant."""
    write = _yaml if kind == "yaml" else _toml
    config = make_project(write(root, step_root), name=f"pipeline.{kind}", psteps=STEPS)
    if step_root == "":  # `_yaml` and `_toml` leave out an empty one
        text = config.read_text()
        config.write_text(
            text.replace("psteps.one}", "psteps.one, result: {root: ''}}")
            if kind == "yaml"
            else text + '[steps.a.result]\nroot = ""\n'
        )
    result = _pipeflow(config, command)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"error at `{where}`: the results root is empty" in output
    assert not (config.parent / ".pipeflow" / "journal").exists()
    assert not any(config.parent.glob("*/.pipeflow"))


def test_a_root_a_param_leaves_empty_is_refused(make_project: ProjectFactory) -> None:
    text = 'name: p\nparams: {root: "out"}\nresults: {root: "${params.root}"}\n'
    config = make_project(text + "steps:\n  a: {run: psteps.one}\n", psteps=STEPS)
    result = _pipeflow(config, "validate", "--param", "root=")
    assert result.returncode == 2, result.stderr
    assert "error at `results.root`: the results root is empty" in result.stderr


ENV_ROOTS = [
    # (results.root, its param's default, the step's root, where)
    ("${env.PF_ROOT:-}", None, None, "results.root"),
    ("${env.PF_ROOT}", None, None, "results.root"),
    ("${params.root}", "${env.PF_ROOT:-}", None, "results.root"),
    ("out", None, "${env.PF_ROOT:-}", "steps.a.result.root"),
    ("${env.PF_ROOT:-}${env.PF_OTHER:-}", None, None, "results.root"),
]


@pytest.mark.parametrize("command", ["validate", "run", "api"])
@pytest.mark.parametrize(("root", "default", "step_root", "where"), ENV_ROOTS)
def test_a_root_the_environment_leaves_empty_is_refused(
    make_project: ProjectFactory,
    command: str,
    root: str,
    default: str | None,
    step_root: str | None,
    where: str,
) -> None:
    """`${env.X}` set to "" (or unset, with the default `:-`) would make the root the
    config's own folder: refused as an empty root is, naming the variable, never its value."""
    params = f"params: {{root: {default!r}}}\n" if default is not None else ""
    own = f", result: {{root: {step_root!r}}}" if step_root else ""
    text = f"name: p\n{params}results: {{root: {root!r}}}\nsteps:\n  a: {{run: psteps.one{own}}}\n"
    config = make_project(text, psteps=STEPS)
    env = {**os.environ, "PF_ROOT": ""}
    env.pop("PF_OTHER", None)
    if command == "api":
        script = f"import pipeflow; pipeflow.load({str(config)!r}).run()"
        args = [sys.executable, "-c", script]
    else:
        args = [sys.executable, "-m", "pipeflow", command, str(config)]
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=120, cwd=config.parent, env=env
    )
    output = result.stdout + result.stderr
    assert result.returncode == (1 if command == "api" else 2), output
    assert f"error at `{where}`: the results root is empty" in output
    assert "`PF_ROOT`" in output
    assert not (config.parent / ".pipeflow" / "journal").exists()
    assert not (config.parent / ".pipeflow" / "results").exists()


def test_a_part_of_a_root_the_environment_leaves_empty_is_kept(
    make_project: ProjectFactory,
) -> None:
    """`out/${env.TEAM:-}` with TEAM unset is the root `out` (docs/stores.md)."""
    text = "name: p\nresults: {root: 'out/${env.PF_TEAM:-}'}\nsteps:\n  a: {run: psteps.one}\n"
    config = make_project(text, psteps=STEPS)
    env = {k: v for k, v in os.environ.items() if k != "PF_TEAM"}
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (config.parent / "out" / ".pipeflow").is_dir()


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("", "`--results` (`results=` in Python) is empty"),
        ("  ", "`--results` (`results=` in Python) is empty"),
        ("s3x://bucket/x", "protocol `s3x`"),
        ("out/.pipeflow/x", "lies inside `.pipeflow/`"),
    ],
)
def test_the_store_given_for_the_run_is_checked_before_any_step_runs(
    make_project: ProjectFactory, given: str, said: str
) -> None:
    """`--results` (and `run(results=...)`) is checked as `results.root` is: exit 2 before
    any step runs, not a step failing (exit 1) or results written into the current folder."""
    config = make_project(_yaml("out", None), psteps=STEPS)
    before = sorted(path.name for path in config.parent.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--results", given],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr
    assert "nothing was run" in result.stderr
    after = sorted(path.name for path in config.parent.iterdir() if path.name != ".pipeflow")
    assert after == before  # no store made, here or elsewhere in the folder
    kept = config.parent / ".pipeflow"
    assert [path.name for path in kept.iterdir()] == ["import-checks.json"]  # validation's
    loaded = pipeflow.load(config)
    with pytest.raises(pipeflow.ConfigError) as raised:
        loaded.run(results=given, history=False)
    assert said in str(raised.value)


RUN = (sys.executable, "-m", "pipeflow", "run")


def test_a_password_in_the_store_given_for_the_run_is_never_shown(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    """As in `results.root`: the refusal names the store with its password masked, on the
    console, in the `--json` report and in the exception Python gets."""
    config = make_project(_yaml("out", None), psteps=STEPS)
    given = "s3x://user:hunter2-secret@bucket/x"
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--results", given],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )
    assert result.returncode == 2, result.stderr
    assert "s3x://user:***@bucket/x" in result.stderr
    reported = subprocess.run(
        [*RUN, str(config), "--results", given, "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )
    assert reported.returncode == 2
    shown = result.stdout + result.stderr + reported.stdout + reported.stderr
    assert "hunter2" not in shown
    assert "s3x://user:***@bucket/x" in report.read_text()  # a run refused is reported too
    assert "hunter2" not in report.read_text()
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config).run(results=given, history=False)
    assert "hunter2" not in str(raised.value)
    assert "s3x://user:***@bucket/x" in str(raised.value)


def test_a_toml_root_the_environment_leaves_empty_is_refused(make_project: ProjectFactory) -> None:
    text = (
        'name = "p"\n[results]\nroot = "${env.PF_ROOT:-}"\n[steps.a]\nrun = "psteps.one"\n'
        '[steps.b]\nrun = "psteps.one"\n[steps.b.result]\nroot = "${env.PF_ROOT:-}"\n'
    )
    config = make_project(text, name="pipeline.toml", psteps=STEPS)
    env = {k: v for k, v in os.environ.items() if k != "PF_ROOT"}
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", "validate", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
        env=env,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error at `results.root`: the results root is empty" in result.stderr
    assert "error at `steps.b.result.root`: the results root is empty" in result.stderr
    assert "`PF_ROOT`" in result.stderr
