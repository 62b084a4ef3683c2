"""Loading and planning pause the cyclic garbage collector, and leave it as they found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.api import preparing
from pipeflow.config import loader
from pipeflow.config.collecting import collector_paused

CONFIG = """\
name: gc
steps:
  a: {run: gcsteps.f}
  b: {run: gcsteps.f, inputs: {x: "${steps.a}"}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "gcsteps.py").write_text("def f(x=0):\n    return x + 1\n", encoding="utf-8")
    path = tmp_path / "pipeline.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture(params=[True, False], ids=["enabled", "disabled"])
def collecting(request: pytest.FixtureRequest) -> Iterator[bool]:
    was = gc.isenabled()
    (gc.enable if request.param else gc.disable)()
    yield request.param
    (gc.enable if was else gc.disable)()


def spy(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Note whether the collector runs while `module.name` is called."""
    seen: list[bool] = []
    original = getattr(module, name)

    def noted(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, noted)
    return seen


def test_loading_and_planning_pause_the_collector_and_restore_it(
    config: Path, collecting: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    loading = spy(monkeypatch, loader, "_load")
    planning = spy(monkeypatch, preparing, "prepare")
    pipe = pipeflow.load(config)
    assert gc.isenabled() is collecting
    decisions = pipe.plan()
    assert gc.isenabled() is collecting
    assert loading == [False]
    assert planning == [False]
    assert len(decisions) == 2
    run = pipe.run(history=False)
    assert run.ok
    assert run.output("b") == 2
    assert gc.isenabled() is collecting


def test_the_collector_comes_back_after_an_error(collecting: bool) -> None:
    inside: list[bool] = []

    def fail() -> None:
        with collector_paused():
            with collector_paused():
                inside.append(gc.isenabled())
            inside.append(gc.isenabled())  # the inner pause does not end the outer one
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fail()
    assert inside == [False, False]
    assert gc.isenabled() is collecting


def test_a_config_with_problems_leaves_the_collector_as_it_was(
    tmp_path: Path, collecting: bool
) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("name: bad\nsteps:\n  a: {runn: x.f}\n", encoding="utf-8")
    with pytest.raises(pipeflow.ConfigError):
        pipeflow.load(path)
    assert gc.isenabled() is collecting


# -- freezing what stays, for a command that loads one config and exits ---------------------

FREEZE_COUNT = """\
import gc, sys
from pipeflow.cli.main import main
sys.argv[0] = "pipeflow"
try:
    main()  # the `pipeflow` command
except SystemExit as exit:
    assert not exit.code, exit.code
finally:
    print("frozen", gc.get_freeze_count(), "collecting", gc.isenabled())
"""


def frozen_after(command: list[str], cwd: Path) -> tuple[int, bool]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FREEZE_COUNT, *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    words = done.stdout.strip().splitlines()[-1].split()
    assert words[0] == "frozen", done.stdout
    assert words[2] == "collecting", done.stdout
    return int(words[1]), words[3] == "True"


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "pipeline.yaml"],
        ["run", "pipeline.yaml", "-q"],
        ["run", "pipeline.yaml", "--dry-run"],
        ["status", "pipeline.yaml"],
    ],
    ids=lambda command: " ".join(command[::2]),
)
def test_a_command_that_loads_one_config_freezes_what_loading_leaves(
    config: Path, command: list[str]
) -> None:
    """What loading leaves alive is never scanned again, and the collector runs after."""
    frozen, collecting = frozen_after(command, config.parent)
    assert frozen > 1000  # the loaded config's objects, at the least
    assert collecting


def test_the_api_freezes_nothing(config: Path, collecting: bool) -> None:
    """A process may load many configs: what the API leaves stays the collector's to scan."""
    before = gc.get_freeze_count()
    pipe = pipeflow.load(config)
    pipe.plan()
    assert pipe.run(history=False).ok
    assert gc.get_freeze_count() == before
    assert gc.isenabled() is collecting


PAUSES = """\
import gc, sys
from pipeflow.config import collecting
from pipeflow.config.collecting import collector_paused

if sys.argv[1] == "off":
    gc.disable()
with collector_paused():  # not frozen: nobody asked
    first = [[n] for n in range(1000)]
print(gc.get_freeze_count(), gc.isenabled())
collecting.freeze_what_stays()
before = gc.get_freeze_count()
with collector_paused():
    with collector_paused():  # inside another: it ends nothing
        kept = [[n] for n in range(1000)]
    print(gc.get_freeze_count() - before, gc.isenabled())
print(gc.get_freeze_count() - before, gc.isenabled())
"""


@pytest.mark.parametrize("state", ["on", "off"])
def test_a_frozen_pause_freezes_what_it_leaves_and_restores_the_collector(state: str) -> None:
    """In a process of its own: freezing is for the whole process, and moving frozen objects
    back (`gc.unfreeze`) would hand the collector a test's leftovers at a random moment."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", PAUSES, state], capture_output=True, text=True, check=True
    )
    (unasked, on_after), (inner, on_inside), (outer, on_end) = (
        line.split() for line in done.stdout.strip().splitlines()
    )
    assert unasked == "0"
    assert on_inside == "False"
    assert int(inner) == 0  # the inner pause froze nothing
    if state == "on":
        assert on_after == on_end == "True"
        assert int(outer) >= 2000  # the lists made inside, and their items
    else:  # a pause that found the collector off is inside another: it freezes nothing
        assert on_after == on_end == "False"
        assert int(outer) == 0
