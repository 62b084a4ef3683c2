"""The code package a remote Dask cluster gets: a project of N modules packed and sent.

A generated project of `--modules` modules in one package (each imports the next, so one step
reaches them all) is fingerprinted, packed and sent to a results store (a local folder: the
figures are pipeflow's packing and the store's existence checks, not a network), first into an
empty store, then again unchanged (goal: 0 bytes sent), then after one module was edited (one
new package sent). SPEC section 14; goal for 200 modules: first send under 0.5 s.

    python benchmarks/shipping.py --modules 200 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, fmt_figures

from pipeflow.execute.shipping import Packer, Project
from pipeflow.model.jsontext import dumps
from pipeflow.storage.store import ResultStore


def make_project(folder: Path, modules: int) -> None:
    package = folder / "bench"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for index in range(modules):
        following = f"from bench.m{index + 1} import f{index + 1}\n" if index + 1 < modules else ""
        call = f"f{index + 1}(x) + " if following else ""
        (package / f"m{index}.py").write_text(
            f'"""Module {index}."""\n\n{following}\n\ndef f{index}(x: int) -> int:\n'
            f"    return {call}x\n"
        )


def send(project: Path, store: Path) -> tuple[float, int]:
    started = time.perf_counter()
    packer = Packer(Project(ResultStore(str(store)), (("bench.m0.f0", str(project)),)))
    packer.send_code()
    return time.perf_counter() - started, packer.sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    options = parser.parse_args(argv)
    first, again, edited = [], [], []
    sizes: dict[str, int] = {}
    for _ in range(options.repeat):
        with tempfile.TemporaryDirectory(prefix="pipeflow-bench-") as temporary:
            project, store = Path(temporary) / "project", Path(temporary) / "store"
            project.mkdir()
            make_project(project, options.modules)
            seconds, sizes["first"] = send(project, store)
            first.append(seconds)
            seconds, sizes["unchanged"] = send(project, store)
            again.append(seconds)
            last = project / "bench" / f"m{options.modules - 1}.py"
            last.write_text(last.read_text() + "\n\nEDITED = True\n")
            seconds, sizes["edited"] = send(project, store)
            edited.append(seconds)
    figures = {"first": Figures(first), "unchanged": Figures(again), "edited": Figures(edited)}
    print(f"code package of {options.modules} modules, {options.repeat} repetitions")
    for name, figure in figures.items():
        print(f"  {name:10} {fmt_figures(figure):32} {sizes[name]:>9,} bytes sent")
    if options.json:
        document = {
            name: {**figure.as_dict(), "bytes": sizes[name]} for name, figure in figures.items()
        }
        Path(options.json).write_text(dumps(document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
