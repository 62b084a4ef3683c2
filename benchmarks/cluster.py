"""A Dask cluster whose workers share nothing with the client, against a LocalCluster (SPEC 14).

In one run, on one S3 server (moto's, on this machine):

1. Per-step overhead: a chain of `--steps` steps, each taking the one before's value and a
   data file (a path input), run with `force` (every step runs), alternately on
   - the remote cluster: a `dask scheduler` and two `dask worker` processes, each worker in
     its own mount namespace with a tmpfs over the folder of the project (`unshare -m`, as
     root; without it the workers are plain processes, and the script says so), so the code
     and the file travel through the store;
   - a `distributed.LocalCluster` of two worker processes, reached by its address with
     `shared_filesystem: true` (code imported and the file read where they are).
   Goal: remote / local <= 1.2 per step.
2. A `foreach` of `--items` items (default 10,000) on the two remote workers, nothing stored
   per item, then one step that sums them: the client's peak RSS (a subprocess running
   `pipeflow run`, measured by `getrusage` of its children). Goal: <= 150 MiB.

    python benchmarks/cluster.py --steps 20 --repeat 5 --items 10000

The code package's first send and re-send are `shipping.py`'s.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.servers: moto's S3

from _common import Figures, fmt_figures, machine

import pipeflow
from tests.servers import ObjectStore, free_port, moto_s3

REPO = Path(__file__).resolve().parents[1]

STEPS = """
def inc(x: int, data: str) -> int:
    with open(data) as handle:
        return x + len(handle.read())


def numbers(count: int) -> list[int]:
    return list(range(count))


def square(n: int) -> int:
    return n * n


def total(values: list[int]) -> int:
    return sum(values)
"""

CLIENT = """
import resource, sys, time
import pipeflow
started = time.perf_counter()
run = pipeflow.load(sys.argv[1]).run(history=False, force=True)
assert run.ok, run.outcomes
print(run.output("total"), time.perf_counter() - started)
"""


def _dask() -> str:
    return str(Path(sys.executable).with_name("dask"))


class Remote:
    """A scheduler and two workers, each worker unable to see `hidden` (when it can be)."""

    def __init__(self, hidden: Path, logs: Path) -> None:
        self.hidden, self.logs = hidden, logs
        self.processes: list[subprocess.Popen[bytes]] = []
        self.isolated = os.geteuid() == 0 and shutil.which("unshare") is not None
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self._start(
            [_dask(), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
        )
        worker = f'"{_dask()}" worker {self.address} --nworkers 1 --nthreads 2 --no-dashboard'
        for _ in range(2):
            if self.isolated:
                script = f'mount -t tmpfs none "{hidden}" && exec {worker}'
                self._start(["unshare", "-m", "bash", "-c", script])
            else:
                self._start(["bash", "-c", f"exec {worker}"])
        import distributed

        deadline = time.monotonic() + 120
        while True:
            try:
                client = distributed.Client(self.address, timeout=5)
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        client.wait_for_workers(2, timeout=120)
        client.close()

    def _start(self, command: list[str]) -> None:
        log = (self.logs / f"{len(self.processes)}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                command, cwd=self.logs, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def clusters(folder: Path) -> Iterator[tuple[Remote, Any]]:
    import distributed

    hidden, logs = folder / "laptop", folder / "logs"
    hidden.mkdir()
    logs.mkdir()
    remote = Remote(hidden, logs)
    local: Any = None
    try:
        local = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=40,
        )
        yield remote, local
    finally:
        if local is not None:
            local.close()
        remote.close()


def _results(store: ObjectStore) -> str:
    endpoint = store.storage_options["client_kwargs"]["endpoint_url"]
    url = store.unique_url("cluster-bench")
    options = f'{{client_kwargs: {{endpoint_url: "{endpoint}"}}}}'
    return f'results: {{root: "{url}", storage_options: {options}}}'


def chain(folder: Path, store: ObjectStore, address: str, shared: bool, steps: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "bsteps.py").write_text(STEPS)
    (folder / "data").mkdir()
    (folder / "data" / "in.csv").write_text("a,b\n1,2\n")
    lines = [
        f"name: chain-{'local' if shared else 'remote'}",
        _results(store),
        f'executor: {{type: dask, address: "{address}", shared_filesystem: {str(shared).lower()}}}',
        "steps:",
        "  s0: {run: bsteps.inc, inputs: {x: 0, data: data/in.csv}}",
    ]
    for i in range(1, steps):
        lines.append(
            f'  s{i}: {{run: bsteps.inc, inputs: {{x: "${{steps.s{i - 1}}}", data: data/in.csv}}}}'
        )
    config = folder / "pipeline.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def fanout(folder: Path, store: ObjectStore, address: str, items: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "bsteps.py").write_text(STEPS)
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: foreach\n{_results(store)}\n"
        f'executor: {{type: dask, address: "{address}"}}\n'
        "steps:\n"
        f"  numbers: {{run: bsteps.numbers, inputs: {{count: {items}}}}}\n"
        '  squares: {run: bsteps.square, foreach: "${steps.numbers}", as: n, result: false}\n'
        '  total: {run: bsteps.total, inputs: {values: "${steps.squares}"}}\n'
    )
    return config


def run_once(config: Path) -> float:
    started = time.perf_counter()
    run = pipeflow.load(config).run(history=False, force=True)
    elapsed = time.perf_counter() - started
    if not run.ok:
        raise RuntimeError(f"{config}: {run.outcomes}")
    return elapsed


def client_rss(config: Path) -> tuple[float, float, str]:
    """(peak RSS in MiB, seconds, output) of a client process running the config."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, str(config)], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        raise RuntimeError("the client's peak RSS was not above an earlier child's: run alone")
    return peak / 1024, elapsed, done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--items", type=int, default=10_000, help="0: skip the foreach")
    options = parser.parse_args(argv)
    compileall.compile_dir(str(REPO / "pipeflow"), quiet=1)
    print(machine())
    with (
        tempfile.TemporaryDirectory(prefix="pipeflow-cluster-bench-") as temporary,
        moto_s3() as store,
    ):
        folder = Path(temporary)
        # The foreach's client is measured first, alone (its RSS: the largest child's).
        with clusters(folder) as (remote, local):
            if not remote.isolated:
                print("NOTE: not root or no `unshare`: the remote workers see the project folder")
            rss: tuple[float, float, str] | None = None
            if options.items:
                config = fanout(
                    remote.hidden / f"f-{uuid.uuid4().hex[:6]}",
                    store,
                    remote.address,
                    options.items,
                )
                rss = client_rss(config)
            configs = {
                (name, size): chain(
                    remote.hidden / f"{name}-{size}",
                    store,
                    remote.address if name == "remote" else local.scheduler_address,
                    name == "local",
                    size,
                )
                for name in ("remote", "local")
                for size in (1, options.steps)
            }
            for config in configs.values():  # warm: workers import, the code is sent once
                run_once(config)
            times: dict[tuple[str, int], list[float]] = {key: [] for key in configs}
            for _ in range(options.repeat):
                for key, config in configs.items():
                    times[key].append(run_once(config))
    n = options.steps
    # Per step: what a run of N steps takes beyond a run of one, per further step; per run:
    # the one-step run (connecting, checking versions, sending the code, planning).
    marginal = {
        name: [
            (big - one) / (n - 1) for big, one in zip(times[name, n], times[name, 1], strict=True)
        ]
        for name in ("remote", "local")
    }
    ratios = Figures([r / lo for r, lo in zip(marginal["remote"], marginal["local"], strict=True)])
    print(f"chains of 1 and {n} steps (force), {options.repeat} interleaved repetitions:")
    for name, label in (
        ("remote", "remote cluster (nothing shared)"),
        ("local", "LocalCluster (shared folder)   "),
    ):
        print(
            f"  {label} per step {fmt_figures(Figures(marginal[name]))}; "
            f"a 1-step run {fmt_figures(Figures(times[name, 1]))}"
        )
    print(
        f"  per step, ratio remote / local  {ratios.median:.2f} "
        f"[{ratios.min:.2f} .. {ratios.max:.2f}]  (goal <= 1.2)"
    )
    if rss is not None:
        peak, seconds, output = rss
        print(
            f"foreach of {options.items:,} items on 2 remote workers: client peak RSS "
            f"{peak:.0f} MiB (goal <= 150), {seconds:.1f} s; total = {output.split()[0]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
