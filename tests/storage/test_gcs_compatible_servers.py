"""A GCS-compatible server of the user's (an emulator, fake-gcs-server), named by
`endpoint_url` or by `STORAGE_EMULATOR_HOST`, with gcsfs as installed: gcsfs's default
filesystem asks every bucket's storage layout over gRPC, which only Google answers, and waits
60 s for it at every operation (it does not remember a failed answer). A run of two steps
took minutes, and said "Could not determine bucket type" again and again. pipeflow uses
gcsfs's plain filesystem for such a server: for its results store and for an input that names
a URL there. (The rest of the suite sets
GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false, as `tests/servers.py` says; these tests do not.)"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import fsspec
import pytest

from tests.servers import ObjectStore
from tests.system import pipeflow_in

STEPS = """
def make():
    return [1, 2, 3]


def total(numbers):
    return sum(numbers)


def read(src):
    return src  # its URL: what counts here is that the object's stamp is taken
"""


@pytest.mark.parametrize("named_by", ["endpoint_url", "STORAGE_EMULATOR_HOST"])
def test_a_gcs_compatible_server_answers_at_once(
    named_by: str, gcs_server: ObjectStore, tmp_path: Path
) -> None:
    options = {"token": "anon", "project": "test"}
    env = {"GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "true"}  # gcsfs's own default
    if named_by == "endpoint_url":
        options["endpoint_url"] = gcs_server.endpoint
        env["STORAGE_EMULATOR_HOST"] = ""  # unset, for gcsfs
    else:
        env["STORAGE_EMULATOR_HOST"] = gcs_server.endpoint
    (tmp_path / "gcssteps.py").write_text(STEPS)
    root = gcs_server.unique_url("compatible")
    with fsspec.open(f"{root}-inputs/raw.txt", "w", **gcs_server.storage_options) as file:
        file.write("raw data")  # an input by URL, whose stamp is asked of the server too
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: compatible
            results:
              root: {json.dumps(root)}
              storage_options: {json.dumps(options)}
            steps:
              make: {{run: gcssteps.make}}
              total: {{run: gcssteps.total, inputs: {{numbers: "${{steps.make}}"}}}}
              read: {{run: gcssteps.read, inputs: {{src: "{root}-inputs"}}}}  # a folder
            """
        )
    )
    for expected in ("3 done", "3 cached"):
        # Each operation waited 60 s before: a run took minutes. Now seconds.
        ran = pipeflow_in(tmp_path, "run", str(config), timeout=50, env=env)
        said = ran.stdout + ran.stderr
        assert ran.returncode == 0, said
        assert expected in said, said
        assert "bucket type" not in said, said
