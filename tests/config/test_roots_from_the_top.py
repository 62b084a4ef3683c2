"""A results root that starts with a reference that is empty, followed by `/`
(`${env.DATA}/results` with DATA set to "", or `${env.DATA:-}` unset, or a param such a
variable fills), is the folder `/results` at the top of the filesystem, which no one wrote:
the `$PREFIX/` mistake. `validate` passed and the run stored its results there. It is
refused at the root (exit 2), naming the reference, never its value, in YAML and TOML, for
`results.root` and a step's `result.root`, by `validate`, `run` and `pipeflow.load`.

The literal after the reference here is the test's own folder, so that without the check
the run would write only there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory

STEPS = "def one():\n    return 1\n"

# (the root as written, with {top} for the absolute folder after it; what the env holds;
#  the reference the message names)
CASES = [
    ("${env.PF_BASE}{top}", {"PF_BASE": ""}, "`${env.PF_BASE}`"),
    ("${env.PF_BASE:-}{top}", {}, "`${env.PF_BASE:-}`"),
    ("${params.base}{top}", {"PF_BASE": ""}, "`${params.base}`"),
    ("${env.PF_BASE}${env.PF_MORE:-}{top}", {"PF_BASE": ""}, "`${env.PF_MORE:-}`"),
]


def _config(kind: str, root: str, where: str) -> str:
    main, own = (root, None) if where == "results.root" else ("out", root)
    if kind == "yaml":
        step = f", result: {{root: '{own}'}}" if own else ""
        return (
            "name: p\nparams: {base: '${env.PF_BASE:-}'}\n"
            f"results: {{root: '{main}'}}\nsteps:\n  a: {{run: psteps.one{step}}}\n"
        )
    step = f"\n[steps.a.result]\nroot = '{own}'\n" if own else ""
    return (
        "name = 'p'\n[params]\nbase = '${env.PF_BASE:-}'\n"
        f"[results]\nroot = '{main}'\n[steps.a]\nrun = 'psteps.one'\n{step}"
    )


def _run(config: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PF_")}
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
        env={**environment, **env},
    )


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("where", ["results.root", "steps.a.result.root"])
@pytest.mark.parametrize(("root", "env", "named"), CASES)
def test_a_root_an_empty_reference_sends_to_the_top_is_refused(
    make_project: ProjectFactory,
    tmp_path: Path,
    kind: str,
    where: str,
    root: str,
    env: dict[str, str],
    named: str,
) -> None:
    top = tmp_path / "top" / "results"
    text = _config(kind, root.replace("{top}", top.as_posix()), where)
    config = make_project(text, name=f"pipeline.{kind}", psteps=STEPS)
    load = f"import pipeflow; pipeflow.load({str(config)!r})"
    for args in (
        [sys.executable, "-m", "pipeflow", "validate", config.name],
        [sys.executable, "-m", "pipeflow", "run", config.name],
        [sys.executable, "-c", load],
    ):
        result = _run(config, args, env)
        output = result.stdout + result.stderr
        assert result.returncode == (1 if "-c" in args else 2), output
        assert f"error at `{where}`" in output
        assert named in output
        assert "top of the filesystem" in output
        assert not top.exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_root_the_reference_fills_is_kept(
    make_project: ProjectFactory, tmp_path: Path, kind: str
) -> None:
    """`${env.PF_BASE}/results` with PF_BASE set is the root it names; so is a root that
    starts with `/` as written."""
    base = tmp_path / "base"
    text = _config(kind, "${env.PF_BASE}/results", "results.root")
    config = make_project(text, name=f"pipeline.{kind}", psteps=STEPS)
    result = _run(
        config, [sys.executable, "-m", "pipeflow", "run", config.name], {"PF_BASE": str(base)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (base / "results" / ".pipeflow").is_dir()
    written = _config(kind, (tmp_path / "abs").as_posix(), "results.root")
    config.write_text(written)
    result = _run(config, [sys.executable, "-m", "pipeflow", "run", config.name], {})
    assert result.returncode == 0, result.stdout + result.stderr
