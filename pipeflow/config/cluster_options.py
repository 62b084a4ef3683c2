"""`executor.cluster.options`: no option that makes Dask run or import code named by text.

A cluster class takes its options as keyword arguments, and some of them run code: a
`preload` (module, file or Python source run on every scheduler, worker or nanny), a class or
plugin named by dotted path (`worker_class`, `scheduler_class`, a spec's `cls`, `plugins`,
`extensions`), Dask's own config passed to the processes (whose `preload` does the same), an
environment variable a process loads code from (`LD_PRELOAD`, `PYTHONPATH`, `DASK_*`) or a
`--preload` argument on a worker's command line. These are refused at any depth of `options`
(`scheduler_kwargs`, `worker_kwargs`, a spec's `options`), in every spelling (`preload-argv`, a
dotted config key), unless each value is a dotted name listed in `allow_imports`. Options whose
text a cluster class runs as shell commands (`SHELL_OPTIONS`: dask-jobqueue's job script, an
SSH cluster's remote Python, a cloud VM's boot script) are refused whatever `allow_imports`
says. A config is data (SPEC 10).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pipeflow.config.reader import Fail
from pipeflow.model.nesting import DEEPEST
from pipeflow.model.pipeline import Pipeline

# Options whose value Dask imports or runs as code.
CODE_OPTIONS = frozenset(
    {
        "preload",
        "preload_argv",
        "preload_nanny",
        "preload_nanny_argv",
        "worker_class",
        "scheduler_class",
        "nanny_class",
        "cls",
        "class",
        "plugins",
        "extensions",
        "security_loader",
    }
)
# Options whose text a cluster class runs as shell commands, or as the program that starts a
# process: dask-jobqueue's job script (its prologue, `env_extra` as a list of lines, the
# `python` and `shebang` it writes, the module a job runs), the arguments it adds to
# `sbatch`/`scancel`, an SSH cluster's remote Python, a cloud VM's boot script.
SHELL_OPTIONS = frozenset(
    {
        "job_script_prologue",
        "env_extra",
        "python",
        "shebang",
        "worker_command",
        "submit_command_extra",
        "cancel_command_extra",
        "remote_python",
        "extra_bootstrap",
        "user_data",
    }
)
SHELL_HINT = (
    "remove it: a config may not give a cluster shell commands to run; set it in Dask's own "
    "configuration on this machine, which a pipeline config cannot change (for dask-jobqueue, "
    "`~/.config/dask/jobqueue.yaml`: `jobqueue.slurm.job-script-prologue`, `python`, ...)"
)
# Options that hand Dask's config or a process environment on: walked for the names above
# (a config's `distributed.worker.preload`) and for variables a process loads code from.
ENVIRONMENTS = frozenset({"env", "pre_spawn_environ", "environ", "env_vars", "env_extra"})
CODE_VARIABLES = re.compile(
    r"^(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|DYLD_.*|PYTHON(PATH|HOME|STARTUP|USERBASE|"
    r"INSPECT|EXECUTABLE|PLATLIBDIR|SAFEPATH)|DASK_.*)$",
    re.IGNORECASE,
)
# Dask's own process classes, harmless by name (a spec's `cls`, `worker_class`).
DASK_CLASSES = frozenset(
    {
        "distributed.Worker",
        "distributed.Nanny",
        "distributed.Scheduler",
        "distributed.worker.Worker",
        "distributed.nanny.Nanny",
        "distributed.scheduler.Scheduler",
    }
)
DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
HINT = (
    "remove it: a config may not give Dask code to run; to preload a module or name a class "
    "by dotted path, list that path in `allow_imports`"
)


def check_cluster_options(pipeline: Pipeline, fail: Fail) -> None:
    """Refuse every option of `executor.cluster.options` that makes Dask run code."""
    cluster = pipeline.executor.cluster
    if cluster is None:
        return
    _walk(cluster.options, ["executor", "cluster", "options"], pipeline.allow_imports, fail, 0)


def option_name(key: str) -> str:
    """`preload-argv`, `Preload_Argv`, `distributed.worker.preload` -> `preload_argv`..."""
    return key.rsplit(".", 1)[-1].replace("-", "_").lower()


def _walk(
    value: Any, path: list[str | int], allowed: Sequence[str], fail: Fail, depth: int
) -> None:
    if depth > DEEPEST:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = [*path, str(key)]
            name = option_name(str(key))
            if name in CODE_OPTIONS and not _allowed(item, allowed):
                fail(here, f"`{key}` makes Dask run or import code named in the config", HINT)
            elif name in SHELL_OPTIONS and not _empty(item) and not isinstance(item, Mapping):
                fail(
                    here,
                    f"`{key}` makes the cluster run shell commands the config names",
                    SHELL_HINT,
                )
            elif name in ENVIRONMENTS and isinstance(item, Mapping):
                for variable in item:
                    if CODE_VARIABLES.match(str(variable)):
                        fail(
                            [*here, str(variable)],
                            f"the environment variable `{variable}` makes a Dask process "
                            "load code named in the config",
                            "remove it: a config may not give Dask code to run",
                        )
                _walk(item, here, allowed, fail, depth + 1)
            else:
                _walk(item, here, allowed, fail, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, [*path, index], allowed, fail, depth + 1)
    elif isinstance(value, str) and value.strip().lower().startswith("--preload"):
        fail(path, f"`{value.strip()}` makes a Dask worker run code named in the config", HINT)


def _empty(value: Any) -> bool:
    return value is None or value in ([], (), {}, "")


def _allowed(value: Any, allowed: Sequence[str]) -> bool:
    """Empty, or every entry a dotted name `allow_imports` lists (no source, no file)."""
    if _empty(value):
        return True
    items = value if isinstance(value, list | tuple) else [value]
    return all(_named(item, allowed) for item in items)


def _named(item: Any, allowed: Sequence[str]) -> bool:
    if not isinstance(item, str) or DOTTED.match(item) is None:
        return False
    return item in DASK_CLASSES or any(
        item == entry or item.startswith(entry + ".") for entry in allowed
    )
