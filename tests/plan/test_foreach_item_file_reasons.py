"""A `foreach` step whose items are stored but one, whose file changed, says which file: the
item's own reason, as a plain step says "input file data/b.txt changed". Before, it said only
"1 of 3 items have no stored result": the reason compared with the step's newest result,
another item's, and so left each item's own files out."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def each(item):
    return Path(__file__).with_name("data").joinpath(f"{item}.txt").read_text()


def named(path):
    return Path(path).read_text()
"""

YAML = """
name: items
params: {names: [a, b, c], paths: [data/a.txt, data/b.txt, data/c.txt]}
steps:
  read: {run: isteps.each, foreach: "${params.names}", reads: ["data/${item}.txt"]}
  given: {run: isteps.named, foreach: "${params.paths}", as: path}
"""

TOML = """
name = "items"
[params]
names = ["a", "b", "c"]
paths = ["data/a.txt", "data/b.txt", "data/c.txt"]
[steps.read]
run = "isteps.each"
foreach = "${params.names}"
reads = ["data/${item}.txt"]
[steps.given]
run = "isteps.named"
foreach = "${params.paths}"
as = "path"
"""


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_the_item_whose_file_changed_says_which(make_project: ProjectFactory, kind: str) -> None:
    config = make_project(YAML if kind == "yaml" else TOML, name=f"pipeline.{kind}", isteps=STEPS)
    data = config.parent / "data"
    data.mkdir()
    for name in "abc":
        (data / f"{name}.txt").write_text(name)
    assert pipeflow.load(config).run().ok
    (data / "b.txt").write_text("changed")  # an item in the middle: not the newest stored

    status = pipeflow_in(config.parent, "status", config.name)
    assert status.returncode == 0, status.stderr
    lines = {line.split()[0]: line for line in status.stdout.splitlines()}
    assert "1 of 3 items have no stored result (input file data/b.txt changed)" in lines["read"]
    assert "1 of 3 items have no stored result (input file data/b.txt changed)" in lines["given"]
    plan = {decision.step: decision for decision in pipeflow.load(config).plan()}
    assert plan["read"].reason.endswith("(input file data/b.txt changed)")


SECRET_YAML = """
name: secret_items
params: {names: [a, b]}
steps:
  read:
    run: isteps.each_with
    foreach: "${params.names}"
    reads: ["data/${item}.txt"]
    inputs: {token: "${env.ITEM_TOKEN}"}
"""

SECRET_STEPS = (
    STEPS
    + """

def each_with(item, token):
    return each(item)
"""
)


def test_an_items_own_reason_shows_no_value_from_the_environment(
    make_project: ProjectFactory,
) -> None:
    config = make_project(SECRET_YAML, isteps=SECRET_STEPS)
    data = config.parent / "data"
    data.mkdir()
    for name in "ab":
        (data / f"{name}.txt").write_text(name)
    assert (
        pipeflow_in(
            config.parent, "run", config.name, env={"ITEM_TOKEN": "first-s3cret"}
        ).returncode
        == 0
    )
    status = pipeflow_in(config.parent, "status", config.name, env={"ITEM_TOKEN": "second-s3cret"})
    assert status.returncode == 0, status.stderr
    assert (
        "input token changed (it takes ${env.ITEM_TOKEN}, whose value is not shown)"
        in status.stdout
    )
    assert "s3cret" not in status.stdout + status.stderr
