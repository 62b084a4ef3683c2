"""Run the ETL example end to end against a local S3 server (moto's standalone server).

    python examples/etl_s3/run_example.py

Starts `moto_server` on 127.0.0.1 (a free port), seeds a bucket with a generated CSV of
monsters, runs the pipeline twice (the second run is all cached), prints the aggregated table
read back from the bucket, and stops the server. Needs `pip install 'pipeflow-runner[s3,examples]'
'moto[server]'`; no AWS account and no network beyond loopback.
"""

from __future__ import annotations

import csv
import io
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = ["fire", "water", "grass", "electric", "rock"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}", timeout=1)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("moto_server exited; is `moto[server]` installed?") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("moto_server did not answer within 30 s")


def monsters(count: int = 200) -> bytes:
    generator = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "type1", "hp", "attack", "defense", "speed"])
    for index in range(count):
        writer.writerow(
            [f"monster{index}", generator.choice(TYPES)]
            + [generator.randint(20, 150) for _ in range(4)]
        )
    return out.getvalue().encode()


def main() -> int:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "S3_ENDPOINT": endpoint,
            "ETL_BUCKET": os.environ.get("ETL_BUCKET", "pipeflow-etl"),
        }
    )
    server = start_server(port)
    try:
        import s3fs

        import pipeflow
        from pipeflow.report.console import ConsoleReporter

        bucket = os.environ["ETL_BUCKET"]
        s3 = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
        s3.mkdir(bucket)
        s3.pipe(f"{bucket}/raw/monsters.csv", monsters())
        print(f"seeded s3://{bucket}/raw/monsters.csv on {endpoint}")

        pipeline = pipeflow.load(HERE / "pipeline.yaml")
        first = pipeline.run(subscribers=[ConsoleReporter()])
        second = pipeline.run(subscribers=[ConsoleReporter()])
        if not (first.ok and second.ok):
            return 1
        stored = s3.cat(f"{bucket}/results/transformed/monsters_by_type1.csv").decode()
        print(f"s3://{bucket}/results/transformed/monsters_by_type1.csv:")
        print(stored)
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
