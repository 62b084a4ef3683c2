"""Per-step overhead of pipeflow: how long validating, planning and running N trivial steps take.

What it measures
    Two pipeline shapes of N steps, each step a plain function returning an int:

    - chain:  s0 -> s1 -> ... -> s(N-1); each step takes the previous step's value;
    - fanout: one source step `src` and N-1 independent steps that each take its value
              (no join), so N steps in all.

    For every shape and N it writes a temporary project (a `pipeline.yaml` and a
    `bench_steps.py` module, with `results: {persist: false}` so nothing is written) and times

    (a) the Python API, in this process: `pipeflow.load(config)` (read + validate) and, on the
        loaded pipeline, `pipe.run()` (params, cache keys, plan, engine, executor), separately;
    (b) the command line, as a subprocess: `python -m pipeflow run CONFIG -q --executor E`.
        This includes interpreter start-up and imports, so its figures are also shown with a
        1-step pipeline's time subtracted ("marginal").

    Per-step overhead is the time divided by N (the steps themselves do next to nothing).
    Finally it times `pipeflow.load` + `pipe.plan()` of the `--plan-size` (10,000) step
    config separately (validate + plan, nothing run).

    Each figure is the median of `--repeat` repetitions, with [min .. max].

How to run (from the repository root, with the venv that has pipeflow installed)
    python benchmarks/steps.py                                   # sizes 10,100,1000,10000
    python benchmarks/steps.py --sizes 10,100,1000 --repeat 5
    python benchmarks/steps.py --executor threads --shapes fanout
    python benchmarks/steps.py --no-cli --json results.json      # API only; save figures

Only the standard library and pipeflow are used.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Figures,
    fmt,
    fmt_figures,
    machine,
    time_call,
    time_command,
    write_project,
)

import pipeflow


def check(run: Any, shape: str, size: int) -> None:
    if not run.ok:
        raise SystemExit(f"benchmark run of {shape} N={size} failed: {run.outcomes}")
    last = f"s{size - 1}" if size > 1 else ("s0" if shape == "chain" else "src")
    expected = size if shape == "chain" else (2 if size > 1 else 1)
    if run.output(last) != expected:
        raise SystemExit(f"{shape} N={size}: `{last}` returned {run.output(last)}, not {expected}")


def bench_api(
    config: Path, shape: str, size: int, repeat: int, executor: str
) -> dict[str, Figures]:
    loads: list[float] = []
    runs: list[float] = []
    for _ in range(repeat):
        gc.collect()
        seconds, pipe = time_call(lambda: pipeflow.load(config))
        loads.append(seconds)
        gc.collect()
        seconds, run = time_call(partial(pipe.run, executor=executor))
        runs.append(seconds)
        check(run, shape, size)
        del pipe, run
    return {"load": Figures(loads), "run": Figures(runs)}


def cli_command(config: Path, executor: str) -> list[str]:
    return [sys.executable, "-m", "pipeflow", "run", str(config), "-q", "--executor", executor]


def bench_cli(config: Path, repeat: int, executor: str, *, warmup: bool = False) -> Figures:
    command = cli_command(config, executor)
    if warmup:  # fills the OS file cache and writes __pycache__ so the first run is not slower
        time_command(command, cwd=str(config.parent))
    return Figures([time_command(command, cwd=str(config.parent)) for _ in range(repeat)])


def bench_plan(config: Path, repeat: int) -> dict[str, Figures]:
    loads: list[float] = []
    plans: list[float] = []
    totals: list[float] = []
    for _ in range(repeat):
        gc.collect()
        load, pipe = time_call(lambda: pipeflow.load(config))
        plan, decisions = time_call(pipe.plan)
        if len(decisions) != len(pipe.steps):
            raise SystemExit("the plan does not cover every step")
        loads.append(load)
        plans.append(plan)
        totals.append(load + plan)
        del pipe, decisions
    return {"load": Figures(loads), "plan": Figures(plans), "total": Figures(totals)}


def per_step(figures: Figures, size: int) -> str:
    return fmt_figures(figures.scaled(1 / size))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000,10000", help="comma-separated N")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per figure")
    parser.add_argument("--executor", choices=["sequential", "threads"], default="sequential")
    parser.add_argument("--shapes", default="chain,fanout", help="chain, fanout or both")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI subprocess runs")
    parser.add_argument(
        "--plan-size", type=int, default=10_000, help="N for the validate+plan figure (0: skip)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]

    print(f"machine: {machine()}")
    print(f"pipeflow {pipeflow.__version__}; executor {args.executor}; repeat {args.repeat}")
    print("figures: median [min .. max]\n")

    workdir = Path(tempfile.mkdtemp(prefix="pipeflow-bench-"))
    report: dict[str, Any] = {
        "machine": machine(),
        "executor": args.executor,
        "repeat": args.repeat,
        "api": {},
        "cli": {},
        "plan": {},
    }
    try:
        # Warm up: the first load imports pipeflow's config, plan and execute packages.
        warm = write_project(workdir / "warmup", "chain", 2)
        pipeflow.load(warm).run(executor=args.executor)

        for shape in shapes:
            baseline: Figures | None = None
            if not args.no_cli:
                base_config = write_project(workdir / f"{shape}-1", shape, 1)
                try:
                    baseline = bench_cli(
                        base_config, max(args.repeat, 5), args.executor, warmup=True
                    )
                    report["cli"][f"{shape}/1"] = baseline.as_dict()
                except RuntimeError as error:
                    print(f"CLI baseline FAILED, skipping the CLI: {str(error).splitlines()[-1]}")
            print(f"== {shape} ==")
            header = f"{'N':>6}  {'load (validate)':>28}  {'run':>28}  {'run per step':>28}"
            print("API: pipeflow.load(config), then pipe.run()")
            print(header)
            configs: dict[int, Path] = {}
            for size in sizes:
                config = write_project(workdir / f"{shape}-{size}", shape, size)
                configs[size] = config
                api = bench_api(config, shape, size, args.repeat, args.executor)
                report["api"][f"{shape}/{size}"] = {
                    "load": api["load"].as_dict(),
                    "run": api["run"].as_dict(),
                    "run_per_step": api["run"].scaled(1 / size).as_dict(),
                    "load_per_step": api["load"].scaled(1 / size).as_dict(),
                }
                print(
                    f"{size:>6}  {fmt_figures(api['load']):>28}  {fmt_figures(api['run']):>28}"
                    f"  {per_step(api['run'], size):>28}",
                    flush=True,
                )
            if not args.no_cli and baseline is not None:
                print(f"CLI: python -m pipeflow run CONFIG -q --executor {args.executor}")
                print(f"  1-step pipeline (start-up baseline): {fmt_figures(baseline)}")
                print(f"{'N':>6}  {'total':>28}  {'total per step':>28}  {'marginal per step':>20}")
                for size in sizes:
                    try:
                        cli = bench_cli(configs[size], args.repeat, args.executor)
                    except RuntimeError as error:  # report it and go on with the rest
                        print(f"{size:>6}  FAILED: {str(error).splitlines()[0]}")
                        print("        " + str(error).strip().splitlines()[-1], flush=True)
                        report["cli"][f"{shape}/{size}"] = {"error": str(error)}
                        continue
                    marginal = (cli.median - baseline.median) / max(size - 1, 1)
                    report["cli"][f"{shape}/{size}"] = {
                        "total": cli.as_dict(),
                        "per_step": cli.scaled(1 / size).as_dict(),
                        "marginal_per_step": marginal,
                    }
                    print(
                        f"{size:>6}  {fmt_figures(cli):>28}  {per_step(cli, size):>28}  "
                        f"{fmt(marginal):>20}",
                        flush=True,
                    )
            if args.plan_size:
                config = configs.get(args.plan_size) or write_project(
                    workdir / f"{shape}-{args.plan_size}", shape, args.plan_size
                )
                figures = bench_plan(config, args.repeat)
                report["plan"][f"{shape}/{args.plan_size}"] = {
                    k: v.as_dict() for k, v in figures.items()
                }
                print(
                    f"validate + plan, N={args.plan_size}: pipeflow.load "
                    f"{fmt_figures(figures['load'])} + pipe.plan() "
                    f"{fmt_figures(figures['plan'])} = {fmt_figures(figures['total'])}"
                )
            print()
    finally:
        if args.keep:
            print(f"projects kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
