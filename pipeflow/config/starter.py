"""The files of the starter project `pipeflow init` writes, as text with a `__NAME__` slot.

The project validates, runs and passes its tests as written: three plain functions with a value
flowing from each to the next, params with defaults and a params file, and one result stored at
a readable target (`results/summary.json`).
"""

from __future__ import annotations

# The JSON Schema is written beside the config and referenced by a relative path, so editors
# resolve it offline and a clone of the project carries it (it is not under .pipeflow/, which
# is ignored by git).
SCHEMA_FILE = ".pipeflow-schema.json"

CONFIG_YAML = f"""\
# yaml-language-server: $schema=./{SCHEMA_FILE}
# The __NAME__ pipeline. Check it, run it, see what a re-run would do:
#   pipeflow validate pipeline.yaml
#   pipeflow run pipeline.yaml --param-file params/params.json
#   pipeflow status pipeline.yaml --param-file params/params.json
pipeflow: 1
name: __NAME__
description: A starter pipeline made by `pipeflow init`; replace its steps with yours.

params:                 # defaults; params/params.json and --param KEY=VALUE override them
  count: 5
  factor: 1.0

results:
  root: results         # where step results are stored (a folder or any fsspec URL)

steps:
  make_numbers:
    run: steps.pipeline.make_numbers
    inputs:
      count: ${{params.count}}
  scale:
    run: steps.pipeline.scale
    inputs:
      numbers: ${{steps.make_numbers}}
      factor: ${{params.factor}}
  summarize:
    run: steps.pipeline.summarize
    inputs:
      values: ${{steps.scale}}
    result:
      target: summary.json   # results/summary.json; the other steps are stored by cache key
"""

CONFIG_TOML = f"""\
#:schema ./{SCHEMA_FILE}
# The __NAME__ pipeline. Check it, run it, see what a re-run would do:
#   pipeflow validate pipeline.toml
#   pipeflow run pipeline.toml --param-file params/params.json
#   pipeflow status pipeline.toml --param-file params/params.json
pipeflow = 1
name = "__NAME__"
description = "A starter pipeline made by `pipeflow init`; replace its steps with yours."

[params]                # defaults; params/params.json and --param KEY=VALUE override them
count = 5
factor = 1.0

[results]
root = "results"        # where step results are stored (a folder or any fsspec URL)

[steps.make_numbers]
run = "steps.pipeline.make_numbers"
inputs = {{ count = "${{params.count}}" }}

[steps.scale]
run = "steps.pipeline.scale"
inputs = {{ numbers = "${{steps.make_numbers}}", factor = "${{params.factor}}" }}

[steps.summarize]
run = "steps.pipeline.summarize"
inputs = {{ values = "${{steps.scale}}" }}
result = {{ target = "summary.json" }}  # results/summary.json; the others are stored by key
"""

STEPS_INIT = '''\
"""The step functions of the __NAME__ pipeline."""
'''

STEPS_MODULE = '''\
"""The steps of the __NAME__ pipeline: plain functions that know nothing of pipeflow.

The config names each one under `steps:` and wires their inputs; tests/test_steps.py calls
them directly.
"""

from __future__ import annotations


def make_numbers(count: int) -> list[int]:
    """The numbers 1 to `count`."""
    return list(range(1, count + 1))


def scale(numbers: list[int], factor: float) -> list[float]:
    """Each number multiplied by `factor`."""
    return [number * factor for number in numbers]


def summarize(values: list[float]) -> dict[str, float]:
    """How many values there are, their total and their mean."""
    total = sum(values)
    mean = total / len(values) if values else 0.0
    print(f"{len(values)} values, total {total}, mean {mean}")
    return {"count": len(values), "total": total, "mean": mean}
'''

PARAMS_JSON = """\
{"count": 10, "factor": 2.0}
"""

TESTS = '''\
"""Tests of the steps: plain functions, so pytest calls them like any other code."""

from __future__ import annotations

from steps.pipeline import make_numbers, scale, summarize


def test_make_numbers_counts_from_one() -> None:
    assert make_numbers(3) == [1, 2, 3]


def test_scale_multiplies_each_number() -> None:
    assert scale([1, 2], 1.5) == [1.5, 3.0]


def test_summarize_counts_totals_and_averages() -> None:
    assert summarize([1.0, 3.0]) == {"count": 2, "total": 4.0, "mean": 2.0}
'''

# pytest reads its settings here from whichever folder it is started in: the project folder
# goes on sys.path, so the tests `import steps` without installing anything.
PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
"""

README = """\
# __NAME__

A pipeline of plain Python functions, run by pipeflow.

- `__CONFIG__`: the steps, their inputs, the params and where results go
- `steps/pipeline.py`: the step functions (they import nothing from pipeflow)
- `params/params.json`: params for a run, overriding the defaults in the config
- `tests/test_steps.py`: tests of the step functions (`pyproject.toml` sets up pytest)
- `.pipeflow-schema.json`: the config's JSON Schema, for completion and checks in your editor
  (refresh it after upgrading pipeflow: `pipeflow schema > .pipeflow-schema.json`)

```bash
pipeflow validate __CONFIG__                                # check everything, run nothing
pipeflow run __CONFIG__ --param-file params/params.json     # results/summary.json
pipeflow status __CONFIG__ --param-file params/params.json  # what a re-run would do, and why
python -m pytest                                            # test the steps
pipeflow init --step report --input summarize               # add a step
```

Results and the run history go under `results/` and `.pipeflow/` (both ignored by git).
"""

GITIGNORE = """\
# written by pipeflow runs: the run history, file hashes, and stored results
.pipeflow/
results/
__pycache__/
*.py[cod]
.pytest_cache/
"""
