"""Client and workers must run the same Python, pipeflow and step packages: checked first.

A step's code is packed on the client and imported on the workers, its values pickled both
ways and its results read back by the client: a different Python (bytecode, pickle), another
pipeflow (the task's and the manifest's shapes) or another version of a package the steps
import (scikit-learn's pickles, pandas' behaviour) would fail late or, worse, differ quietly.
Each mismatch is named, with the worker and both versions, before any step runs.
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Mapping, Sequence
from typing import Any

from pipeflow._version import DISTRIBUTION
from pipeflow.errors import ConfigError, Problem

PYTHON = "Python"
PIPEFLOW = "pipeflow"


def versions(distributions: Sequence[str]) -> dict[str, str]:
    """This process's Python (major.minor), pipeflow and distributions (runs on each worker)."""
    import pipeflow._version

    found = {
        PYTHON: ".".join(platform.python_version_tuple()[:2]),
        PIPEFLOW: pipeflow._version.__version__,
    }
    for name in distributions:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def check_workers(client: Any, packages: Mapping[str, str], workers: str) -> None:
    """ConfigError naming every version on a worker that differs from this machine's;
    `workers` names them in messages ("the Dask workers at `tcp://...`")."""
    names = sorted(set(packages) - {PYTHON, PIPEFLOW, DISTRIBUTION})
    here = versions(names)
    here.update({name: version for name, version in packages.items() if name in names})
    there: Mapping[str, Mapping[str, str]] = client.run(versions, names)
    problems: list[Problem] = []
    for what in (PYTHON, PIPEFLOW, *names):
        differ = {
            worker: found.get(what, "unknown")
            for worker, found in sorted(there.items())
            if found.get(what, "unknown") != here[what]
        }
        if not differ:
            continue
        on = ", ".join(f"{version} on {worker}" for worker, version in differ.items())
        problems.append(
            Problem(
                message=(
                    f"{what} differs between this machine and {workers}: {here[what]} here, {on}"
                ),
                path="executor.address",
                hint=f"install {what} {here[what]} on the workers (or the workers' version here)",
            )
        )
    if problems:
        raise ConfigError(problems)
