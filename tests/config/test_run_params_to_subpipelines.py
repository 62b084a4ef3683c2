"""A param of the parent that `${run.*}` fills in (`rid: ${run.id}`), passed to a
sub-pipeline (`params: {tag: "${params.rid}"}`), is a value of the type the run gives it: a
child's text param takes it, and everywhere the child uses its params (a target, inputs,
`when`, `foreach`, what its manifests record, a grandchild's params) it is this run's value,
never pipeflow's internal form (`Ref(scope='run', ...)`)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.system import pipeflow_in as pipeflow

RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
STEPS = "def echo(v):\n    return v\n\n\ndef pair(v, item):\n    return [v, item]\n"
CHILD = """\
name: child
params: {tag: "t", m: null}
steps:
  f:
    run: st.e.echo
    inputs: {v: "${params.tag}"}
    when: "${params.tag}"
    result: {target: "{params.tag}/f.json"}
  g:
    run: st.e.pair
    inputs: {v: "got ${params.tag}"}
    foreach: ["${params.tag}", "b"]
    result: {target: "{params.tag!s:.40}/g-{item}.json"}
outputs: {f: "${steps.f}"}
"""

# How the parent hands its run-filled param down: directly, or through a sub-pipeline that
# passes it on to the child (a grandchild of the parent).
PARENTS = {
    "a child": 'name: parent\nparams: {rid: "${run.id}"}\nsteps:\n'
    '  c: {pipeline: child.yaml, params: {tag: "${params.rid}"}}\n',
    "a grandchild": 'name: parent\nparams: {rid: "${run.id}"}\nsteps:\n'
    '  c: {pipeline: middle.yaml, params: {t: "${params.rid}"}}\n',
    "a text that holds it": 'name: parent\nparams: {rid: "${run.id}"}\nsteps:\n'
    '  c: {pipeline: child.yaml, params: {tag: "r${params.rid}"}}\n',
}
MIDDLE = (
    'name: middle\nparams: {t: "x"}\nsteps:\n'
    '  c: {pipeline: child.yaml, params: {tag: "${params.t}"}}\n'
)


def project(tmp_path: Path, parent: str, child: str = CHILD) -> Path:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / "child.yaml").write_text(child)
    (tmp_path / "middle.yaml").write_text(MIDDLE)
    (tmp_path / "parent.yaml").write_text(parent)
    return tmp_path / "parent.yaml"


def run_id(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    found = RUN_ID.search(done.stdout)
    assert found is not None, done.stdout
    return found.group(0)


@pytest.mark.parametrize(
    ("way", "executor"),
    [(way, "sequential") for way in PARENTS] + [("a child", "threads"), ("a child", "processes")],
)
def test_the_child_gets_this_runs_value_everywhere(tmp_path: Path, way: str, executor: str) -> None:
    config = project(tmp_path, PARENTS[way])
    prefix = "r" if way == "a text that holds it" else ""

    checked = pipeflow(tmp_path, "validate", config.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    runs = [
        run_id(pipeflow(tmp_path, "run", config.name, "--executor", executor)) for _ in range(2)
    ]

    root = tmp_path / "data" / "processed"
    for rid in runs:
        tag = prefix + rid
        assert json.loads((root / tag / "f.json").read_text()) == tag
        assert json.loads((root / tag / f"g-{tag}.json").read_text()) == [f"got {tag}", tag]
        assert json.loads((root / tag / "g-b.json").read_text()) == [f"got {tag}", "b"]
    for path in root.rglob("*"):
        assert "Ref(" not in path.as_posix()
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            assert "Ref(" not in text, path
            assert "Template(" not in text, path
    shown = pipeflow(tmp_path, "status", config.name)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Ref(" not in shown.stdout


def test_a_text_param_of_the_child_takes_a_run_id(tmp_path: Path) -> None:
    config = project(tmp_path, PARENTS["a child"])

    checked = pipeflow(tmp_path, "validate", config.name)

    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("default", "passed", "said"),
    [
        ("1", "${run.id}", "is an int (1) in the defaults; got a string at run time (${run.id})"),
        (
            "2024-01-31",
            "${run.date}",
            "is a date (datetime.date(2024, 1, 31)) in the defaults; "
            "got a datetime at run time (${run.date})",
        ),
        ("[a]", "x-${run.date}", "got a string at run time (x-${run.date})"),
    ],
)
def test_a_run_value_of_another_type_is_refused_in_plain_words(
    tmp_path: Path, default: str, passed: str, said: str
) -> None:
    parent = (
        f'name: parent\nparams: {{p: "{passed}"}}\nsteps:\n'
        '  c: {pipeline: child.yaml, params: {x: "${params.p}"}}\n'
    )
    child = (
        f"name: child\nparams: {{x: {default}}}\n"
        "steps:\n  s: {run: st.e.echo, inputs: {v: 1}}\n"
    )
    config = project(tmp_path, parent, child)

    checked = pipeflow(tmp_path, "validate", config.name)

    assert checked.returncode == 2, checked.stdout + checked.stderr
    output = checked.stdout + checked.stderr
    assert said in output
    assert "Ref(" not in output
    assert "Template(" not in output


def test_a_run_date_passed_down_is_compared_as_the_child_alone_compares_it(
    tmp_path: Path,
) -> None:
    """The child alone fills in its own `${run.date}`; passed by the parent, the run's date is
    the child's param as well: a later run compares the two dates, whichever ran, and both say
    so alike (the param is in the key, as a param a target is rendered with)."""
    child = (
        'name: child\nparams: {m: "${run.date}"}\nsteps:\n'
        '  s: {run: st.e.echo, inputs: {v: 1}, result: {target: "{params.m:%Y-%m}/s.json"}}\n'
    )
    parent = (
        'name: parent\nparams: {when: "${run.date}"}\nsteps:\n'
        '  c: {pipeline: child.yaml, params: {m: "${params.when}"}}\n'
    )
    config = project(tmp_path, parent, child)
    changed = re.compile(r"param m changed \('\d{4}-\d\d-\d\dT[^']+' -> '\d{4}-\d\d-\d\dT[^']+'\)")
    run_id(pipeflow(tmp_path, "run", "child.yaml"))

    for config_name in ("parent.yaml", "child.yaml"):
        shown = pipeflow(tmp_path, "status", config_name)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert changed.search(shown.stdout), shown.stdout
    run_id(pipeflow(tmp_path, "run", config.name))
    assert len(list((tmp_path / "data" / "processed").rglob("s.json"))) == 1
    shown = pipeflow(tmp_path, "status", "child.yaml")
    assert changed.search(shown.stdout), shown.stdout
