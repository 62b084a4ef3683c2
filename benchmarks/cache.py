"""Cache benchmarks: the cost of a no-op re-run, storage requests per step, and data overhead.

    python benchmarks/cache.py                 # everything
    python benchmarks/cache.py --steps 1000 --skip-s3 --skip-data

1. A chain of N trivial steps (default 1,000), each persisted, run once and then re-run with
   nothing changed, on a local folder and on a local S3 server (moto's standalone server on
   127.0.0.1). Prints the no-op re-run time and, on S3, the number of HTTP requests the
   re-run sent (counted from the server's own request log) per step, against issue 13's
   targets (at most 0.01 requests per cached step, at most 5 s for 10,000 steps: judged as
   written and at this machine's speed, `_common.Yardstick`), and the CPU
   time moto's server spent answering it (listing 30,000 keys costs moto seconds of CPU of its
   own: the floor of that re-run on this server). On S3 it then removes the manifest index
   (`.pipeflow/index/`) and re-runs: every manifest is read again, all at once, and the index
   is rebuilt; the re-run after that is a no-op again.
2. A 1,000,000 x 10 float DataFrame through a 3-step pipeline persisted as parquet, against
   the same three functions with plain `to_parquet` + `read_parquet` between them, measured
   in the same run; plus the peak RSS of each (in a child process each).

Needs `pip install -e '.[dev]'` (s3fs, moto[server], pandas, pyarrow).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import yardstick

CHAIN_STEPS = """
def first() -> int:
    return 0


def step(previous: int) -> int:
    return previous + 1
"""

DATA_STEPS = """
import numpy as np
import pandas as pd


def make(rows: int, columns: int) -> pd.DataFrame:
    generator = np.random.default_rng(0)
    names = [f"c{i}" for i in range(columns)]
    return pd.DataFrame(generator.random((rows, columns)), columns=names)


def scale(frame: pd.DataFrame) -> pd.DataFrame:
    return frame * 2.0


def centre(frame: pd.DataFrame) -> pd.DataFrame:
    return frame - frame.mean()
"""


def chain_config(steps: int, root: str, options: str = "{}") -> str:
    lines = [
        "name: chain",
        f"results: {{root: {json.dumps(root)}, storage_options: {options}}}",
        "steps:",
        "  s0: {run: chainsteps.first}",
    ]
    lines += [
        f'  s{i}: {{run: chainsteps.step, inputs: {{previous: "${{steps.s{i - 1}}}"}}}}'
        for i in range(1, steps)
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            return server, endpoint
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("moto_server did not start")


def requests_in(log: Path) -> int:
    """HTTP requests the server logged (one werkzeug line each)."""
    text = log.read_text(errors="replace")
    return len(re.findall(r'"(?:\x1b\[[0-9;]*m)*(GET|PUT|POST|HEAD|DELETE) ', text))


def timed_run(config: Path) -> tuple[float, dict[str, int]]:
    """Run in-process; the time and the count of each final state."""
    import pipeflow

    started = time.perf_counter()
    run = pipeflow.load(config).run()
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for outcome in run.outcomes.values():
        counts[outcome.state.value] = counts.get(outcome.state.value, 0) + 1
    if not run.ok:
        raise SystemExit(f"the run failed: {counts}")
    return elapsed, counts


def bench_chain_local(folder: Path, steps: int, repeat: int) -> None:
    (folder / "chainsteps.py").write_text(CHAIN_STEPS)
    config = folder / "pipeline.yaml"
    config.write_text(chain_config(steps, "out"))
    first, counts = timed_run(config)
    print(f"  first run: {first:.2f} s ({counts})")
    reruns = []
    for _ in range(repeat):
        elapsed, counts = timed_run(config)
        assert counts == {"cached": steps}, counts
        reruns.append(elapsed)
    median = statistics.median(reruns)
    print(
        f"  no-op re-run: median {median:.3f} s over {repeat} "
        f"[{min(reruns):.3f} .. {max(reruns):.3f}], {median / steps * 1e3:.2f} ms per step"
    )


def bench_chain_s3(folder: Path, steps: int) -> None:
    import s3fs

    log = folder / "moto.log"
    server, endpoint = start_moto(log)
    try:
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}).mkdir("bench")
        (folder / "chainsteps.py").write_text(CHAIN_STEPS)
        config = folder / "pipeline.yaml"
        options = json.dumps({"client_kwargs": {"endpoint_url": endpoint}})
        config.write_text(chain_config(steps, "s3://bench/chain", options))
        before = requests_in(log)
        first, counts = timed_run(config)
        written = requests_in(log) - before
        print(f"  first run: {first:.2f} s ({counts}), {written / steps:.2f} requests per step")
        filesystem = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
        for label in ("no-op re-run", "no-op re-run again"):
            rerun_s3(log, config, steps, label, server)
        if filesystem.exists("bench/chain/.pipeflow/index"):
            filesystem.rm("bench/chain/.pipeflow/index", recursive=True)
        rerun_s3(log, config, steps, "re-run, index removed (rebuilt)", server, target=False)
        rerun_s3(log, config, steps, "no-op re-run after the rebuild", server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) the server process has used so far; 0 where /proc is not."""
    try:
        fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rerun_s3(
    log: Path,
    config: Path,
    steps: int,
    label: str,
    server: subprocess.Popen[bytes],
    *,
    target: bool = True,
) -> None:
    """One re-run on S3 with nothing changed: its time, the requests the server logged and
    the CPU time the server spent answering them (moto's floor for this re-run)."""
    before, busy = requests_in(log), server_cpu(server)
    again, counts = timed_run(config)
    time.sleep(0.5)  # let the server flush its log
    sent = requests_in(log) - before
    busy = server_cpu(server) - busy
    assert counts == {"cached": steps}, counts
    verdicts = ""
    if target:
        per_step = sent / steps <= 0.01
        verdicts = (
            f" [requests: {'met' if per_step else 'NOT met'} (<= 0.01 per step); "
            f"time (<= 5 s per 10,000 steps): {yardstick().verdict(again, 5 * steps / 10_000)}]"
        )
    print(
        f"  {label}: {again:.2f} s (moto's own CPU {busy:.2f} s), {sent} requests in all, "
        f"{sent / steps:.4f} requests per cached step{verdicts}"
    )


DATA_CHILD = """
import json, resource, sys, time
from pathlib import Path
mode, folder = sys.argv[1], Path(sys.argv[2])
sys.path.insert(0, str(folder))
import datasteps
started = time.perf_counter()
if mode == "pipeflow":
    import pipeflow
    run = pipeflow.load(folder / "pipeline.yaml").run(force=["*"])
    assert run.ok
else:
    import pandas as pd
    frame = datasteps.make(1_000_000, 10)
    frame.to_parquet(folder / "bare_make.parquet")
    frame = datasteps.scale(pd.read_parquet(folder / "bare_make.parquet"))
    frame.to_parquet(folder / "bare_scale.parquet")
    frame = datasteps.centre(pd.read_parquet(folder / "bare_scale.parquet"))
    frame.to_parquet(folder / "bare_centre.parquet")
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak}))
"""


def bench_data(folder: Path, repeat: int) -> None:
    (folder / "datasteps.py").write_text(textwrap.dedent(DATA_STEPS))
    (folder / "pipeline.yaml").write_text(
        textwrap.dedent(
            """
            name: data
            results: {root: out}
            steps:
              make:
                run: datasteps.make
                inputs: {rows: 1000000, columns: 10}
              scale: {run: datasteps.scale, inputs: {frame: "${steps.make}"}}
              centre: {run: datasteps.centre, inputs: {frame: "${steps.scale}"}}
            """
        )
    )
    figures: dict[str, list[dict[str, float]]] = {"pandas": [], "pipeflow": []}
    for _ in range(repeat):
        for mode in ("pandas", "pipeflow"):  # interleaved, so both see the same machine load
            done = subprocess.run(
                [sys.executable, "-c", DATA_CHILD, mode, str(folder)],
                capture_output=True,
                text=True,
                check=True,
            )
            figures[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
    bare = statistics.median(f["seconds"] for f in figures["pandas"])
    ours = statistics.median(f["seconds"] for f in figures["pipeflow"])
    for mode, label in (("pandas", "bare pandas round trips"), ("pipeflow", "pipeflow run")):
        seconds = [f["seconds"] for f in figures[mode]]
        peak = max(f["peak_mb"] for f in figures[mode])
        print(
            f"  {label}: median {statistics.median(seconds):.2f} s "
            f"[{min(seconds):.2f} .. {max(seconds):.2f}], peak RSS {peak:.0f} MB"
        )
    print(f"  ratio pipeflow / pandas: {ours / bare:.2f}x (target < 1.3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-s3", action="store_true")
    parser.add_argument("--skip-data", action="store_true")
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        if not options.skip_local:
            print(f"chain of {options.steps} steps, local store:")
            (base / "local").mkdir()
            bench_chain_local(base / "local", options.steps, options.repeat)
        if not options.skip_s3:
            print(f"chain of {options.steps} steps, S3 (moto on 127.0.0.1):")
            (base / "s3").mkdir()
            bench_chain_s3(base / "s3", options.steps)
        if not options.skip_data:
            print("1,000,000 x 10 floats through 3 parquet-persisted steps:")
            (base / "data").mkdir()
            bench_data(base / "data", options.repeat)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
