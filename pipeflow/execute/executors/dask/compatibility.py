"""Client and workers must run the same Python, pipeflow and step packages: checked first.

A step's code is packed on the client and imported on the workers, its values pickled both
ways and its results read back by the client: a different Python (bytecode, pickle), another
pipeflow (the task's and the manifest's shapes) or another version of a package the steps
import (scikit-learn's pickles, pandas' behaviour) would fail late or, worse, differ quietly.
Each mismatch is named, with the worker and both versions, before any step runs.

The key that signs pickled results is compared too: a worker that signs with another key
stores results this machine refuses, so their steps would run again on every run. That is a
warning, not a refusal (a run that stores no pickle does not care).
"""

from __future__ import annotations

import importlib.metadata
import platform
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from pipeflow._version import DISTRIBUTION
from pipeflow.errors import ConfigError, PipeflowWarning, Problem

PYTHON = "Python"
PIPEFLOW = "pipeflow"
SIGNING_KEY = "signing key"  # no version: the key that signs pickled results, by its id


class KeyWarning(PipeflowWarning):
    """Workers sign pickled results with another key than this machine's."""


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
    found[SIGNING_KEY] = _key()
    return found


def _key() -> str:
    """The id of the key this process signs pickled results with, as messages say it."""
    from pipeflow.storage.signing import signing_key

    try:
        key = signing_key(create=False)
    except Exception as error:  # a key that cannot be used: the store will say so
        return f"an unusable key ({error})"
    if key is None:
        return "no key yet (one of its own once it stores a pickle)"
    return f"id {key.id}"


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
    _check_keys(there, workers)


def _check_keys(there: Mapping[str, Mapping[str, str]], workers: str) -> None:
    """KeyWarning when a worker signs pickled results with another key than this machine."""
    from pipeflow.storage.signing import signing_key

    here = _key()
    differ = {  # a worker whose pipeflow says no key is of another version: refused above
        worker: found[SIGNING_KEY]
        for worker, found in sorted(there.items())
        if SIGNING_KEY in found and found[SIGNING_KEY] != here
    }
    if not differ:
        return
    try:
        key = signing_key(create=False)
    except Exception:
        key = None
    origin = f", from {key.origin}" if key is not None else ""
    on = "; ".join(f"{said} on {worker}" for worker, said in differ.items())
    warnings.warn(
        KeyWarning(
            f"{workers} sign pickled results with another key than this machine's ({here} "
            f"here{origin}; {on}): a pickle or joblib result they store is refused here, so "
            "its step runs again on every run; give the workers this machine's key in "
            "PIPEFLOW_SIGNING_KEY (see signed pickles in docs/caching.md)"
        ),
        stacklevel=2,
    )


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
