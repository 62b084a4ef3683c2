"""What a refused command says it did not do. Every command's usage or config error ended
"N problems found; nothing was run.", also `gc` and `runs prune`, which delete, `accept`,
which changes the store, and `init` and `graph`, which write files: "nothing was run" did not say
whether anything had been deleted or written. Each says what it did not do now; `run`,
`validate` and the commands that only read keep "nothing was run"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def a():\n    return 1\n"
CONFIG = "name: footer\nsteps:\n  a: {run: fsteps.a}\n"
BROKEN = "name: footer\nsteps:\n  a: {run: fsteps.a, retires: 2}\n"


@pytest.mark.parametrize(
    ("arguments", "broken", "footer"),
    [
        (("gc", "pipeline.yaml", "--older-than", "1w"), False, "nothing was deleted."),
        (("gc", "pipeline.yaml"), True, "nothing was deleted."),
        (("runs", "prune", "--older-than", "1w"), False, "nothing was deleted."),
        (("runs", "prune"), False, "nothing was deleted."),
        (("accept", "pipeline.yaml", "nosuch"), False, "nothing was changed."),
        (("accept", "pipeline.yaml", "a"), True, "nothing was changed."),
        (("init", ".", "--step", "a b"), False, "nothing was written."),
        (("init", "new", "--name", "bad name!"), False, "nothing was written."),
        (("graph", "pipeline.yaml", "-o", "."), False, "nothing was written."),
        (("graph", "pipeline.yaml", "-o", "g.svg"), True, "nothing was written."),
        (("run", "pipeline.yaml"), True, "nothing was run."),
        (("run", "pipeline.yaml", "--only", "nosuch"), False, "nothing was run."),
        (("validate", "pipeline.yaml"), True, "nothing was run."),
        (("status", "pipeline.yaml"), True, "nothing was run."),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else str(value),
)
def test_a_refused_command_says_what_it_did_not_do(
    make_project: ProjectFactory, arguments: tuple[str, ...], broken: bool, footer: str
) -> None:
    config = make_project(BROKEN if broken else CONFIG, fsteps=STEPS)
    folder: Path = config.parent
    refused = pipeflow_in(folder, *arguments)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert last.endswith(f"found; {footer}"), refused.stderr
