"""Mutation testing of the planner, the cache and the storage layer, with mutmut.

What it does
    mutmut changes the code one small edit at a time (`<` to `<=`, `and` to `or`, a string
    to another, a call argument dropped, ...) and runs the tests that cover the changed
    function against each such *mutant*. A mutant that no test notices ("survived") is logic
    the suite does not check. This script runs mutmut on a copy of the repository, so the
    working tree and its `pyproject.toml` stay as they are, and prints the survivors with
    their diffs.

How to run (from anywhere, with the venv that has pipeflow and the `mutation` extra)
    .venv/bin/pip install -e '.[dev,mutation]'
    .venv/bin/python benchmarks/mutation.py                 # plan, cache and storage
    .venv/bin/python benchmarks/mutation.py plan cache      # only these packages
    .venv/bin/python benchmarks/mutation.py plan --only 'pipeflow/plan/planner.py'
    .venv/bin/python benchmarks/mutation.py cache --only 'pipeflow/cache/keys.py' \
        --tests tests/cache/test_keys.py                    # only the unit tests: quick
    .venv/bin/python benchmarks/mutation.py --report survivors.txt --jobs 2

    PACKAGE is a folder under pipeflow/ (plan, cache, storage, ...). The copy lives in
    benchmarks/out/mutation/ (git ignores it) and is refreshed on each run; mutmut remembers
    results there, so a second run only re-tests mutants of code that changed. Expect about
    a minute per hundred mutants on two cores.

The exit code is 0 when it ran (survivors are a report, not a failure), 2 on bad usage, and
mutmut's own code when mutmut failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORKDIR = REPO / "benchmarks" / "out" / "mutation"
DEFAULT_PACKAGES = ("plan", "cache", "storage")

# The tests that exercise each package in-process (mutants live in the test process: tests
# that start `pipeflow` as a subprocess do not see them, and are left out to save time).
TESTS = {
    "plan": ["tests/plan", "tests/cache", "tests/execute/test_run.py", "tests/cli/test_cli.py"],
    "cache": ["tests/cache", "tests/plan", "tests/execute/test_run.py"],
    "storage": ["tests/storage", "tests/cache"],
}
# What the tests read besides pipeflow/ and tests/ (the Iris example, docs they check).
ALSO_COPY = ["steps", "params", "data/raw", "pipeline.yaml", "pipeline.toml", "examples"]
SKIPPED = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".import_linter_cache", "out", "mutants", ".pipeflow", "processed",
)  # fmt: skip


def mutmut_config(packages: list[str], only: list[str], tests: list[str]) -> str:
    """The [tool.mutmut] table for the copy's pyproject.toml."""
    tests = tests or sorted({test for p in packages for test in TESTS.get(p, ["tests"])})
    patterns = only or [f"pipeflow/{package}/*" for package in packages]

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["pipeflow"]\n'
        f"only_mutate = {toml_list(patterns)}\n"
        f"also_copy = {toml_list(ALSO_COPY)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        # the static checks and browser tests have nothing to say about a mutant
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-m", "not static and not slow"]\n'
        "use_git_change_detection = false\n"
    )


def prepare(workdir: Path, packages: list[str], only: list[str], tests: list[str]) -> None:
    """A fresh copy of the repository's files (mutmut's own results in mutants/ are kept)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ["pipeflow", "tests", *ALSO_COPY]:
        source, target = REPO / name, workdir / name
        if target.is_dir():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target, ignore=SKIPPED)
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    pyproject = re.sub(r"\n\[tool\.mutmut\][^\[]*", "\n", pyproject)
    (workdir / "pyproject.toml").write_text(
        pyproject + mutmut_config(packages, only, tests), encoding="utf-8"
    )


def mutmut(
    workdir: Path, *arguments: str, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "mutmut"
    if not executable.exists():
        sys.exit(f"{executable} is missing: pip install -e '.[mutation]' (mutmut)")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "CI"}}
    env["PATH"] = os.pathsep.join([str(executable.parent), env.get("PATH", "")])
    return subprocess.run(
        [str(executable), *arguments],
        cwd=workdir,
        env=env,
        capture_output=capture,
        text=True,
        check=False,
    )


def survivors(workdir: Path) -> dict[str, list[str]]:
    """Mutant names by outcome, from `mutmut results --all true`."""
    done = mutmut(workdir, "results", "--all", "true", capture=True)
    outcomes: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        name, _, outcome = line.strip().rpartition(": ")
        if name:
            outcomes.setdefault(outcome.strip(), []).append(name.strip())
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", default=list(DEFAULT_PACKAGES), metavar="PACKAGE")
    parser.add_argument("--only", action="append", default=[], help="glob of files to mutate")
    parser.add_argument(
        "--tests", action="append", default=[], help="test paths to run (default: per package)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel tests")
    parser.add_argument("--report", type=Path, help="also write the survivors' diffs here")
    parser.add_argument("--workdir", type=Path, default=WORKDIR)
    args = parser.parse_args()
    unknown = [p for p in args.packages if not (REPO / "pipeflow" / p).is_dir()]
    if unknown:
        parser.error(f"no package pipeflow/{unknown[0]}/ (try: {', '.join(DEFAULT_PACKAGES)})")

    prepare(args.workdir, args.packages, args.only, args.tests)
    print(f"mutating {', '.join(args.only or args.packages)} in a copy at {args.workdir}")
    ran = mutmut(args.workdir, "run", "--max-children", str(args.jobs))
    if ran.returncode != 0:
        return ran.returncode

    outcomes = survivors(args.workdir)
    counts = ", ".join(f"{len(names)} {outcome}" for outcome, names in sorted(outcomes.items()))
    print(f"\nmutants: {counts}")
    lines: list[str] = []
    for name in outcomes.get("survived", []) + outcomes.get("no tests", []):
        shown = mutmut(args.workdir, "show", name, capture=True)
        lines.append(f"== {name}\n{shown.stdout.strip()}\n")
    text = "\n".join(lines)
    print(text or "no surviving mutants")
    if args.report is not None:
        args.report.write_text(f"mutants: {counts}\n\n{text}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
