"""`Pipeline.gc` where results are shared or come in parts (SPEC section 12, caching.md's gc
section): a sub-pipeline's steps store under the child's pipeline and step names whether the
child runs alone or inlined in one or more parents, so gc of one of those configs must leave
the others' results alone; and a `foreach` step's latest result is every item of the list
its upstream's latest result holds, not only the items the last run computed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from tests.conftest import ProjectFactory
from tests.servers import ObjectStore

STEPS = """
def make(n):
    return list(range(n))


def square(x):
    return x * x


def parts(n):
    return {"values": list(range(n)), "n": n}
"""

CHILD = """
name: child
params: {k: 3}
results: {root: ROOT, storage_options: OPTIONS}
steps:
  cmake: {run: gcshared.make, inputs: {n: "${params.k}"}}
outputs: {v: "${steps.cmake}"}
"""

# Two instances of the child in one parent, with their own params.
PARENT = """
name: parent
params: {n: 5, m: 6}
results: {root: ROOT, storage_options: OPTIONS}
steps:
  sub: {pipeline: child.yaml, params: {k: "${params.n}"}}
  two: {pipeline: child.yaml, params: {k: "${params.m}"}}
"""

OTHER = """
name: other
params: {n: 7}
results: {root: ROOT, storage_options: OPTIONS}
steps:
  sub: {pipeline: child.yaml, params: {k: "${params.n}"}}
"""

FAN = """
name: fe
params: {n: 3}
results: {root: ROOT, storage_options: OPTIONS}
steps:
  make: {run: gcshared.make, inputs: {n: "${params.n}"}}
  each: {run: gcshared.square, foreach: "${steps.make}", as: x}
"""

FAN_CHILD = FAN.replace("name: fe\n", "name: fanchild\n")

FAN_PARENT = """
name: fanparent
params: {p: 3, q: 6}
results: {root: ROOT, storage_options: OPTIONS}
steps:
  one: {pipeline: fanchild.yaml, params: {n: "${params.p}"}}
  two: {pipeline: fanchild.yaml, params: {n: "${params.q}"}}
"""


def _store(request: pytest.FixtureRequest, root: str, tmp_path: Path) -> tuple[str, str]:
    """(results root, storage options) for a local folder, memory:// or moto's S3."""
    if root == "s3":
        server: ObjectStore = request.getfixturevalue("s3_server")
        return server.unique_url("gcshared"), json.dumps(dict(server.storage_options))
    if root == "memory":
        return f"memory://gcshared-{tmp_path.name}", "{}"
    return "out", "{}"


def _write(make_project: ProjectFactory, text: str, name: str, where: tuple[str, str]) -> Path:
    root, options = where
    config = text.replace("ROOT", json.dumps(root)).replace("OPTIONS", options)
    return make_project(config, name=name, gcshared=STEPS)


def actions(config: Path, **params: object) -> dict[str, Action]:
    return {d.step: d.action for d in pipeflow.load(config, params=params).status()}


def cached(config: Path, **params: object) -> bool:
    return all(action is Action.CACHED for action in actions(config, **params).values())


@pytest.mark.parametrize("collected", ["child.yaml", "parent.yaml", "other.yaml"])
@pytest.mark.parametrize("root", ["out", "s3"])
def test_gc_of_one_config_keeps_the_current_results_of_every_config_sharing_a_sub_pipeline(
    make_project: ProjectFactory,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    collected: str,
    root: str,
) -> None:
    """child.yaml alone (k=3), parent.yaml (instances k=5 and k=6) and other.yaml (k=7) all
    store `cmake` under `child/cmake`. Before, gc of any of them judged the others' results
    against its own keys and deleted them: the others ran `cmake` again."""
    where = _store(request, root, tmp_path)
    configs = {
        "child.yaml": _write(make_project, CHILD, "child.yaml", where),
        "parent.yaml": _write(make_project, PARENT, "parent.yaml", where),
        "other.yaml": _write(make_project, OTHER, "other.yaml", where),
    }
    for config in configs.values():
        assert pipeflow.load(config).run().ok
    # The child's newest result is not its current one: only its being the child's keeps it.
    assert pipeflow.load(configs["child.yaml"], params={"k": 4}).run().ok
    assert all(cached(config) for config in configs.values())

    report = pipeflow.load(configs[collected]).gc(keep_last=0, grace=0)

    assert report.removals == (), report.removals  # each is current, or its config's latest
    # The results of `cmake` stored by the others' runs: k=3 and k=4 by child.yaml, k=5 and
    # k=6 by parent.yaml, k=7 by other.yaml.
    others = {"child.yaml": 3, "parent.yaml": 3, "other.yaml": 4}[collected]
    assert report.kept["stored by other configs"] == others, report.kept
    for name, config in configs.items():
        assert cached(config), (name, actions(config))


@pytest.mark.parametrize("root", ["out", "s3"])
def test_gc_of_a_config_still_deletes_its_own_old_results_of_a_shared_sub_pipeline(
    make_project: ProjectFactory, tmp_path: Path, request: pytest.FixtureRequest, root: str
) -> None:
    """gc leaves the parent's results alone but still judges the child's own: its old param
    sets go, its current one and the parent's stay (and the other way round)."""
    where = _store(request, root, tmp_path)
    child = _write(make_project, CHILD, "child.yaml", where)
    parent = _write(make_project, PARENT, "parent.yaml", where)
    for k in (1, 2, 3):
        assert pipeflow.load(child, params={"k": k}).run().ok
    for n in (8, 5):
        assert pipeflow.load(parent, params={"n": n}).run().ok

    assert pipeflow.load(child).gc(keep_last=0, grace=0).removals
    assert cached(child)
    assert cached(parent)
    assert cached(parent, n=8)  # the parent's older param set is the parent's to judge
    assert actions(child, k=1)["cmake"] is Action.RUN  # the child's own old one went
    assert actions(child, k=2)["cmake"] is Action.RUN

    assert pipeflow.load(parent).gc(keep_last=0, grace=0).removals
    assert cached(parent)
    assert actions(parent, n=8)["sub/cmake"] is Action.RUN
    assert cached(child)


@pytest.mark.parametrize("root", ["out", "memory"])
def test_gc_keeps_the_latest_result_of_each_instance_of_a_sub_pipeline(
    make_project: ProjectFactory, tmp_path: Path, request: pytest.FixtureRequest, root: str
) -> None:
    """`sub` and `two` both store `cmake` under `child/cmake`. The run with n=8 stored only
    `sub/cmake` (`two/cmake`, m=6, was cached): the newest result under the shared name is
    `sub`'s, but `two`'s latest is its m=6 result, and it stays too."""
    where = _store(request, root, tmp_path)
    _write(make_project, CHILD, "child.yaml", where)
    parent = _write(make_project, PARENT, "parent.yaml", where)
    for n in (5, 8):
        assert pipeflow.load(parent, params={"n": n}).run().ok

    pipeflow.load(parent, params={"n": 9, "m": 10}).gc(keep_last=0, grace=0)

    assert cached(parent, n=8), actions(parent, n=8)  # each instance's latest
    assert actions(parent, n=5)["sub/cmake"] is Action.RUN


@pytest.mark.parametrize("spelling", ["whole value", "part"])
@pytest.mark.parametrize("root", ["out", "memory", "s3"])
def test_gc_keeps_every_item_of_a_foreach_steps_latest_result(
    make_project: ProjectFactory,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    root: str,
    spelling: str,
) -> None:
    """Runs with n=3, 4, 5, then 6 (which computes item 5 alone: items 0..4 are cached),
    then the config's n=3. `make`'s latest result is n=6's list: every item of it stays,
    not only item 5 (the one its run computed), nor only the items of n=3. The same for a
    `foreach` over a part of a step's value."""
    text = FAN
    if spelling == "part":
        text = text.replace("gcshared.make,", "gcshared.parts,").replace(
            '"${steps.make}"', '"${steps.make.values}"'
        )
    config = _write(make_project, text, "pipeline.yaml", _store(request, root, tmp_path))
    for n in (3, 4, 5, 6, 3):
        assert pipeflow.load(config, params={"n": n}).run().ok

    pipeflow.load(config).gc(keep_last=0, grace=0)

    assert cached(config)
    assert cached(config, n=6), actions(config, n=6)
    assert actions(config, n=5)["make"] is Action.RUN  # not the latest: it went


@pytest.mark.parametrize("root", ["out", "memory"])
def test_gc_keeps_every_item_of_each_instances_latest_foreach_result(
    make_project: ProjectFactory, tmp_path: Path, request: pytest.FixtureRequest, root: str
) -> None:
    """`one/each` and `two/each` store under `fanchild/each`. The run with p=4 stored only
    `one/make` (q=6 was cached): the newest list under the shared name is `one`'s (0..3),
    but `two`'s latest list is 0..5, and its items 4 and 5 stay too."""
    where = _store(request, root, tmp_path)
    _write(make_project, FAN_CHILD, "fanchild.yaml", where)
    parent = _write(make_project, FAN_PARENT, "parent.yaml", where)
    for p in (3, 4):
        assert pipeflow.load(parent, params={"p": p}).run().ok

    # Both lists of n=3 are stored: the items of each are known, 0..2 are current.
    pipeflow.load(parent, params={"p": 3, "q": 3}).gc(keep_last=0, grace=0)

    assert cached(parent, p=4), actions(parent, p=4)
