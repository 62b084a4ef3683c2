"""A param a result's `target` is rendered with (`models/v{params.version:02d}.{ext}`) is a
param the step consumes: another value is another result, at its own place.

Before, a step whose code did not take the param stayed cached when it changed: the new
place was never written (`result --param version=4` named the old file) and `--frozen`
passed.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action, StepState

STEPS = """
def train():
    return {"majority": "setosa"}


def shout(name):
    return name.upper()
"""

CONFIGS = {
    "a plain step": """
        name: targets
        params: {version: 3, model: {depth: 2}}
        results: {root: out}
        steps:
          train:
            run: tsteps.train
            result: {target: "models/{pipeline}-v{params.version:02d}-d{params.model.depth}.{ext}"}
        """,
    "a foreach step": """
        name: targets
        params: {version: 3, model: {depth: 2}}
        results: {root: out}
        steps:
          train:
            run: tsteps.shout
            foreach: [ann, bob]
            as: name
            result: {target: "models/{item}-v{params.version}-d{params.model.depth}.{ext}"}
        """,
}

FILES = {
    "a plain step": {
        (3, 2): ["models/targets-v03-d2.json"],
        (4, 2): ["models/targets-v04-d2.json"],
        (4, 5): ["models/targets-v04-d5.json"],
    },
    "a foreach step": {
        (3, 2): ["models/ann-v3-d2.json", "models/bob-v3-d2.json"],
        (4, 2): ["models/ann-v4-d2.json", "models/bob-v4-d2.json"],
        (4, 5): ["models/ann-v4-d5.json", "models/bob-v4-d5.json"],
    },
}


@pytest.mark.parametrize("shape", CONFIGS)
def test_a_param_of_the_target_makes_another_result_at_its_own_place(
    tmp_path: Path, shape: str
) -> None:
    (tmp_path / "tsteps.py").write_text(STEPS)
    config = tmp_path / "pipeline.yaml"
    config.write_text(textwrap.dedent(CONFIGS[shape]))
    out = tmp_path / "out"

    def run(version: int, depth: int) -> pipeflow.Run:
        params = {"version": version, "model": {"depth": depth}}
        return pipeflow.load(config, params=params).run(history=False)

    assert run(3, 2).ok
    for version, depth in ((4, 2), (4, 5)):
        params = {"version": version, "model": {"depth": depth}}
        decisions = {d.step: d for d in pipeflow.load(config, params=params).status()}
        assert decisions["train"].action is Action.RUN, decisions
        changed = "version" if depth == 2 else "model.depth"
        assert f"param {changed} changed (" in decisions["train"].reason, decisions
        assert "target.params" not in decisions["train"].reason, decisions
        assert run(version, depth).state("train") is StepState.DONE
        for file in FILES[shape][version, depth]:
            assert (out / file).is_file(), sorted(p.name for p in out.rglob("*.json"))
        if shape == "a plain step":
            result = pipeflow.load(config, params=params).result("train")
            assert result.locations["value"].endswith(FILES[shape][version, depth][0])
    # Every place keeps its result; going back to one takes it from the cache.
    for files in FILES[shape].values():
        assert all((out / file).is_file() for file in files)
    assert run(3, 2).state("train") is StepState.CACHED
