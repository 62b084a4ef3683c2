"""Dotted paths to callables: the allow rule, resolving, loading, and signature checks.

A config names code (`steps.iris.load_data` or `pkg.module:Class.method`); it never holds
code. This package decides which paths a config may name (`allow.py`: project modules, the
modules `allow_imports` lists, pipeflow's documented steps; a walk only through what those
modules define), without importing anything it refuses (`locate.py`); resolves paths at
validation (`resolve.py`, from source where it can: `definitions.py`, `signatures.py`); and
loads the callable on the worker, checking the rule again (`loading.py`). `projects.py`
puts project folders on `sys.path`, and forgets their modules when a file of theirs changed
since it was imported (`refresh_projects`, before each run); `builtins.py` is the registry of
pipeflow's own steps; `classes.py` tells from source whether `executor.cluster.class` names a
cluster class.
"""

from __future__ import annotations

from pipeflow.importing.builtins import READS_OTHER_RESULTS, builtin_step
from pipeflow.importing.loading import import_module, load_callable
from pipeflow.importing.paths import ImportProblem, split_path
from pipeflow.importing.projects import (
    add_project,
    refresh_projects,
    remember_imported,
    use_project,
)
from pipeflow.importing.resolve import Resolved, Resolver
from pipeflow.importing.signatures import Parameter, Signature, signature_from_callable

__all__ = [
    "READS_OTHER_RESULTS",
    "ImportProblem",
    "Parameter",
    "Resolved",
    "Resolver",
    "Signature",
    "add_project",
    "builtin_step",
    "import_module",
    "load_callable",
    "refresh_projects",
    "remember_imported",
    "signature_from_callable",
    "split_path",
    "use_project",
]
