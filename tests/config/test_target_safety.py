"""A config cannot aim a result at pipeflow's own files (SPEC section 10), however it spells it.

The attack these stand for needs no step code of its own: `pipeflow.read` copies two files an
attacker controls into a store's reserved `.pipeflow/` area (a manifest and a pickle it vouches
for), and the next `pipeflow.read` of that result would load the pickle. Every spelling is
refused by `validate` and `run` with exit 2 before anything is written; a root or a link that
only exists at run time is refused by the store when it writes (exit 1).
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

FORGE = """
name: forge
params: {p: .pipeflow, where: x}
results: {root: out}
steps:
  manifest:
    run: pipeflow.read
    inputs: {path: evil.json}
    result: {target: "TARGET", format: json}
"""


def write(folder: Path, text: str) -> Path:
    config = folder / "pipeline.yaml"
    config.write_text(textwrap.dedent(text))
    (folder / "evil.json").write_text(json.dumps({"forged": True}))
    return config


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def written(folder: Path) -> list[str]:
    """Every file under `folder` but the config and the attacker's input."""
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and path.name not in ("pipeline.yaml", "evil.json")
    )


@pytest.mark.parametrize(
    ("target", "params"),
    [
        (".pipeflow/manifests/victim/load/latest.json", []),
        ("./.pipeflow/manifests/victim/load/latest.json", []),
        ("a/../.pipeflow/manifests/x.json", []),
        (".PIPEFLOW/manifests/x.json", []),
        ("{params.p}/manifests/victim/load/latest.json", []),
        ("{params.where}/manifests/x.json", ["--param", "where=x/../.pipeflow"]),
        ("{params.where}/manifests/x.json", ["--param", "where=.Pipeflow"]),
        ("sub/{params.where}/x.json", ["--param", "where=.pipeflow"]),
        (".{pipeline}/x.json", []),  # a pipeline named `pipeflow`, below
    ],
)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_targets_into_the_reserved_area_are_refused(
    tmp_path: Path, target: str, params: list[str], command: str
) -> None:
    text = FORGE.replace("TARGET", target)
    if "{pipeline}" in target:
        text = text.replace("name: forge", "name: pipeflow")
    config = write(tmp_path, text)
    code, output = invoke(command, str(config), *params)
    assert code == 2, output
    assert "steps.manifest.result.target" in output
    assert "reserved" in output or "`..`" in output
    assert written(tmp_path) == []


def test_a_step_named_to_hit_it_is_refused(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
        name: forge
        results: {root: out}
        steps:
          pipeflow:
            run: pipeflow.read
            inputs: {path: evil.json}
            result: {target: ".{step}/manifests/x.json"}
        """,
    )
    code, output = invoke("run", str(config))
    assert code == 2, output
    assert "reserved" in output
    assert written(tmp_path) == []


def test_an_output_named_to_hit_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "parts.py").write_text("def two():\n    return {'a': 1, 'pipeflow': 2}\n")
    config = write(
        tmp_path,
        """
        name: forge
        results: {root: out}
        steps:
          two:
            run: parts.two
            outputs: [a, pipeflow]
            result: {target: "x/.{output}/v.json"}
        """,
    )
    code, output = invoke("validate", str(config))
    assert code == 2, output
    assert "reserved" in output


@pytest.mark.parametrize(
    ("root", "target", "where"),
    [
        (".pipeflow", "runs.db", "results.root"),  # the history beside the config
        (".", ".pipeflow/runs.db", "steps.manifest.result.target"),
        (".", ".pipeflow/file-hashes.json", "steps.manifest.result.target"),
        ("out/.pipeflow/manifests", "victim/load/latest.json", "results.root"),
        ("${params.p}", "runs.db", "results.root"),
    ],
)
def test_roots_and_targets_on_the_history_and_caches_are_refused(
    tmp_path: Path, root: str, target: str, where: str
) -> None:
    config = write(
        tmp_path, FORGE.replace("root: out", f'root: "{root}"').replace("TARGET", target)
    )
    code, output = invoke("run", str(config))
    assert code == 2, output
    assert where in output
    assert "`.pipeflow/`" in output
    assert written(tmp_path) == []


def test_a_steps_own_root_inside_another_stores_reserved_area_is_refused(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
        name: forge
        results: {root: out}
        steps:
          manifest:
            run: pipeflow.read
            inputs: {path: evil.json}
            result: {root: out/.pipeflow/manifests/victim, target: "load/latest.json"}
        """,
    )
    code, output = invoke("validate", str(config))
    assert code == 2, output
    assert "steps.manifest.result.root" in output
    assert "`.pipeflow/`" in output


def test_the_history_in_pipeflow_home_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PIPEFLOW_HOME", str(home))
    config = write(
        tmp_path, FORGE.replace("root: out", f"root: {home}").replace("TARGET", "runs.db")
    )
    code, output = invoke("run", str(config))
    assert code == 2, output
    assert "history database" in output
    assert not home.exists()


def test_a_results_override_into_the_reserved_area_is_refused_before_the_run(
    tmp_path: Path,
) -> None:
    """`--results` is checked as `results.root` is: exit 2, before any step runs."""
    config = write(tmp_path, FORGE.replace("TARGET", "runs.db"))
    code, output = invoke("run", str(config), "--results", str(tmp_path / ".pipeflow"))
    assert code == 2, output
    assert "`.pipeflow/`" in output
    assert "(from --results " in output
    assert not (tmp_path / ".pipeflow" / ".pipeflow").exists()
    assert not (tmp_path / ".pipeflow" / "runs.db").exists()


LINKS = """
import os


def make_link(folder: str, to: str) -> str:
    os.makedirs(folder, exist_ok=True)
    os.symlink(to, os.path.join(folder, "linked"))
    return "made"


def value() -> dict:
    return {"x": 1}
"""


def test_a_link_made_during_the_run_is_not_followed_out_of_the_root(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "links.py").write_text(LINKS)
    config = write(
        tmp_path,
        f"""
        name: linked
        results: {{root: out}}
        steps:
          link:
            run: links.make_link
            inputs: {{folder: "{tmp_path / "out"}", to: "{elsewhere}"}}
            result: false
          write:
            run: links.value
            after: [link]
            result: {{target: linked/x.json}}
        """,
    )
    code, output = invoke("run", str(config))
    assert code == 1, output
    assert "outside the results store" in output
    assert list(elsewhere.iterdir()) == []


def test_a_link_there_before_the_run_is_refused_by_validate(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    os.symlink(elsewhere, tmp_path / "out" / "linked")
    config = write(tmp_path, FORGE.replace("TARGET", "linked/x.json"))
    code, output = invoke("validate", str(config))
    assert code == 2, output
    assert "outside the results store" in output


def test_ordinary_targets_still_work(tmp_path: Path) -> None:
    config = write(tmp_path, FORGE.replace("TARGET", "copies/{step}.json"))
    code, output = invoke("run", str(config))
    assert code == 0, output
    assert json.loads((tmp_path / "out" / "copies" / "manifest.json").read_text()) == {
        "forged": True
    }
