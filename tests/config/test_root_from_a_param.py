"""A results root given as one `${params.NAME}` reference must come out as text, as a root
written in the config must: a param that is null, a list, a mapping, a boolean or a number
(from the defaults, a params file or `--param`) is refused where the root is named, by
`validate` and by `run` before anything is written, for `results.root` and a step's
`result.root`, in YAML and TOML alike. Before, the run wrote its results under folders named
`None`, `['a', 'b']` or `True`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system import pipeflow_in as pipeflow

YAML = """\
name: p
params: {root: ROOT, place: ROOT}
results: {root: "${params.root}"}
steps:
  a: {run: st.e.echo, inputs: {v: 1}}
  b: {run: st.e.echo, inputs: {v: 2}, result: {root: "${params.place}", target: "{step}.json"}}
"""
TOML = """\
name = "p"
[params]
root = ROOT
place = ROOT
[results]
root = "${params.root}"
[steps.a]
run = "st.e.echo"
inputs = {v = 1}
[steps.b]
run = "st.e.echo"
inputs = {v = 2}
result = {root = "${params.place}", target = "{step}.json"}
"""
# kind -> (YAML, TOML (None: TOML has no null), how the message words it)
VALUES = {
    "null": ("null", None, "null"),
    "a list": ("[a, b]", '["a", "b"]', "a list (['a', 'b'])"),
    "a mapping": ("{a: 1}", "{a = 1}", "a mapping ({'a': 1})"),
    "a boolean": ("true", "true", "a boolean (True)"),
    "a number": ("5", "5", "an int (5)"),
}


def project(folder: Path) -> None:
    (folder / "st").mkdir()
    (folder / "st" / "__init__.py").write_text("")
    (folder / "st" / "e.py").write_text("def echo(v):\n    return v\n")


def _refused(folder: Path, config: str, said: str, *args: str) -> None:
    before = {path.name for path in folder.iterdir()}
    for command in ("validate", "run"):
        result = pipeflow(folder, command, config, *args)
        assert result.returncode == 2, result.stdout + result.stderr
        errors = [line for line in result.stderr.splitlines() if " error " in line]
        assert len(errors) == 2, result.stderr
        line = 3 if config == "p.yaml" else 6
        assert errors[0] == (
            f"{config}:{line}:{17 if config == 'p.yaml' else 8}: error at `results.root`: "
            f"the results root `${{params.root}}` is {said}, not a path or URL"
        ), result.stderr
        assert "error at `steps.b.result.root`: the results root `${params.place}` is" in errors[1]
    assert {path.name for path in folder.iterdir()} - before <= {".pipeflow"}
    assert not (folder / ".pipeflow" / "journal").exists()


@pytest.mark.parametrize(
    ("config", "kind"),
    [("p.yaml", kind) for kind in VALUES]
    + [("p.toml", kind) for kind, (_, toml, _) in VALUES.items() if toml is not None],  # no null
)
def test_a_root_param_whose_default_is_no_text_is_refused(
    tmp_path: Path, config: str, kind: str
) -> None:
    yaml_value, toml_value, said = VALUES[kind]
    project(tmp_path)
    text = YAML.replace("ROOT", yaml_value) if config == "p.yaml" else TOML
    (tmp_path / config).write_text(text.replace("ROOT", toml_value or ""))
    _refused(tmp_path, config, said)


@pytest.mark.parametrize("kind", list(VALUES))
def test_a_root_param_given_no_text_for_a_null_default_is_refused(
    tmp_path: Path, kind: str
) -> None:
    yaml_value, _, said = VALUES[kind]
    project(tmp_path)
    (tmp_path / "p.yaml").write_text(YAML.replace("ROOT", "null"))
    (tmp_path / "f.yaml").write_text(f"place: {yaml_value}\n")
    _refused(tmp_path, "p.yaml", said, "--param", f"root={yaml_value}", "--param-file", "f.yaml")
