"""A path input, a `reads:` entry or a file in a folder input that is not a regular file (a
device such as `/dev/zero` or `/dev/null`, a named pipe, a socket) counts by what it is,
never by its content: reading `/dev/zero` to hash it never ends, and reading a named pipe
waits for a writer. Before, `pipeflow run` (and every plan) hung on such a path: a config in
a pull request could hold a CI job until its time ran out."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def use(source):
    return str(source)
"""


def _run(config: Path) -> subprocess.CompletedProcess[str]:
    return pipeflow_in(config.parent, "run", str(config), timeout=60)


@pytest.mark.parametrize("spelling", ["input", "reads", "folder", "glob"])
@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "socket"])
def test_a_special_file_is_never_read_to_fingerprint_it(
    make_project: ProjectFactory, tmp_path: Path, spelling: str, kind: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "plain.txt").write_text("plain")
    if kind == "fifo":
        special = data / "pipe"
        os.mkfifo(special)
    elif kind == "socket":
        special = data / "sock"
        listening = socket.socket(socket.AF_UNIX)
        listening.bind(str(special))
    else:
        special = Path(kind)
        if spelling in ("folder", "glob"):
            (data / "zero").symlink_to(kind)
    step = {
        "input": f"{{run: specialsteps.use, inputs: {{source: '{special}'}}}}",
        "reads": f"{{run: specialsteps.use, inputs: {{source: x}}, reads: ['{special}']}}",
        "folder": f"{{run: specialsteps.use, inputs: {{source: '{data}'}}}}",
        "glob": f"{{run: specialsteps.use, inputs: {{source: '{data}/*'}}}}",
    }[spelling]
    config = make_project(
        f"""
        name: special
        results: {{root: out}}
        steps:
          a: {step}
        """,
        specialsteps=STEPS,
    )
    try:
        first = _run(config)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "a: done in" in first.stdout, first.stdout
        again = _run(config)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "cached" in again.stdout, again.stdout
        if spelling in ("folder", "glob"):  # the folder's regular files still count
            (data / "plain.txt").write_text("changed")
            changed = _run(config)
            assert "cached" not in changed.stdout, changed.stdout
    finally:
        if kind == "socket":
            listening.close()


@pytest.mark.skipif(
    not os.access("/proc/kmsg", os.R_OK), reason="/proc/kmsg is readable by root only"
)
def test_a_kernel_pseudo_file_that_never_ends_is_read_for_its_size_only(
    make_project: ProjectFactory,
) -> None:
    """`/proc/kmsg` is a regular file of size 0 whose read waits for the next kernel
    message: it is hashed for the size `stat` gives, as every file is."""
    config = make_project(
        """
        name: special
        results: {root: out}
        steps:
          a: {run: specialsteps.use, inputs: {source: x}, reads: [/proc/kmsg]}
        """,
        specialsteps=STEPS,
    )
    first = _run(config)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "cached" in _run(config).stdout
