"""Start-up time of the `pipeflow` command, and which heavy modules `pipeflow validate` imports.

What it measures
    Wall time (and the child's user+system CPU time) of these subprocesses, run from the
    repository root, median of `--repeat` (20) runs each, with [min .. max]:

    - `python -c pass`                     the interpreter's own start-up, for comparison;
    - `python -c "import click"`           the CLI library alone, for comparison;
    - `pipeflow --help`                    the console script, nothing loaded but the CLI;
    - `pipeflow validate pipeline.yaml`    the repo's Iris config, read and fully validated.

    Then it runs `pipeflow validate pipeline.yaml` in a child process with `-X importtime`
    and, after it, lists which of pandas, numpy, sklearn, pyarrow, fsspec, joblib, scipy
    ended up in `sys.modules`, and the slowest imports (cumulative) of that command.

    - `python -c "import yaml, fsspec"`   the libraries `validate` cannot do without;
    - `pipeflow run CONFIG -q`              a generated 10-step chain (nothing persisted);
    - `pipeflow run pipeline.yaml -q`       the Iris pipeline with every step cached (the
                                            warm-up run stores them): what a user's re-run
                                            costs when its steps import pandas and sklearn.

    The commands run interleaved (one of each per repetition), after bytecode is compiled
    (this machine sets PYTHONDONTWRITEBYTECODE=1) and one untimed warm-up each.

    Targets: `pipeflow --help` under 0.15 s, `pipeflow validate pipeline.yaml` under 0.5 s;
    issue 13's ratios, per repetition: `--help` <= 1.3x `import click`, `validate` <= 1.3x
    `import yaml, fsspec`, the 10-step run <= 1.2x `import yaml, fsspec` (0.12 s vs 0.10 s).

How to run (from anywhere, with the venv that has pipeflow installed)
    python benchmarks/startup.py
    python benchmarks/startup.py --repeat 50 --top 25 --json startup.json

Only the standard library and pipeflow (as a subprocess) are used.
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, fmt, fmt_figures, machine, time_command_cpu, write_project

REPO = Path(__file__).resolve().parent.parent
HEAVY = (
    "pandas",
    "numpy",
    "sklearn",
    "pyarrow",
    "fsspec",
    "joblib",
    "scipy",
    "jsonschema",
    "croniter",
    "tomllib",
)
TARGETS = {"pipeflow --help": 0.15, "pipeflow validate pipeline.yaml": 0.5}
# Issue 13: (command, baseline, goal for the wall-time ratio), measured in the same sitting.
RATIO_GOALS = (
    ("pipeflow --help", "python -c 'import click'", 1.3),
    ("pipeflow validate pipeline.yaml", "python -c 'import yaml, fsspec'", 1.3),
    ("pipeflow run (10 steps) -q", "python -c 'import yaml, fsspec'", 1.2),
)

# Runs the CLI in-process in a child, then reports what it imported.
CHILD = textwrap.dedent(
    """
    import json, sys
    from pipeflow.cli.main import cli
    try:
        cli.main(args=sys.argv[1:], prog_name="pipeflow", standalone_mode=False)
    except SystemExit:
        pass
    heavy = %r
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
    print("\\n@@" + json.dumps({"heavy": loaded, "modules": len(sys.modules)}))
    """
).replace("%r", repr(HEAVY))


def pipeflow_command() -> list[str]:
    """The `pipeflow` console script next to this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "pipeflow"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("pipeflow")
    if found:
        return [found]
    return [sys.executable, "-m", "pipeflow"]


def measure(command: list[str], repeat: int) -> tuple[Figures, Figures]:
    time_command_cpu(command, cwd=str(REPO))  # warm-up: file cache, __pycache__
    samples = [time_command_cpu(command, cwd=str(REPO)) for _ in range(repeat)]
    return Figures([w for w, _ in samples]), Figures([c for _, c in samples])


def import_report(args: list[str], top: int) -> dict[str, Any]:
    """Heavy modules loaded by `pipeflow ARGS`, and its slowest imports from -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CHILD, *args],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        check=False,
    )
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    if not marker:
        raise SystemExit(f"the import child failed:\n{done.stdout}\n{done.stderr}")
    info: dict[str, Any] = json.loads(marker[-1][2:])
    rows: list[tuple[int, int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|", 2)
        rows.append((int(cumulative), int(own), name.rstrip()[1:]))  # "| " then 2 per level
    top_level = [r for r in rows if not r[2].startswith("  ")]
    info["total_import_us"] = sum(r[0] for r in top_level)
    info["slowest"] = [
        {
            "module": name.strip(),
            "depth": (len(name) - len(name.lstrip())) // 2,
            "cumulative_us": cum,
            "self_us": own,
        }
        for cum, own, name in sorted(rows, reverse=True)[:top]
    ]
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per command")
    parser.add_argument("--top", type=int, default=15, help="slowest imports to list")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args(argv)

    pipeflow = pipeflow_command()
    compileall.compile_dir(str(REPO / "pipeflow"), quiet=1)  # PYTHONDONTWRITEBYTECODE=1 here
    compileall.compile_dir(str(REPO / "steps"), quiet=1)
    temporary = tempfile.TemporaryDirectory(prefix="pipeflow-startup-", dir=REPO / "benchmarks")
    ten = write_project(Path(temporary.name) / "ten", "chain", 10)
    compileall.compile_dir(str(ten.parent), quiet=1)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "python -c 'import yaml, fsspec'": [sys.executable, "-c", "import yaml, fsspec"],
        "pipeflow --help": [*pipeflow, "--help"],
        "pipeflow validate pipeline.yaml": [*pipeflow, "validate", "pipeline.yaml"],
        "pipeflow run (10 steps) -q": [*pipeflow, "run", str(ten), "-q"],
        "pipeflow run pipeline.yaml -q (cached)": [*pipeflow, "run", "pipeline.yaml", "-q"],
    }
    print(f"machine: {machine()}")
    print(f"pipeflow: {' '.join(pipeflow)}; cwd {REPO}; {args.repeat} runs each, interleaved")
    print("figures: median [min .. max]")
    print(
        "warm state: each command runs once untimed first. The first `validate` of a fresh\n"
        "checkout imports the Iris step modules (pandas, scikit-learn: seconds) to check they\n"
        "import cleanly, then remembers that in .pipeflow/import-checks.json until their code\n"
        "changes; the figures below are of that warm state.\n"
    )
    print(f"{'command':<40}{'wall':>31}{'CPU (user+sys)':>31}   target")
    report: dict[str, Any] = {"machine": machine(), "repeat": args.repeat, "commands": {}}
    for command in commands.values():
        time_command_cpu(command, cwd=str(REPO))  # warm-up: file cache
    walls: dict[str, list[float]] = {label: [] for label in commands}
    cpus: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(args.repeat):
        for label, command in commands.items():
            wall_s, cpu_s = time_command_cpu(command, cwd=str(REPO))
            walls[label].append(wall_s)
            cpus[label].append(cpu_s)
    temporary.cleanup()
    for label in commands:
        wall, cpu = Figures(walls[label]), Figures(cpus[label])
        target = TARGETS.get(label)
        verdict = ""
        if target is not None:
            verdict = f"< {fmt(target)}: {'met' if wall.median < target else 'NOT met'}"
        print(f"{label:<40}{fmt_figures(wall):>31}{fmt_figures(cpu):>31}   {verdict}", flush=True)
        report["commands"][label] = {"wall": wall.as_dict(), "cpu": cpu.as_dict(), "target": target}
    print("\nratios, per interleaved repetition (median [min .. max]), wall and CPU:")
    report["ratios"] = {}
    for label, baseline, goal in RATIO_GOALS:
        line = []
        for name, samples in (("wall", walls), ("CPU", cpus)):
            ratios = Figures(
                [a / b for a, b in zip(samples[label], samples[baseline], strict=True)]
            )
            line.append(f"{name} {ratios.median:.2f}x [{ratios.min:.2f} .. {ratios.max:.2f}]")
            report["ratios"][f"{label} / {baseline} ({name})"] = ratios.as_dict()
        wall_ratio = statistics.median(
            a / b for a, b in zip(walls[label], walls[baseline], strict=True)
        )
        verdict = "met" if wall_ratio <= goal else "NOT met"
        print(f"  {label} / {baseline}: {'; '.join(line)} (goal <= {goal}x): {verdict}")

    print("\nimports of `pipeflow validate pipeline.yaml` (child run with -X importtime):")
    info = import_report(["validate", "pipeline.yaml"], args.top)
    heavy = ", ".join(info["heavy"]) or "none"
    print(f"  heavy modules loaded ({', '.join(HEAVY)}): {heavy}")
    print(f"  modules in sys.modules afterwards: {info['modules']}")
    print(f"  sum of top-level import times: {fmt(info['total_import_us'] / 1e6)}")
    print("  slowest imports (cumulative, self):")
    for row in info["slowest"]:
        name = "  " * row["depth"] + row["module"]
        print(f"    {name:<48}{fmt(row['cumulative_us'] / 1e6):>10}{fmt(row['self_us'] / 1e6):>10}")
    report["validate_imports"] = info

    print("\nimports of `pipeflow --help`:")
    help_info = import_report(["--help"], 5)
    print(
        f"  heavy modules loaded: {', '.join(help_info['heavy']) or 'none'}; "
        f"sum of top-level import times {fmt(help_info['total_import_us'] / 1e6)}"
    )
    for row in help_info["slowest"]:
        name = "  " * row["depth"] + row["module"]
        print(f"    {name:<48}{fmt(row['cumulative_us'] / 1e6):>10}{fmt(row['self_us'] / 1e6):>10}")
    report["help_imports"] = help_info

    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
