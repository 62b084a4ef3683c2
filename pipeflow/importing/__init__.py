"""Dotted paths to callables: resolving them, the import allow-list, and signature checks.

A config names code (`steps.iris.load_data` or `pkg.module:Class.method`); it never holds
code. This module turns such a path into the callable, refuses modules outside the project
unless the config lists them under `allow_imports`, and checks that a step's inputs fit the
callable's parameters. To keep `pipeflow validate` fast, signatures of plain top-level
functions are read from the module's source with `ast`, so a step module that imports pandas
or scikit-learn is not imported just to be validated.
"""

from __future__ import annotations

from pipeflow.importing.paths import ImportProblem, split_path
from pipeflow.importing.projects import add_project, use_project
from pipeflow.importing.resolve import (
    Resolver,
    call_with,
    check_allowed,
    load_callable,
    signature_of,
)
from pipeflow.importing.signatures import Parameter, Signature, signature_from_callable

__all__ = [
    "ImportProblem",
    "Parameter",
    "Resolver",
    "Signature",
    "add_project",
    "call_with",
    "check_allowed",
    "load_callable",
    "signature_from_callable",
    "signature_of",
    "split_path",
    "use_project",
]
