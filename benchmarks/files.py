"""Files benchmark: restoring a written folder, and the no-op re-run of a file-exchanging chain.

What it measures
    1. Restore. A step `writes:` a folder of `--files` files (1,000 x 1 MiB = 1 GiB by
       default, random bytes) and is run once, so its blobs are in the local store. Then, for
       each repetition and interleaved: the folder is deleted and `pipeflow run CONFIG -q`
       restores it (wall time of the whole CLI process: start-up, validation, planning, the
       restore, history); the same after deleting `.pipeflow/file-hashes.json`, as on a
       machine that never read these blobs (each is then hashed while it is copied; otherwise
       a blob this machine found whole and unchanged since is copied without being read); the
       folder is deleted and `pipe.run()` restores it in a child process (the API figure, and
       the time spent in `restoring.restore`, the restore itself); and `cp -r` copies the same
       folder to a fresh place (the bare baseline). Ratios: pipeflow / `cp -r`, medians.
    2. No-op re-run. A chain of `--steps` steps (100 by default) where each step reads the file
       the previous one wrote (a path input) and `writes:` its own. After a first run and one
       re-run (warm file-hash cache), each repetition times `pipeflow run CONFIG -q` (the CLI
       process), the API (`pipeflow.load(config).run()` in a child process: the first round,
       which imports what it needs, and a second one: load, and run), and what a process
       costs before pipeflow does anything: `python -c pass` and
       `python -c "import pipeflow.cli.main"`. Every run must report every step cached.

    Bytecode is compiled first (this machine sets PYTHONDONTWRITEBYTECODE=1, which would make
    every child compile pipeflow from source), and each mode runs once untimed before the
    repetitions. Medians over `--repeat` runs, [min .. max].

How to run (from the repository root, with the venv that has pipeflow installed)
    python benchmarks/files.py                      # about 2-3 minutes on 2 CPUs
    python benchmarks/files.py --repeat 3 --files 100 --skip-chain --json files.json
    python benchmarks/files.py --keep /tmp/files-bench   # keep the projects (for hotspots.py)
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

from _common import Figures, fmt_figures, machine

import pipeflow

RESTORE_GOAL = 1.5  # pipeflow restore / cp -r
NOOP_GOAL = 0.3  # seconds, no-op re-run of the chain

STEPS = '''
"""Steps that exchange files."""

import os
import random


def make_folder(out: str, files: int, size: int) -> None:
    os.makedirs(out, exist_ok=True)
    generator = random.Random(0)
    for index in range(files):
        with open(os.path.join(out, f"part-{index:05d}.bin"), "wb") as handle:
            handle.write(generator.randbytes(size))


def first(out: str) -> None:
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as handle:
        handle.write("0\\n")


def following(src: str, out: str) -> None:
    with open(src) as handle:
        number = int(handle.read())
    with open(out, "w") as handle:
        handle.write(f"{number + 1}\\n")
'''

RESTORE_CONFIG = """
name: restore
results: {{root: store}}
steps:
  make:
    run: filesteps.make_folder
    inputs: {{out: data/big, files: {files}, size: {size}}}
    writes: [data/big/]
"""

# In a warm child: restore `rounds` times, each time after deleting the folder.
API_RESTORE = """
import json, os, shutil, sys, time
import pipeflow
import pipeflow.execute.task as task
config, rounds = sys.argv[1], int(sys.argv[2])
restore, restoring = task.restore, []


def timed(store, restoration):  # the restore itself, measured where it is spent
    begun = time.perf_counter()
    try:
        return restore(store, restoration)
    finally:
        restoring.append(time.perf_counter() - begun)


task.restore = timed
pipe = pipeflow.load(config)
figures = []
for _ in range(rounds):
    shutil.rmtree("data/big")
    started = time.perf_counter()
    run = pipe.run()
    elapsed = time.perf_counter() - started
    outcome = run.outcomes["make"]
    assert run.ok and outcome.state.value == "cached", outcome
    assert len(os.listdir("data/big")) > 0 and len(restoring) == 1, restoring
    figures.append({"run": elapsed, "step": restoring.pop()})
print(json.dumps(figures))
"""

API_NOOP = """
import json, sys, time
started = time.perf_counter()
import pipeflow
imported = time.perf_counter()
config, rounds = sys.argv[1], int(sys.argv[2])
figures = []
for _ in range(rounds):
    begun = time.perf_counter()
    pipe = pipeflow.load(config)
    loaded = time.perf_counter()
    run = pipe.run()
    done = time.perf_counter()
    states = {outcome.state.value for outcome in run.outcomes.values()}
    assert run.ok and states == {"cached"}, states
    figures.append({"load": loaded - begun, "run": done - loaded, "total": done - begun})
print(json.dumps({"import": imported - started, "rounds": figures}))
"""


def chain_config(steps: int) -> str:
    lines = [
        "name: chain",
        "results: {root: store}",
        "steps:",
        "  s0:",
        "    run: filesteps.first",
        "    inputs: {out: data/f0.txt}",
        "    writes: [data/f0.txt]",
    ]
    for index in range(1, steps):
        lines += [
            f"  s{index}:",
            "    run: filesteps.following",
            f"    inputs: {{src: data/f{index - 1}.txt, out: data/f{index}.txt}}",
            f"    writes: [data/f{index}.txt]",
        ]
    return "\n".join(lines) + "\n"


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return elapsed


def child(code: str, cwd: Path, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pipeflow_cli(config: Path) -> list[str]:
    return [sys.executable, "-m", "pipeflow", "run", str(config), "-q"]


def compile_bytecode(folder: Path) -> None:
    """Write .pyc files for pipeflow and the step module, whatever PYTHONDONTWRITEBYTECODE says."""
    package = Path(pipeflow.__file__).resolve().parent
    for path in (package, folder):
        compileall.compile_dir(str(path), quiet=1)


def restore_benchmark(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    (folder / "filesteps.py").write_text(textwrap.dedent(STEPS), encoding="utf-8")
    config = folder / "pipeline.yaml"
    config.write_text(RESTORE_CONFIG.format(files=options.files, size=options.size), "utf-8")
    compile_bytecode(folder)
    big = folder / "data" / "big"
    copy = folder / "copy"
    first = timed(pipeflow_cli(config), folder)  # writes the folder and stores its blobs
    total = options.files * options.size
    print(f"first run (write {total / 2**30:.2f} GiB in {options.files} files, store blobs):")
    print(f"  {first:.2f} s")

    def restore_cli() -> float:
        shutil.rmtree(big)
        return timed(pipeflow_cli(config), folder)

    def restore_unchecked() -> float:
        # As on a machine that never read these blobs: each is hashed while it is copied.
        shutil.rmtree(big)
        (folder / ".pipeflow" / "file-hashes.json").unlink(missing_ok=True)
        return timed(pipeflow_cli(config), folder)

    def copy_folder() -> float:
        shutil.rmtree(copy, ignore_errors=True)
        return timed(["cp", "-r", str(big), str(copy)], folder)

    restore_unchecked()  # warm-up; it also checks every blob once
    restore_cli()
    copy_folder()
    cli, unchecked, cp, api_run, api_step = [], [], [], [], []
    modes = ("cli", "unchecked", "api", "cp")
    for repetition in range(options.repeat):
        for mode in modes if repetition % 2 == 0 else tuple(reversed(modes)):
            if mode == "cli":
                cli.append(restore_cli())
            elif mode == "unchecked":
                unchecked.append(restore_unchecked())
                restore_cli()  # the blobs checked again, for the other modes
            elif mode == "cp":
                cp.append(copy_folder())
            else:
                figures = child(API_RESTORE, folder, str(config), "1")[0]
                api_run.append(figures["run"])
                api_step.append(figures["step"])
    shutil.rmtree(copy, ignore_errors=True)
    found = {
        "cp -r": Figures(cp),
        "pipeflow run (CLI process)": Figures(cli),
        "pipeflow run, blobs never read here": Figures(unchecked),
        "pipe.run() (API, warm process)": Figures(api_run),
        "the restore itself (blobs.restore)": Figures(api_step),
    }
    print(f"\nrestore of {options.files} files, {total / 2**30:.2f} GiB, {options.repeat} runs:")
    for label, figures in found.items():
        ratio = figures.median / found["cp -r"].median
        print(f"  {label:<38} {fmt_figures(figures):>30}  {ratio:.2f}x cp -r")
    ratio = found["pipeflow run (CLI process)"].median / found["cp -r"].median
    verdict = "met" if ratio <= RESTORE_GOAL else "NOT met"
    print(f"pipeflow run / cp -r: {ratio:.2f}x (goal <= {RESTORE_GOAL}x: {verdict})")
    return {label: figures.as_dict() for label, figures in found.items()}


def chain_benchmark(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    (folder / "filesteps.py").write_text(textwrap.dedent(STEPS), encoding="utf-8")
    config = folder / "pipeline.yaml"
    config.write_text(chain_config(options.steps), encoding="utf-8")
    compile_bytecode(folder)
    first = timed(pipeflow_cli(config), folder)
    print(f"\nfirst run of the {options.steps}-step file chain: {first:.2f} s")
    timed(pipeflow_cli(config), folder)  # warm-up: the file-hash cache, the history database
    child(API_NOOP, folder, str(config), "1")
    bare = [sys.executable, "-c", "pass"]
    cli_import = [sys.executable, "-c", "import pipeflow.cli.main"]
    samples: dict[str, list[float]] = {
        "python -c pass": [],
        "python -c 'import pipeflow.cli.main'": [],
        "pipeflow run (CLI process)": [],
        "API: import pipeflow": [],
        "API: first load + run in the process": [],
        "API: pipeflow.load(config)": [],
        "API: pipe.run()": [],
        "API: load + run": [],
    }
    for repetition in range(options.repeat):
        order = ("bare", "import", "cli", "api")
        for mode in order if repetition % 2 == 0 else tuple(reversed(order)):
            if mode == "bare":
                samples["python -c pass"].append(timed(bare, folder))
            elif mode == "import":
                samples["python -c 'import pipeflow.cli.main'"].append(timed(cli_import, folder))
            elif mode == "cli":
                samples["pipeflow run (CLI process)"].append(timed(pipeflow_cli(config), folder))
            else:
                # The second round of a warm process: imports and first-use costs paid.
                figures = child(API_NOOP, folder, str(config), "2")
                samples["API: import pipeflow"].append(figures["import"])
                first = figures["rounds"][0]["total"]
                samples["API: first load + run in the process"].append(first)
                last = figures["rounds"][-1]
                samples["API: pipeflow.load(config)"].append(last["load"])
                samples["API: pipe.run()"].append(last["run"])
                samples["API: load + run"].append(last["total"])
    print(f"no-op re-run of the {options.steps}-step file chain, {options.repeat} runs:")
    for label, values in samples.items():
        print(f"  {label:<40} {fmt_figures(Figures(values)):>30}")
    cli = statistics.median(samples["pipeflow run (CLI process)"])
    api = statistics.median(samples["API: load + run"])
    for label, value in (("pipeflow run (CLI process)", cli), ("API load + run", api)):
        verdict = "met" if value <= NOOP_GOAL else "NOT met"
        print(f"{label}: {value:.3f} s (goal <= {NOOP_GOAL} s: {verdict})")
    return {label: Figures(values).as_dict() for label, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=1024 * 1024, help="bytes per file")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--skip-restore", action="store_true")
    parser.add_argument("--skip-chain", action="store_true")
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    parser.add_argument("--json", type=Path, help="save the figures to this file")
    options = parser.parse_args()
    print(machine())
    results: dict[str, Any] = {"options": {k: str(v) for k, v in vars(options).items()}}
    with tempfile.TemporaryDirectory(prefix="pipeflow-files-") as temporary:
        root = options.keep or Path(temporary)
        if not options.skip_restore:
            folder = root / "restore"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            results["restore"] = restore_benchmark(folder, options)
            if options.keep is None:
                shutil.rmtree(folder)
        if not options.skip_chain:
            folder = root / "chain"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            results["chain"] = chain_benchmark(folder, options)
    if options.json:
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
