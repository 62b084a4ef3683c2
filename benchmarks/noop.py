"""No-op re-run benchmark: `pipeflow run -q` of a stored chain whose every step is cached,
two pipeflows alternating on the same stored project (issue 13).

What it measures
    A chain `s0 -> s1 -> ... -> s(N-1)` of `inc(x) = x + 1` (N = 10,000 by default),
    sequential executor, results stored (the default) on a local store: run once to store
    everything (small results go to the run's journal), then each re-run is a no-op ("N
    cached"), which this script checks every time. A no-op re-run stores nothing, so every run
    of both pipeflows sees the same store (the run history grows by one run each time).

    Each repetition runs the CLI once with A, then once with B, in fresh child processes; the
    figures are the child's wall time and its CPU time (user + system, all threads, from
    `os.wait4`): medians with [min .. max], and B / A of the medians. On a shared machine the
    CPU time is the steadier figure. Bytecode is compiled first in both trees (this machine sets
    PYTHONDONTWRITEBYTECODE=1) and each pipeflow runs once untimed before the repetitions.

How to run (from the repository root, with the venv that has pipeflow installed)
    git archive main | tar -x -C /tmp/before      # the pipeflow to compare with
    python benchmarks/noop.py --source /tmp/before --repeat 8     # A = /tmp/before, B = this
    python benchmarks/noop.py --steps 1000 --repeat 4             # A and B both this one
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt, machine

import pipeflow

STEPS_MODULE = "def source():\n    return 1\n\n\ndef inc(x):\n    return x + 1\n"
# Children import pipeflow from PIPEFLOW_SOURCE when it is set (an export of another commit),
# instead of the installed one (an editable install's finder comes first).
CLI = textwrap.dedent(
    """
    import os, sys
    if os.environ.get("PIPEFLOW_SOURCE"):
        sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f)]
        sys.path.insert(0, os.environ["PIPEFLOW_SOURCE"])
    from pipeflow.cli.main import cli
    cli(prog_name="pipeflow")
    """
)


def make_project(folder: Path, steps: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench_steps.py").write_text(STEPS_MODULE, encoding="utf-8")
    lines = ["name: noop", "executor: {type: sequential}", "steps:"]
    lines.append("  s0: {run: bench_steps.source}")
    lines += [
        f'  s{i}: {{run: bench_steps.inc, inputs: {{x: "${{steps.s{i - 1}}}"}}}}'
        for i in range(1, steps)
    ]
    (folder / "pipeline.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    compileall.compile_dir(str(folder), quiet=1)
    return folder


def run(project: Path, env: dict[str, str], expected: str) -> tuple[float, float]:
    """(wall, CPU of all threads) of one `pipeflow run -q` in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CLI, "run", "-q", "pipeline.yaml"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    out = child.stdout.read()  # read to its end, then reaped here: its own CPU time
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0 or expected not in out:
        raise RuntimeError(f"expected {expected!r}:\n{out[-4000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def figures(samples: list[float]) -> str:
    return f"{fmt(statistics.median(samples))} [{fmt(min(samples))} .. {fmt(max(samples))}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--source", type=Path, help="A: import pipeflow from this folder")
    parser.add_argument("--versus", type=Path, help="B: import pipeflow from this folder")
    parser.add_argument(
        "--folder",
        type=Path,
        default=Path(__file__).resolve().parent / "out",
        help="where the temporary project goes (default: benchmarks/out)",
    )
    args = parser.parse_args()
    sources = {"A": args.source, "B": args.versus}
    print(f"machine: {machine()}")
    for label, source in sources.items():
        print(f"{label}: {source.resolve() if source is not None else 'the installed pipeflow'}")
    compileall.compile_dir(str(Path(pipeflow.__file__).parent), quiet=1)
    envs = {}
    for label, source in sources.items():
        env = {k: v for k, v in os.environ.items() if k != "PIPEFLOW_SOURCE"}
        if source is not None:
            compileall.compile_dir(str(source / "pipeflow"), quiet=1)
            env["PIPEFLOW_SOURCE"] = str(source.resolve())
        envs[label] = env
    args.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pipeflow-noop-", dir=args.folder) as temporary:
        project = make_project(Path(temporary) / "project", args.steps)
        for env in envs.values():
            env["PIPEFLOW_HOME"] = str(Path(temporary) / "home")
        run(project, envs["A"], f"{args.steps} done")  # stores everything
        print(f"chain of {args.steps} steps stored; {args.repeat} no-op re-runs each, alternating")
        wall: dict[str, list[float]] = {label: [] for label in sources}
        cpu: dict[str, list[float]] = {label: [] for label in sources}
        for repetition in range(args.repeat + 1):  # the first is a warm-up
            for label, env in envs.items():
                seconds, used = run(project, env, f"{args.steps} cached")
                if repetition:
                    wall[label].append(seconds)
                    cpu[label].append(used)
    print()
    for label in sources:
        print(f"{label}: wall {figures(wall[label])}; CPU {figures(cpu[label])}")
    for name, found in (("wall", wall), ("CPU", cpu)):
        change = statistics.median(found["B"]) / statistics.median(found["A"])
        print(f"B / A, {name} (medians): {change:.2f}x")


if __name__ == "__main__":
    main()
