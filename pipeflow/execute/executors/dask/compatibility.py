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
    # A worker that cannot import pipeflow cannot run `versions`: it answers an error.
    answers: Mapping[str, Any] = client.run(versions, names, on_error="return")
    problems = [
        _unanswered(worker, answer, workers, here[PIPEFLOW])
        for worker, answer in sorted(answers.items())
        if isinstance(answer, BaseException)
    ]
    there = {w: a for w, a in answers.items() if not isinstance(a, BaseException)}
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


def _unanswered(worker: str, error: BaseException, workers: str, version: str) -> Problem:
    """The problem of a worker that could not say its versions: no pipeflow there, most
    often (Dask reports the import error as the text of a plain Exception)."""
    if f"No module named '{PIPEFLOW}'" in str(error):
        return Problem(
            message=(
                f"{PIPEFLOW} differs between this machine and {workers}: {version} here, "
                f"not installed on {worker}"
            ),
            path="executor.address",
            hint=f"install {PIPEFLOW} {version} on the workers (the steps run there)",
        )
    return Problem(
        message=(
            f"{workers} could not say their versions of Python, {PIPEFLOW} and the packages "
            f"the steps import: {type(error).__name__}: {error} on {worker}"
        ),
        path="executor.address",
        hint=f"check that {PIPEFLOW} {version} is installed on the workers and imports there",
    )
