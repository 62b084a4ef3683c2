"""A path given on the command line whose name is longer than the disk takes (a config, a
`--param-file`, `init DIR`, `graph -o`, `--json`, `--junit`) is a usage or config problem
(exit 2) that says so. Before, the first look at it (`exists()`) ended in an OSError traceback
("File name too long")."""

from __future__ import annotations

import pytest

from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def a():\n    return 1\n"
CONFIG = "name: longnames\nsteps:\n  a: {run: lsteps.a}\n"
LONG = "n" * 300


@pytest.mark.parametrize(
    "arguments",
    [
        ("validate", f"{LONG}.yaml"),
        ("run", f"{LONG}.yaml"),
        ("status", f"{LONG}.toml"),
        ("validate", "pipeline.yaml", "--param-file", f"{LONG}.json"),
        ("run", "pipeline.yaml", "--param-file", f"{LONG}.yaml"),
        ("init", LONG),
        ("graph", "pipeline.yaml", "-o", f"{LONG}.svg"),
        ("run", "pipeline.yaml", "--json", f"{LONG}.json"),
        ("run", "pipeline.yaml", "--junit", f"{LONG}.xml"),
    ],
    ids=lambda arguments: " ".join(a if a != LONG and LONG not in a else "LONG" for a in arguments),
)
def test_a_name_too_long_is_refused_with_a_message(
    make_project: ProjectFactory, arguments: tuple[str, ...]
) -> None:
    config = make_project(CONFIG, lsteps=STEPS)
    done = pipeflow_in(config.parent, *arguments)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "file name too long" in done.stderr.lower()
    assert not (config.parent / "out").exists()
