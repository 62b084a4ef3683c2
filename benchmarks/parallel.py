"""Parallel executors: per-step overhead of each, waiting steps on threads, CPU work on processes.

What it measures
    (a) Per-step overhead of each executor (sequential, threads, processes, dask) on a fan-out
        of N trivial steps (`--size`, default 1000; `--dask-size` for dask, default the same):
        one step `src` and N-1 steps that each take its value, `results: {persist: false}`.
        Timed: `pipe.run(executor=E)` on a loaded pipeline, which includes starting and closing
        the pool (a local Dask cluster for dask). Shown as run / N, and as "marginal": the
        time of a 1-step run subtracted, divided by N - 1 (the cost of one more step).
    (b) 8 steps that each sleep 0.5 s, on `threads` with 8 workers: wall time of the run.
    (c) 2 CPU-bound steps of about 1 s each (a pure-Python loop, calibrated first), on
        `processes` with 2 workers and on `sequential`: the speed-up is sequential / processes.

    Nothing is persisted and no history is written; the projects live in a temporary folder
    that is deleted afterwards. Each figure is the median of `--repeat` runs, [min .. max].

How to run (from the repository root, with the venv that has pipeflow installed)
    python benchmarks/parallel.py                      # about 2 minutes on 2 CPUs
    python benchmarks/parallel.py --size 200 --repeat 3 --executors threads,processes
    python benchmarks/parallel.py --dask-size 200 --json parallel.json

Needs `distributed` for the dask figures (skipped with a note when it is missing).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, fmt, fmt_figures, machine, time_call, write_project

import pipeflow
from pipeflow.model.run import StepState

EXECUTORS = ["sequential", "threads", "processes", "dask"]

WORK_MODULE = '''\
"""Sleeping and CPU-bound steps for pipeflow's parallel benchmark."""

import time


def nap(seconds):
    time.sleep(seconds)
    return seconds


def burn(loops):
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total
'''


def burn(loops: int) -> int:  # the same loop as WORK_MODULE's, to calibrate in this process
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


def calibrate(seconds: float) -> int:
    """Loops of `burn` that take about `seconds` here."""
    loops = 200_000
    while True:
        elapsed, _ = time_call(partial(burn, loops))
        if elapsed > 0.2:
            return int(loops * seconds / elapsed)
        loops *= 2


def write_work_project(folder: Path, name: str, run: str, inputs: list[Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench_work.py").write_text(WORK_MODULE, encoding="utf-8")
    lines = [f"name: {name}", "results: {persist: false}", "steps:"]
    for index, value in enumerate(inputs):
        lines.append(f"  w{index}: {{run: bench_work.{run}, inputs: {{{_arg(run)}: {value}}}}}")
    config = folder / "pipeline.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _arg(run: str) -> str:
    return "seconds" if run == "nap" else "loops"


def time_runs(config: Path, repeat: int, **options: Any) -> Figures:
    """Wall time of `pipe.run(**options)`, `repeat` times, on a freshly loaded pipeline each."""
    samples = []
    for _ in range(repeat):
        pipe = pipeflow.load(config)
        gc.collect()
        seconds, run = time_call(partial(pipe.run, history=False, **options))
        if not run.ok or any(o.state is not StepState.DONE for o in run.outcomes.values()):
            raise SystemExit(f"benchmark run of {config.parent.name} failed: {run.outcomes}")
        samples.append(seconds)
        del pipe, run
    return Figures(samples)


def bench_overhead(
    root: Path, executor: str, size: int, repeat: int, workers: int | None
) -> dict[str, Any]:
    big = write_project(root / f"fanout_{size}", "fanout", size)
    one = write_project(root / "fanout_1", "fanout", 1)
    time_runs(one, 1, executor=executor, workers=workers)  # warm-up: imports, OS file cache
    whole = time_runs(big, repeat, executor=executor, workers=workers)
    single = time_runs(one, repeat, executor=executor, workers=workers)
    marginal = Figures([(s - single.median) / (size - 1) for s in whole.samples])
    return {"size": size, "run": whole, "one_step": single, "marginal": marginal}


FOREACH_MODULE = '''\
"""A list and a trivial step per item, for pipeflow's foreach memory benchmark."""


def items(count):
    return list(range(count))


def square(item):
    return item * item
'''


class PeakRss:
    """The highest RSS of this process, sampled every 10 ms until `stop()` (needs psutil)."""

    def __init__(self) -> None:
        import threading

        import psutil

        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


def bench_foreach_memory(root: Path, sizes: list[int], workers: int | None) -> dict[str, Any]:
    """Client RSS during a `foreach` of N trivial items on a local Dask cluster, for each N."""
    import psutil

    folder = root / "foreach"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench_foreach.py").write_text(FOREACH_MODULE, encoding="utf-8")
    configs = {}
    for size in [10, *sizes]:
        config = folder / f"foreach_{size}.yaml"
        config.write_text(
            f"name: foreach_{size}\n"
            "results: {persist: false}\n"
            "steps:\n"
            f"  items: {{run: bench_foreach.items, inputs: {{count: {size}}}}}\n"
            '  each: {run: bench_foreach.square, foreach: "${steps.items}"}\n',
            encoding="utf-8",
        )
        configs[size] = config
    options: dict[str, Any] = {"executor": "dask", "workers": workers, "history": False}
    pipeflow.load(configs[10]).run(**options)  # warm-up: imports, the first cluster
    gc.collect()
    base = psutil.Process().memory_info().rss
    figures: dict[str, Any] = {"base_rss": base}
    for size in sizes:
        pipe = pipeflow.load(configs[size])
        gc.collect()
        peak = PeakRss()
        started = time.perf_counter()
        run = pipe.run(**options)
        seconds = time.perf_counter() - started
        highest = peak.stop()
        if not run.ok:
            raise SystemExit(f"foreach benchmark run of {size} items failed: {run.outcomes}")
        del pipe, run
        gc.collect()
        after = psutil.Process().memory_info().rss
        figures[str(size)] = {
            "seconds": seconds,
            "peak_rss": highest,
            "growth": highest - base,
            "rss_after": after,
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="steps in the fan-out (N)")
    parser.add_argument("--dask-size", type=int, help="N for dask (default: --size)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per figure")
    parser.add_argument("--executors", default=",".join(EXECUTORS), help="for the overhead")
    parser.add_argument("--workers", type=int, help="workers for the overhead runs")
    parser.add_argument(
        "--foreach-sizes",
        default="1000,10000",
        help="items of the dask foreach memory figures (empty: skip them)",
    )
    parser.add_argument("--only-foreach", action="store_true", help="only the foreach figures")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args(argv)
    executors = [name.strip() for name in args.executors.split(",") if name.strip()]
    if "dask" in executors and importlib.util.find_spec("distributed") is None:
        print("dask: skipped, `distributed` is not installed")
        executors.remove("dask")

    print(machine())
    figures: dict[str, Any] = {"overhead": {}}
    root = Path(tempfile.mkdtemp(prefix="pipeflow-parallel-"))
    sizes = [int(size) for size in args.foreach_sizes.split(",") if size.strip()]
    try:
        if "dask" in executors and sizes:
            found = bench_foreach_memory(root, sizes, args.workers)
            figures["dask_foreach_memory"] = found
            base = found["base_rss"]
            print(f"\nforeach of N trivial items on dask: client RSS (after warm-up {_mib(base)})")
            for size in sizes:
                row = found[str(size)]
                print(
                    f"  N={size:<6} run {row['seconds']:.1f} s  peak RSS {_mib(row['peak_rss'])}"
                    f" (+{_mib(row['growth'])})  after the run {_mib(row['rss_after'])}"
                )
            if len(sizes) >= 2:
                small, large = found[str(sizes[0])], found[str(sizes[-1])]
                print(
                    f"  peak RSS at N={sizes[-1]} / at N={sizes[0]}: "
                    f"{large['peak_rss'] / small['peak_rss']:.2f}x; growth "
                    f"{_mib(large['growth'])} / {_mib(small['growth'])}"
                )
        if args.only_foreach:
            executors = []
        print(f"\nPer-step overhead, fan-out, nothing persisted ({args.repeat} runs each)")
        for executor in executors:
            size = args.dask_size if executor == "dask" and args.dask_size else args.size
            result = bench_overhead(root / executor, executor, size, args.repeat, args.workers)
            figures["overhead"][executor] = result
            print(
                f"  {executor:<10} N={size:<5} run {fmt_figures(result['run'])}"
                f"  per step {fmt_figures(result['run'].scaled(1 / size))}"
                f"  | 1-step run {fmt(result['one_step'].median)}"
                f", marginal per step {fmt_figures(result['marginal'])}"
            )

        if args.only_foreach:
            return 0
        naps = write_work_project(root / "naps", "naps", "nap", [0.5] * 8)
        sleeping = time_runs(naps, args.repeat, executor="threads", workers=8)
        figures["sleep_8x0.5s_threads"] = sleeping
        print(f"\n8 steps sleeping 0.5 s, threads, 8 workers: {fmt_figures(sleeping)}")

        loops = calibrate(1.0)
        burns = write_work_project(root / "burns", "burns", "burn", [loops, loops + 1])
        time_runs(burns, 1, executor="processes", workers=2)  # warm-up
        sequential = time_runs(burns, args.repeat, executor="sequential")
        parallel = time_runs(burns, args.repeat, executor="processes", workers=2)
        speedup = Figures([sequential.median / p for p in parallel.samples])
        figures["cpu_2x1s"] = {
            "loops": loops,
            "sequential": sequential,
            "processes": parallel,
            "speedup": speedup,
        }
        print(f"\n2 CPU-bound steps of about 1 s ({loops:,} loops each)")
        print(f"  sequential {fmt_figures(sequential)}")
        print(f"  processes  {fmt_figures(parallel)} (2 workers)")
        print(
            f"  speed-up   {speedup.median:.2f}x [{speedup.min:.2f} .. {speedup.max:.2f}]"
            f" at {time.strftime('%Y-%m-%d %H:%M')}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    if args.json:
        Path(args.json).write_text(json.dumps(_plain(figures), indent=2) + "\n", encoding="utf-8")
    return 0


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def _plain(value: Any) -> Any:
    if isinstance(value, Figures):
        return value.as_dict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


if __name__ == "__main__":
    raise SystemExit(main())
