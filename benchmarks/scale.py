"""Scale: validating and planning a very large config, and a `foreach` of very many items.

What it measures (issue 13's scale goals), each in a fresh child process, median of
`--repeat` runs with [min .. max], wall time and the child's peak RSS (`ru_maxrss`):

1. `pipeflow validate` and `pipeflow run --dry-run` (validate + plan) of a chain of N steps
   (default 10,000 and 100,000; the chain is the worst shape for reference checks and
   planning). Goal at 100,000 steps: validate + plan <= 8 s and <= 1 GiB peak. Timed as a user
   re-runs an unchanged config (the reading of its text and the model built from it kept,
   `config/readings.py`, `config/builds.py`), and right after an edit of the config (a comment
   appended before each run: read as YAML and built again).
   The 8 s is judged as written, and at this machine's speed (`_common.Yardstick`: the CPU
   time of `import yaml, fsspec` here against the 0.10 s of the machine the goal was set on).
2. `pipeflow.load(config).run()` of one `foreach` step over K small items (ints) on the
   `threads` executor, results not stored (default K = 100,000 and 1,000,000). Goal: peak RSS
   at 1,000,000 items <= 2x the peak at 100,000 (memory grows with the items' own size only).
   Its baseline, measured in the same run: `bare`, a script that imports pipeflow and holds
   the same input list and the same list of results (`[2 * x for x in items]`), nothing else:
   the memory of the items themselves. pipeflow's own share is its peak minus the bare one's.

CPU time (user + system) of each child is printed too: on a shared machine it is steadier
than wall time.

How to run (the venv that has pipeflow installed):

    python benchmarks/scale.py                     # everything (half an hour on 2 CPUs)
    python benchmarks/scale.py --steps 10000 --items 100000 --repeat 1

Only the standard library and pipeflow (as a subprocess) are used.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, fmt_figures, machine, write_project, yardstick

GIB = 1024**3

FOREACH = """\
name: many_items
results: {{persist: false}}
executor: {{type: threads, workers: 2}}
steps:
  numbers: {{run: items_steps.numbers, inputs: {{count: {count}}}}}
  each: {{run: items_steps.double, foreach: "${{steps.numbers}}", as: x}}
"""

ITEM_STEPS = """\
def numbers(count: int) -> list:
    return list(range(count))


def double(x: int) -> int:
    return 2 * x
"""

BARE_FOREACH = """\
import sys
import pipeflow.execute.engine

items = list(range(int(sys.argv[1])))
values = [2 * x for x in items]
"""

RUN_FOREACH = """\
import sys
import pipeflow

run = pipeflow.load(sys.argv[1]).run(history=False)
assert run.ok, run.outcomes
"""


def measure(command: list[str], cwd: Path) -> tuple[float, int, float]:
    """(wall seconds, peak RSS bytes, CPU seconds) of one child process; raises when it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read() if child.stderr else ""
    if child.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` exited with {child.returncode}:\n{error}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss * 1024, cpu  # kilobytes on Linux


def repeated(
    command: list[str], cwd: Path, repeat: int, before: Callable[[], None] | None = None
) -> tuple[Figures, Figures, Figures]:
    walls, peaks, cpus = [], [], []
    for _ in range(repeat):
        if before is not None:
            before()
        wall, peak, cpu = measure(command, cwd)
        walls.append(wall)
        peaks.append(float(peak))
        cpus.append(cpu)
    return Figures(walls), Figures(peaks), Figures(cpus)


def mib(figures: Figures) -> str:
    return (
        f"{figures.median / 2**20:.0f} MiB [{figures.min / 2**20:.0f} .. {figures.max / 2**20:.0f}]"
    )


def editor(config: Path) -> Callable[[], None]:
    """Gives the config a new text each call (a comment at its end): it is read as YAML again."""
    edits = itertools.count()

    def edit() -> None:
        with config.open("a", encoding="utf-8") as file:
            file.write(f"# edit {next(edits)}\n")

    return edit


def plan_figures(sizes: list[int], repeat: int, work: Path) -> None:
    pipeflow = str(Path(sys.executable).with_name("pipeflow"))
    machine_speed = yardstick()
    for size in sizes:
        config = write_project(work / f"chain-{size}", "chain", size)
        # The first validation notes that the step module imports cleanly, and remembers what
        # the config's text reads as and builds into (`.pipeflow/readings/`): not timed.
        measure([pipeflow, "validate", str(config)], config.parent)
        dry_run = [pipeflow, "run", "--dry-run", str(config)]
        for label, command, before in (
            ("validate", [pipeflow, "validate", str(config)], None),
            ("validate + plan (run --dry-run)", dry_run, None),
            ("  the same, config just edited", dry_run, editor(config)),
        ):
            wall, peak, cpu = repeated(command, config.parent, repeat, before)
            verdict = ""
            if size == 100_000 and command is dry_run:
                memory = "met" if peak.max <= GIB else "NOT met"
                time = machine_speed.verdict(wall.median, 8.0)
                verdict = f"  goal <= 1 GiB: {memory}; <= 8 s: {time}"
            print(
                f"{size:>9,} steps  {label:<32} {fmt_figures(wall)}  cpu {fmt_figures(cpu)}"
                f"  peak {mib(peak)}{verdict}"
            )


def foreach_figures(counts: list[int], repeat: int, work: Path) -> None:
    folder = work / "items"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "items_steps.py").write_text(ITEM_STEPS, encoding="utf-8")
    (folder / "run_items.py").write_text(RUN_FOREACH, encoding="utf-8")
    (folder / "bare_items.py").write_text(BARE_FOREACH, encoding="utf-8")
    peaks: dict[int, Figures] = {}
    bare: dict[int, Figures] = {}
    for count in counts:
        config = folder / f"items-{count}.yaml"
        config.write_text(FOREACH.format(count=count), encoding="utf-8")
        command = [sys.executable, str(folder / "run_items.py"), str(config)]
        baseline = [sys.executable, str(folder / "bare_items.py"), str(count)]
        walls, cpus, own, alone = [], [], [], []
        for _ in range(repeat):  # interleaved: pipeflow, then the bare script
            wall, peak, cpu = measure(command, folder)
            _, bare_peak, _ = measure(baseline, folder)
            walls.append(wall)
            cpus.append(cpu)
            own.append(float(peak))
            alone.append(float(bare_peak))
        peaks[count], bare[count] = Figures(own), Figures(alone)
        extra = Figures([p - b for p, b in zip(own, alone, strict=True)])
        print(
            f"{count:>9,} items  {'foreach on threads':<32} {fmt_figures(Figures(walls))}"
            f"  cpu {fmt_figures(Figures(cpus))}  peak {mib(peaks[count])}"
            f"  (bare {mib(bare[count])}; pipeflow's own {mib(extra)})"
        )
    if 100_000 in peaks and 1_000_000 in peaks:
        ratio = peaks[1_000_000].median / peaks[100_000].median
        verdict = "met" if ratio <= 2 else "NOT met"
        print(f"peak RSS 1,000,000 items / 100,000 items: {ratio:.2f}x (goal <= 2x: {verdict})")
        floor = bare[1_000_000].median / bare[100_000].median
        print(f"the same ratio for the bare script (the items themselves): {floor:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--items", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            str(Path(__file__).resolve().parents[1] / "pipeflow"),
        ],
        check=True,
    )
    print(machine())
    with tempfile.TemporaryDirectory(prefix="pipeflow-scale-") as folder:
        work = Path(folder)
        plan_figures(arguments.steps, arguments.repeat, work)
        foreach_figures(arguments.items, arguments.repeat, work)


if __name__ == "__main__":
    main()
