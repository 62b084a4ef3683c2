"""A param mapping with number keys (`classes: {0: setosa, 1: versicolor}`, as data) takes an
override of one entry from every channel, though JSON, TOML and `--param` write keys as text:
`--param classes.0=x`, `{"classes": {"0": "x"}}`, `[classes] 0 = "x"`. The entry keeps the
default's key (no second key "0" beside 0), and a TOML config's text keys take a YAML file's
number keys the same way. Before, each was "unknown param `classes.0`", with the hint "did you
mean `classes.0`?"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.system import pipeflow_in as pipeflow

STEPS = (
    "import json\nfrom pathlib import Path\n\n\n"
    "def echo(classes):\n"
    "    got = sorted([type(key).__name__, key, value] for key, value in classes.items())\n"
    "    Path(__file__).with_name('got.json').write_text(json.dumps(got))\n"
    "    return len(classes)\n"
)
YAML = (
    "name: p\nparams:\n  classes: {0: setosa, 1: versicolor}\n"
    'steps:\n  a: {run: st.e.echo, inputs: {classes: "${params.classes}"}}\n'
)
TOML = (
    'name = "p"\n[params.classes]\n0 = "setosa"\n1 = "versicolor"\n'
    '[steps.a]\nrun = "st.e.echo"\ninputs = {classes = "${params.classes}"}\n'
)
OVERRIDES = {
    "--param": ([], ["--param", "classes.0=virginica"]),
    "json": ([("f.json", '{"classes": {"0": "virginica"}}')], ["--param-file", "f.json"]),
    "toml": ([("f.toml", '[classes]\n0 = "virginica"\n')], ["--param-file", "f.toml"]),
    "yaml text key": ([("f.yaml", "classes: {'0': virginica}\n")], ["--param-file", "f.yaml"]),
    "yaml number key": ([("f.yaml", "classes: {0: virginica}\n")], ["--param-file", "f.yaml"]),
}


@pytest.mark.parametrize(("config", "text"), [("p.yaml", YAML), ("p.toml", TOML)])
@pytest.mark.parametrize("channel", list(OVERRIDES))
def test_one_entry_of_a_number_keyed_param_is_overridden_from_every_channel(
    tmp_path: Path, config: str, text: str, channel: str
) -> None:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / config).write_text(text)
    files, args = OVERRIDES[channel]
    for name, content in files:
        (tmp_path / name).write_text(content)

    result = pipeflow(tmp_path, "run", config, "-q", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    key = "int" if config == "p.yaml" else "str"
    first, second = (0, 1) if config == "p.yaml" else ("0", "1")
    assert json.loads((tmp_path / "st" / "got.json").read_text()) == [
        [key, first, "virginica"],
        [key, second, "versicolor"],
    ]


def test_an_unknown_entry_of_a_number_keyed_param_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / "p.yaml").write_text(YAML)
    result = pipeflow(tmp_path, "validate", "p.yaml", "--param", "classes.2=x")
    assert result.returncode == 2
    assert "unknown param `classes.2`" in result.stderr


def test_a_reference_and_a_target_reach_a_number_key_by_its_text(tmp_path: Path) -> None:
    """`${params.classes.0}` and `{params.classes.0}` name the entry `0:` of a YAML config,
    as they name the entry `0 = ...` of a TOML one (whose keys are text)."""
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def first(name):\n    return name\n")
    (tmp_path / "p.yaml").write_text(
        "name: p\nparams:\n  classes: {0: setosa, 1: versicolor}\nsteps:\n"
        '  a: {run: st.e.first, inputs: {name: "${params.classes.0}"},'
        ' result: {target: "{params.classes.1}/{step}.json"}}\n'
    )
    checked = pipeflow(tmp_path, "validate", "p.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = pipeflow(tmp_path, "run", "p.yaml", "-q")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    stored = tmp_path / "data" / "processed" / "versicolor" / "a.json"
    assert json.loads(stored.read_text()) == "setosa"
