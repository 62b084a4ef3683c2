"""Shared fixtures: small throw-away projects and a copy of the Iris example."""

from __future__ import annotations

import compileall
import os
import shutil
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

ProjectFactory = Callable[..., Path]


def pytest_configure(config: pytest.Config) -> None:
    """Compile pipeflow's and the suite's bytecode once, before any test starts a process.

    With PYTHONDONTWRITEBYTECODE set (as on CI's machines) and a fresh checkout, nothing else
    writes it: every `pipeflow` a test starts would compile the whole package from source again,
    about 0.2 s of CPU each, which the suite's hundreds of commands turned into minutes.
    compileall writes it whatever that variable says, as pip does for installed packages. Once,
    in the controlling process: xdist's workers find it written."""
    if hasattr(config, "workerinput"):
        return
    for folder in ("pipeflow", "tests"):
        compileall.compile_dir(REPO / folder, quiet=2)  # a read-only checkout: silently none


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one test process more than the machine has cores (up to `--maxprocesses`).

    Many tests spend much of their time waiting, not computing: for a `pipeflow` process they
    started, a test server, a Dask cluster's workers, a schedule's clock or a timeout. With a
    process per core, a core idles while its test waits; on two cores a third process took
    a fifth off the cache tests' time (304 s to 246 s), all passing."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session", autouse=True)
def _isolated_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """pipeflow's per-user folders, the signing key file among them, live in a folder of the
    test session, never in the real home: XDG_CONFIG_HOME points there, and no key comes from
    the environment. Set in os.environ for the whole session, so that worker processes (the
    process pool's server, Dask clusters shared by a module) find the same key file."""
    config_home = tmp_path_factory.mktemp("xdg-config")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(config_home))
        patch.delenv("PIPEFLOW_SIGNING_KEY", raising=False)
        yield config_home


# The suite's processes take Ctrl-C as a terminal's foreground job does, even when the suite
# is started in the background (`pytest &`, `nohup`), where the shell ignores SIGINT: an ignored
# SIGINT is inherited by every process a test starts, and the tests of Ctrl-C send it to them.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _signal_state() -> tuple[object, bool, str]:
    """How this process takes Ctrl-C: SIGINT's handler, whether the main thread blocks it, and
    (on Linux) the kernel's own masks, which also see a handler set outside Python's module."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
        kernel = " ".join(line for line in status if line.startswith(("SigIgn", "SigBlk")))
    except OSError:
        kernel = ""
    return (
        signal.getsignal(signal.SIGINT),
        signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []),
        kernel,
    )


@pytest.fixture(autouse=True)
def _ctrl_c_left_as_it_was() -> Iterator[None]:
    """A test leaves Ctrl-C as it found it. An ignored or blocked SIGINT is inherited by every
    process a later test starts on the same worker, whose Ctrl-C would then do nothing."""
    before = _signal_state()
    yield
    after = _signal_state()
    if after != before:
        signal.signal(signal.SIGINT, before[0])  # type: ignore[arg-type]
        if before[1] != after[1]:
            signal.pthread_sigmask(
                signal.SIG_BLOCK if before[1] else signal.SIG_UNBLOCK, [signal.SIGINT]
            )
        pytest.fail(f"the test changed how SIGINT is taken: {before} -> {after}")


@pytest.fixture(autouse=True)
def _our_test_modules_kept() -> Iterator[None]:
    """A test that loads a project in this process leaves the suite's own modules in place.
    Loading a project forgets the modules named like its top-level files and folders, to
    import them afresh (`importing/projects.py`): the starter project `pipeflow init` writes
    has a `tests` folder, and loading it dropped `tests.*`, so a later test on the same worker
    pickled a class or function of the suite's that was no longer the one its module held."""
    ours = {n: m for n, m in sys.modules.items() if n == "tests" or n.startswith("tests.")}
    yield
    for name, module in ours.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module


@pytest.fixture(autouse=True)
def _not_on_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the same output on GitHub Actions as elsewhere: no `::error` annotations
    unless a test asks for them by setting GITHUB_ACTIONS itself."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write a config and step modules into a fresh folder; returns the config's path."""

    def make(config: str, *, name: str = "pipeline.yaml", **modules: str) -> Path:
        for module, code in modules.items():
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
        path = tmp_path / name
        path.write_text(textwrap.dedent(config), encoding="utf-8")
        return path

    return make


@pytest.fixture
def iris_project(tmp_path: Path) -> Path:
    """A copy of the repository's Iris example: config, params, steps and data."""
    target = tmp_path / "iris"
    target.mkdir()
    for name in ("pipeline.yaml", "pipeline.toml"):
        shutil.copy(REPO / name, target / name)
    for folder in ("params", "steps"):
        shutil.copytree(
            REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    (target / "data" / "raw").mkdir(parents=True)
    shutil.copy(REPO / "data" / "raw" / "iris.csv", target / "data" / "raw" / "iris.csv")
    return target
