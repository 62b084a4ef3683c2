"""Where pipeflow spends its time: cProfile of validate, plan, run or the CLI on a big pipeline.

What it measures
    It writes the same generated project as `benchmarks/steps.py` (a chain or fan-out of
    `--size` trivial steps, nothing persisted) and profiles one phase with cProfile:

    - load:  `pipeflow.load(config)` (read, schema, build, params, semantic checks);
    - plan:  `pipe.plan()` on a loaded pipeline (cache keys and decisions);
    - run:   `pipe.run()` on a loaded pipeline (keys, plan, engine, executor);
    - validate-cli / run-cli: `pipeflow validate CONFIG` / `pipeflow run CONFIG -q`, in-process
             (the imports each command does are included: this is a fresh interpreter).

    It prints the phase's wall time without the profiler, then the functions with the most
    cumulative and the most own time, each as a share of the profiled total. cProfile makes
    small functions look more expensive than they are; compare with the unprofiled time.

How to run
    python benchmarks/hotspots.py                          # load of a 10,000-step chain
    python benchmarks/hotspots.py --phase plan --size 10000
    python benchmarks/hotspots.py --phase run --executor threads --shape fanout --top 30
    python benchmarks/hotspots.py --phase validate-cli --config pipeline.yaml   # any config

Only the standard library and pipeflow are used.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt, write_project

PHASES = ("load", "plan", "run", "validate-cli", "run-cli")


def phase_function(phase: str, config: Path, executor: str) -> Any:
    """A no-argument callable doing the phase once (set-up done outside it)."""
    import pipeflow

    if phase == "load":
        return lambda: pipeflow.load(config)
    if phase == "plan":
        pipe = pipeflow.load(config)
        return pipe.plan
    if phase == "run":
        pipe = pipeflow.load(config)
        return lambda: pipe.run(executor=executor)
    from pipeflow.cli.main import cli

    if phase == "validate-cli":
        args = ["validate", str(config)]
    else:
        args = ["run", str(config), "-q", "--executor", executor]

    def command() -> None:
        with contextlib.suppress(SystemExit):
            cli.main(args=args, prog_name="pipeflow", standalone_mode=False)

    return command


def where(key: tuple[str, int, str]) -> str:
    file, line, _ = key
    if file == "~":
        return "(built-in)"
    for marker in ("/pipeflow/", "/site-packages/", "/lib/python3"):
        if marker in file:
            return file[file.index(marker) + 1 :] + f":{line}"
    return f"{os.path.basename(file)}:{line}"


def table(stats: pstats.Stats, total: float, column: int, top: int, title: str) -> None:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda item: item[1][column], reverse=True)[:top]
    print(f"\n{title} (share of the profiled {fmt(total)})")
    print(f"{'share':>6} {'time':>9} {'calls':>9}  function  (file:line)")
    for key, (_, calls, own, cumulative, _) in rows:
        seconds = cumulative if column == 3 else own
        print(f"{seconds / total:>6.1%} {fmt(seconds):>9} {calls:>9}  {key[2]}  ({where(key)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", choices=PHASES, default="load")
    parser.add_argument("--shape", choices=["chain", "fanout"], default="chain")
    parser.add_argument("--size", type=int, default=10_000, help="number of steps")
    parser.add_argument("--config", type=Path, help="profile this config, not a generated one")
    parser.add_argument("--executor", choices=["sequential", "threads"], default="sequential")
    parser.add_argument("--top", type=int, default=25, help="rows per table")
    parser.add_argument("--save", metavar="FILE", help="also save the raw profile (pstats)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pipeflow-hotspots-") as folder:
        if args.config is not None:
            config = args.config.resolve()
            label = str(args.config)
        else:
            config = write_project(Path(folder), args.shape, args.size)
            label = f"generated {args.shape} of {args.size} steps"
        cwd = os.getcwd()
        os.chdir(config.parent)
        try:
            cli_phase = args.phase.endswith("-cli")
            if not cli_phase:
                # Warm up imports, so the profile shows the phase, not first-time imports.
                function = phase_function(args.phase, config, args.executor)
                function()
                started = time.perf_counter()
                function()
                plain = time.perf_counter() - started
                print(f"{args.phase} of {label}: {fmt(plain)} without the profiler")
            function = phase_function(args.phase, config, args.executor)
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            function()
            profiler.disable()
            profiled = time.perf_counter() - started
            print(f"{args.phase} of {label}: {fmt(profiled)} under cProfile")
        finally:
            os.chdir(cwd)
    stats = pstats.Stats(profiler)
    if args.save:
        stats.dump_stats(args.save)
    # The phase's own root frame has the largest cumulative time: that is 100%.
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max((entry[3] for entry in raw.values()), default=1e-9)
    table(stats, total, 3, args.top, "most cumulative time")
    table(stats, total, 2, args.top, "most own time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
