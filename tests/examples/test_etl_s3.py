"""The ETL example runs from its README line against a real local S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_etl_example_script(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["ETL_BUCKET"] = "etl-test"
    done = subprocess.run(
        [sys.executable, "examples/etl_s3/run_example.py"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # The bucket comes from `${env.ETL_BUCKET}`: pipeflow shows it as `***`, like any
    # value from the environment.
    assert "extract | extracted 200 rows from s3://***/raw/monsters.csv" in output
    assert "2 steps (2 cached)" in output
    table = output.split("monsters_by_type1.csv:\n", 1)[1].splitlines()
    assert table[0] == "type1,hp,attack,defense,speed"
    assert sorted(row.split(",")[0] for row in table[1:6]) == [
        "electric",
        "fire",
        "grass",
        "rock",
        "water",
    ]
