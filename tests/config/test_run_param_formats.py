"""A param filled in when the run starts (`${run.id}`, `${run.date}`, a text that holds one)
takes a format spec in a target as the value the run gives it does: `validate` checks the spec
against a value of that type, and no message shows pipeflow's internals (`Ref(...)`,
`Template.__format__`)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.system import pipeflow_in as pipeflow

PARAMS = (
    'params: {started: "${run.date}", rid: "${run.id}", tag: "tag-${run.id}",'
    ' nested: {at: "${run.date}"}}\n'
)

# target -> what its rendered folder looks like after a run (a regular expression)
ACCEPTED = {
    # A date without a spec: as `{date}`, no colons or spaces in a path.
    "{params.started}": r"\d{4}-\d{2}-\d{2}T\d{6}",
    "{params.nested.at}": r"\d{4}-\d{2}-\d{2}T\d{6}",
    "{params.started!s:.10}": r"\d{4}-\d{2}-\d{2}",  # its own text, cut
    "{date!s:.4}": r"\d{4}",  # the run's date too (was the object's repr)
    "{params.started:%Y-%m}": r"\d{4}-\d{2}",
    "{params.nested.at:%Y}": r"\d{4}",
    "{params.rid:.8}": r"\d{8}",
    "{params.tag:.7}": r"tag-\d{3}",
    "{params.tag!s:_>30}": r"_{4}tag-\d{8}-\d{6}-[0-9a-f]{6}",
}
# target -> the spec a value of that type refuses
REFUSED = {
    "{params.rid:%Y}": "'%Y'",
    "{params.tag:d}": "'d'",
    "{params.rid:>>>}": "'>'",
}


def project(tmp_path: Path, target: str) -> Path:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def echo(v):\n    return v\n")
    config = tmp_path / "p.yaml"
    config.write_text(
        f"name: p\n{PARAMS}steps:\n"
        f'  b: {{run: st.e.echo, inputs: {{v: 2}}, result: {{target: "{target}/b.json"}}}}\n'
    )
    return config


@pytest.mark.parametrize("target", ACCEPTED)
def test_a_format_spec_on_a_run_param_is_checked_as_the_run_gives_it(
    tmp_path: Path, target: str
) -> None:
    config = project(tmp_path, target)

    checked = pipeflow(tmp_path, "validate", config.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = pipeflow(tmp_path, "run", config.name, "-q")
    assert ran.returncode == 0, ran.stdout + ran.stderr

    written = list((tmp_path / "data" / "processed").rglob("b.json"))
    assert len(written) == 1
    folder = written[0].parent.relative_to(tmp_path / "data" / "processed").as_posix()
    assert re.fullmatch(ACCEPTED[target], folder), folder
    if target == "{params.started:%Y-%m}":
        assert folder == f"{datetime.now().astimezone():%Y-%m}"


@pytest.mark.parametrize("target", REFUSED)
def test_a_spec_the_runs_value_cannot_take_is_refused_in_plain_words(
    tmp_path: Path, target: str
) -> None:
    config = project(tmp_path, target)

    checked = pipeflow(tmp_path, "validate", config.name)

    said = checked.stdout + checked.stderr
    assert checked.returncode == 2, said
    assert REFUSED[target] in said
    for internal in ("Ref(", "Template(", "__format__", "scope="):
        assert internal not in said


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_date_time_param_from_the_file_names_a_folder_without_colons(
    tmp_path: Path, spelling: str
) -> None:
    """A date-time the config file itself gives (YAML and TOML read it as a datetime) is
    written in a target as `{date}` is."""
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def echo(v):\n    return v\n")
    if spelling == "yaml":
        config = tmp_path / "p.yaml"
        config.write_text(
            "name: p\nparams: {at: 2026-01-02T03:04:05Z}\nsteps:\n"
            '  b: {run: st.e.echo, inputs: {v: 2}, result: {target: "{params.at}/b.json"}}\n'
        )
    else:
        config = tmp_path / "p.toml"
        config.write_text(
            'name = "p"\n[params]\nat = 2026-01-02T03:04:05Z\n[steps.b]\nrun = "st.e.echo"\n'
            'inputs = {v = 2}\nresult = {target = "{params.at}/b.json"}\n'
        )
    ran = pipeflow(tmp_path, "run", config.name, "-q")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    written = list((tmp_path / "data" / "processed").rglob("b.json"))
    assert [path.parent.name for path in written] == ["2026-01-02T030405"]
