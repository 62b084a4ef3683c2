"""Data benchmark: a 1,000,000 x 10 float DataFrame through 3 parquet-persisted steps.

What it measures
    The same three functions (`make`: 1,000,000 x 10 random floats; `scale`: x 2; `centre`:
    minus the column means) run four ways, each run in a fresh child process:

    - `pandas`: a bare script that calls them in turn, passing the frame in memory, and
      writes each result with `frame.to_parquet(...)`: the same work as pipeflow's run;
    - `pandas+read`: as `pandas`, but each step reads the previous result back with
      `pd.read_parquet` (the "bare" script of `cache.py`'s data figure);
    - `pipeflow`: `pipeflow.load(config).run(force=[ALL])` through the API, sequential
      executor, each result persisted as parquet under the results root (manifest, checksum
      and history included), with value isolation on (each step gets a copy of its input);
    - `pipeflow-shared`: the same run with value isolation switched off inside the child
      (the function that copies inputs replaced by one that does not), to show its cost.

    The modes are interleaved (one of each per repetition), so that all see the same load.
    For each: wall time of the whole child process (interpreter start, imports, the work),
    the time of the work alone (from just before `import pandas` to the end), and the peak
    resident memory (`ru_maxrss` of the child). Medians over `--repeat` runs, [min .. max].

    Then the cost of isolation itself, in one process: `isolated_inputs` on the 1,000,000 x 10
    DataFrame (a Copy-on-Write shallow copy), on a 1,000,000 x 10 numpy array (a copy), and on
    a dict of ten 100,000-item lists.

    Bytecode is compiled first (`compileall` of pipeflow and the generated step module; this
    machine sets PYTHONDONTWRITEBYTECODE=1, which would make every child compile pipeflow from
    source), and each mode runs once untimed before the repetitions.

How to run (from the repository root, with the venv that has pipeflow installed)
    python benchmarks/data.py                  # about 2 minutes on 2 CPUs
    python benchmarks/data.py --repeat 3 --rows 200000 --json data.json
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine
from cache import DATA_STEPS

import pipeflow

MODES = ("pandas", "pandas+read", "pipeflow", "pipeflow-shared")
# Issue 13: pipeflow / bare pandas <= 1.0x in wall time, <= 0.95x in peak RSS (same run).
GOALS = {"wall": 1.0, "work": 1.0, "cpu": 1.0, "peak_mb": 0.95}

STEPS = DATA_STEPS  # the three steps of `cache.py`

CONFIG = """
name: data
results: {{root: out}}
executor: {{type: sequential}}
steps:
  make:
    run: datasteps.make
    inputs: {{rows: {rows}, columns: 10}}
  scale: {{run: datasteps.scale, inputs: {{frame: "${{steps.make}}"}}}}
  centre: {{run: datasteps.centre, inputs: {{frame: "${{steps.scale}}"}}}}
"""

CHILD = """
import json, resource, sys, time
started = time.perf_counter()
mode, folder, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, folder)
import pandas as pd
import datasteps
bare = f"{folder}/bare"
isolating = []
if mode == "pandas":
    frame = datasteps.make(rows, 10)
    frame.to_parquet(f"{bare}/make.parquet")
    frame = datasteps.scale(frame)
    frame.to_parquet(f"{bare}/scale.parquet")
    frame = datasteps.centre(frame)
    frame.to_parquet(f"{bare}/centre.parquet")
elif mode == "pandas+read":
    datasteps.make(rows, 10).to_parquet(f"{bare}/make.parquet")
    datasteps.scale(pd.read_parquet(f"{bare}/make.parquet")).to_parquet(f"{bare}/scale.parquet")
    datasteps.centre(pd.read_parquet(f"{bare}/scale.parquet")).to_parquet(f"{bare}/centre.parquet")
else:
    import pipeflow
    import pipeflow.execute.task as task
    from pipeflow.api import ALL
    if mode == "pipeflow-shared":
        task.isolated_inputs = dict  # no copies: inputs shared as they are
    else:
        isolate = task.isolated_inputs

        def timed(inputs):  # the time spent copying inputs, measured where it is spent
            begun = time.perf_counter()
            try:
                return isolate(inputs)
            finally:
                isolating.append(time.perf_counter() - begun)

        task.isolated_inputs = timed
    run = pipeflow.load(f"{folder}/pipeline.yaml").run(force=[ALL])
    assert run.ok, run.outcomes
elapsed = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "work": elapsed,
    "cpu": usage.ru_utime + usage.ru_stime,
    "peak_mb": usage.ru_maxrss / 1024,
    "isolating": sum(isolating),
}))
"""

ISOLATION = """
import json, statistics, sys, time
import numpy as np
import pandas as pd
from pipeflow.execute.isolation import isolated_inputs

rows = int(sys.argv[1])
floats = np.random.default_rng(0).random((rows, 10))
size = rows // 10
values = {
    "DataFrame, %d x 10 floats" % rows: pd.DataFrame(floats.copy()),
    "ndarray, %d x 10 floats" % rows: floats,
    "dict of 10 lists of %d ints" % size: {str(i): list(range(size)) for i in range(10)},
}
figures = {}
for name, value in values.items():
    samples = []
    for _ in range(15):
        started = time.perf_counter()
        copied = isolated_inputs({"value": value})
        samples.append(time.perf_counter() - started)
        del copied
    figures[name] = samples
print(json.dumps(figures))
"""


def figures(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f} [{min(samples):.2f} .. {max(samples):.2f}]"


def run_child(mode: str, folder: Path, rows: int) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(folder), str(rows)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    measured["wall"] = wall
    return measured


def compile_bytecode(folder: Path) -> None:
    """Write .pyc files for pipeflow and the step module, whatever PYTHONDONTWRITEBYTECODE says."""
    package = Path(pipeflow.__file__).resolve().parent
    for path in (package, folder):
        compileall.compile_dir(str(path), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, help="save the figures to this file")
    options = parser.parse_args()
    print(machine())
    results: dict[str, Any] = {"rows": options.rows, "repeat": options.repeat}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "datasteps.py").write_text(textwrap.dedent(STEPS), encoding="utf-8")
        (folder / "pipeline.yaml").write_text(CONFIG.format(rows=options.rows), encoding="utf-8")
        (folder / "bare").mkdir()
        compile_bytecode(folder)
        for mode in MODES:  # warm-up: file caches, bytecode, the history database
            run_child(mode, folder, options.rows)
        samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
        for repetition in range(options.repeat):
            order = MODES if repetition % 2 == 0 else tuple(reversed(MODES))
            for mode in order:
                samples[mode].append(run_child(mode, folder, options.rows))
        done = subprocess.run(
            [sys.executable, "-c", ISOLATION, str(options.rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        isolation: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
        shutil.rmtree(folder / "out", ignore_errors=True)
    print(f"\n{options.rows:,} x 10 floats, 3 parquet-persisted steps, {options.repeat} runs")
    print(f"{'mode':<16} {'process wall s':>22} {'work s':>22} {'CPU s':>22} {'peak RSS MB':>24}")
    for mode in MODES:
        runs = samples[mode]
        print(
            f"{mode:<16} {figures([r['wall'] for r in runs]):>22} "
            f"{figures([r['work'] for r in runs]):>22} "
            f"{figures([r['cpu'] for r in runs]):>22} "
            f"{figures([r['peak_mb'] for r in runs]):>24}"
        )
    results["runs"] = samples
    median = {
        mode: {key: statistics.median(r[key] for r in samples[mode]) for key in samples[mode][0]}
        for mode in MODES
    }
    print()
    for bare in ("pandas", "pandas+read"):
        labels = (
            ("wall", "process wall time"),
            ("work", "work"),
            ("cpu", "CPU time"),
            ("peak_mb", "peak RSS"),
        )
        for key, label in labels:
            ratio = median["pipeflow"][key] / median[bare][key]
            goal = GOALS[key]
            verdict = "met" if ratio <= goal else "NOT met"
            print(f"pipeflow / {bare:<12} {label:<18} {ratio:.2f}x (goal <= {goal}x: {verdict})")
    shared = median["pipeflow-shared"]
    print(
        f"isolation on / off (pipeflow / pipeflow-shared): wall "
        f"{median['pipeflow']['wall'] / shared['wall']:.3f}x, CPU "
        f"{median['pipeflow']['cpu'] / shared['cpu']:.3f}x, peak RSS "
        f"{median['pipeflow']['peak_mb'] / shared['peak_mb']:.3f}x"
    )
    spent = [r["isolating"] * 1000 for r in samples["pipeflow"]]
    print(
        f"time in isolated_inputs() in a pipeflow run: median {statistics.median(spent):.3f}"
        f" ms [{min(spent):.3f} .. {max(spent):.3f}] for 3 steps"
    )
    print("\nisolated_inputs(), 15 calls each, median [min .. max]:")
    for name, values in isolation.items():
        ms = [v * 1000 for v in values]
        print(f"  {name}: {statistics.median(ms):.3f} ms [{min(ms):.3f} .. {max(ms):.3f}]")
    results["medians"] = median
    results["isolation"] = isolation
    if options.json:
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
