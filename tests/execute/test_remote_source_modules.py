"""Code outside the project folder that no installer copied (a folder on PYTHONPATH, a checkout
installed with `pip install -e` beside a config in a subfolder) counts in the steps' cache keys
by its source, so it travels with the run to workers that share no filesystem, as the
project's modules do (SPEC section 14): the workers run this machine's code, not a copy of
their own, and do not need one.

A real `dask scheduler` and a worker in its own mount namespace (where the folder holding the
projects is hidden) whose PYTHONPATH holds older copies of the same modules, as a worker image
built from an older checkout would; results on moto's S3 server.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.execute.test_remote_cluster import Processes, _client, processes
from tests.servers import ObjectStore, free_port
from tests.system import pipeflow_in

__all__ = ["processes"]  # the module's cluster processes, stopped after its tests

OLD_LIB = "def f():\n    return 41  # the copy the worker image has\n"
LIB = "def f():\n    return {value}\n"
PACKAGE_INIT = "from .core import base\n"
PACKAGE_CORE = "def base():\n    return {value}\n"


def _metadata(site: Path, name: str, version: str) -> None:
    """The metadata that makes the module `name` in `site` an installed distribution."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "top_level.txt").write_text(f"{name}\n")
    (info / "RECORD").write_text(f"{name}.py,,\n{info.name}/METADATA,,\n")


@dataclass
class Cluster:
    address: str
    hidden: Path  # where the projects live: the worker cannot see it
    store: ObjectStore


@pytest.fixture(scope="module")
def cluster(
    processes: Processes, s3_server: ObjectStore, tmp_path_factory: pytest.TempPathFactory
) -> Cluster:
    hidden = tmp_path_factory.mktemp("laptop-source")
    image = tmp_path_factory.mktemp("worker-image")  # the worker sees it; older code
    (image / "outlib.py").write_text(OLD_LIB)
    _metadata(image, "outlib", "1.0")  # installed there, as a worker image has it
    (image / "outpkg").mkdir()
    (image / "outpkg" / "__init__.py").write_text(PACKAGE_INIT)
    (image / "outpkg" / "core.py").write_text(PACKAGE_CORE.format(value=1))
    address = processes.scheduler(free_port())
    processes.worker(address, hidden, env={**os.environ, "PYTHONPATH": str(image)})
    _client(address, 1, processes).close()
    return Cluster(address, hidden, s3_server)


def _layout(cluster: Cluster, shape: str) -> tuple[Path, Path, str]:
    """(config, the folder on PYTHONPATH with the code, the shape)."""
    repo = Path(tempfile.mkdtemp(prefix=f"{shape}-", dir=cluster.hidden))
    if shape == "pythonpath":  # a library folder beside the project, on PYTHONPATH
        project, outside = repo / "project", repo / "libs"
        step = "import outlib\n\n\ndef g():\n    return outlib.f() + 1\n"
    else:  # a checkout's `src/` (as `pip install -e` leaves it), the config in a subfolder
        # or (`src`) at the checkout's top, the package below it on a path of its own
        project = repo / "pipelines" if shape == "checkout" else repo
        outside = repo / "src"
        step = "def g():\n    import outpkg\n\n    return outpkg.base() + 1\n"
    (project / "steps").mkdir(parents=True)
    (project / "steps" / "__init__.py").write_text("")
    (project / "steps" / "use.py").write_text(step)
    outside.mkdir(parents=True, exist_ok=True)
    config = project / "pipeline.yaml"
    endpoint = cluster.store.storage_options["client_kwargs"]["endpoint_url"]
    config.write_text(
        textwrap.dedent(
            f"""\
            name: outside
            results:
              root: "{cluster.store.unique_url(shape)}"
              storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}
            executor: {{type: dask, address: "{cluster.address}"}}
            steps:
              g: {{run: steps.use.g}}
            """
        )
    )
    return config, outside, shape


def _write(outside: Path, shape: str, value: int) -> None:
    if shape == "pythonpath":
        (outside / "outlib.py").write_text(LIB.format(value=value))
    else:
        (outside / "outpkg").mkdir(exist_ok=True)
        (outside / "outpkg" / "__init__.py").write_text(PACKAGE_INIT)
        (outside / "outpkg" / "core.py").write_text(PACKAGE_CORE.format(value=value))


def _stored(config: Path, env: dict[str, str]) -> str:
    shown = pipeflow_in(config.parent, "result", config.name, "g", "--show", env=env)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    return shown.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("shape", ["pythonpath", "checkout", "src"])
def test_code_outside_the_project_travels_and_its_edits_run(cluster: Cluster, shape: str) -> None:
    config, outside, shape = _layout(cluster, shape)
    env = {"PYTHONPATH": str(outside)}
    _write(outside, shape, 99)
    ran = pipeflow_in(config.parent, "run", config.name, env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert _stored(config, env) == "100"  # this machine's code ran, not the worker's copy
    # An edit here changes the key, and the new code runs there.
    _write(outside, shape, 7)
    ran = pipeflow_in(config.parent, "run", config.name, env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "g: done" in ran.stdout
    assert _stored(config, env) == "8"


@pytest.mark.parametrize("where", ["project", "outside"])
def test_what_a_packages_init_imports_travels_with_a_submodule(
    cluster: Cluster, where: str
) -> None:
    """A step imports `pkg.core` only; importing it runs `pkg/__init__.py`, which imports
    `pkg.extra`: the worker needs that too, the project's package or one outside it."""
    repo = cluster.hidden / f"init-{where}"
    project = repo / "project"
    outside = repo / "libs"
    package = (project if where == "project" else outside) / f"initpkg_{where}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from .extra import EXTRA\n")
    (package / "extra.py").write_text("EXTRA = 5\n")
    (package / "core.py").write_text("def base():\n    return 10\n")
    (project / "steps").mkdir(parents=True, exist_ok=True)
    (project / "steps" / "__init__.py").write_text("")
    (project / "steps" / "use.py").write_text(
        f"from {package.name}.core import base\n\n\ndef g():\n    return base() + 1\n"
    )
    endpoint = cluster.store.storage_options["client_kwargs"]["endpoint_url"]
    config = project / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name: inits
            results:
              root: "{cluster.store.unique_url(where)}"
              storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}
            executor: {{type: dask, address: "{cluster.address}"}}
            steps:
              g: {{run: steps.use.g}}
            """
        )
    )
    env = {"PYTHONPATH": str(outside)}
    ran = pipeflow_in(project, "run", config.name, env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert _stored(config, env) == "11"


def test_a_module_an_earlier_run_sent_is_not_what_a_later_project_imports(
    cluster: Cluster,
) -> None:
    """Project A sends its own `outlib` (a folder on its PYTHONPATH); project B imports the
    `outlib` installed on both machines (the same version: B's key counts that version). On
    the same worker after A, B runs the installed `outlib`, not A's."""
    first, _, shape = _layout(cluster, "pythonpath")
    first_env = {"PYTHONPATH": str(first.parent.parent / "libs")}
    _write(first.parent.parent / "libs", shape, 99)
    second = cluster.hidden / "installed"
    (second / "steps").mkdir(parents=True)
    (second / "steps" / "__init__.py").write_text("")
    (second / "steps" / "use.py").write_text(
        "import outlib\n\n\ndef g():\n    return outlib.f() + 1\n"
    )
    site = cluster.hidden / "installed-site"
    site.mkdir()
    (site / "outlib.py").write_text(OLD_LIB)
    _metadata(site, "outlib", "1.0")
    (second / "pipeline.yaml").write_text(
        first.read_text().replace(cluster.store.url, cluster.store.unique_url("installed"))
    )
    second_env = {"PYTHONPATH": str(site)}
    for config, env, value in (
        (first, first_env, "100"),
        (second / "pipeline.yaml", second_env, "42"),
    ):
        ran = pipeflow_in(config.parent, "run", config.name, "--force", env=env)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert _stored(config, env) == value, config
