"""Step modules import without error: checked at validation, remembered while unchanged.

A module-level `raise`, an `import` of a missing package or a NameError at import time would
otherwise pass `validate` and fail the run. Importing every step module on every `validate`
would make it slow (the Iris steps import pandas and scikit-learn), so a project module that
a `run:` path names is imported only when its code fingerprint differs from the last one that
imported cleanly. The fingerprint (`CodeFingerprinter.module_fingerprint`) covers the
module's source, the project modules it imports (transitively), the `__init__` files of the
packages above each of them and what those import, and the packages they import (where each
is installed, and the size and time of its file: a reinstall or an upgrade changes them),
plus the Python version.

Verdicts live in `.pipeflow/import-checks.json` beside the config, like the file hashes. A
failure is never remembered: it is reported until it is fixed. The file only saves time; a
missing, damaged or forged one costs an import, or at worst hides an import error until the
run — it never lets a `run:` path through the allow rule, which does not read it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from pipeflow.cache.code import CodeFingerprinter
from pipeflow.importing import ImportProblem
from pipeflow.model import jsontext

CHECKS_FILE = ".pipeflow/import-checks.json"
_VERSION = 1


class ImportChecks:
    """Which project modules import cleanly, remembered by code fingerprint."""

    def __init__(self, project_dir: str, import_module: Callable[[str], ModuleType]) -> None:
        self.path = Path(project_dir) / CHECKS_FILE
        self._import = import_module
        self._fingerprints = CodeFingerprinter(project_dir, package_versions=False)
        self._verdicts = self._read()
        self._changed = False

    def check(self, module: str) -> ImportProblem | None:
        """Import `module` unless its code is what imported cleanly last time."""
        fingerprint = self._fingerprint(module)
        if fingerprint is not None and self._verdicts.get(module) == fingerprint:
            return None
        try:
            self._import(module)
        except ImportProblem as problem:
            if self._verdicts.pop(module, None) is not None:
                self._changed = True
            return problem
        if fingerprint is not None:
            self._verdicts[module] = fingerprint
            self._changed = True
        return None

    def save(self) -> None:
        """Write the verdicts back; failing to is never an error (it only costs time)."""
        if not self._changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            document = {"version": _VERSION, "modules": dict(sorted(self._verdicts.items()))}
            temporary.write_text(jsontext.dumps(document, indent=1) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
            self._changed = False
        except OSError:
            pass

    def _fingerprint(self, module: str) -> str | None:
        found = self._fingerprints.module_fingerprint(module)
        if found is None:
            return None  # no source to fingerprint (a compiled module): always import it
        python = ".".join(str(part) for part in sys.version_info[:3])
        return f"{python}:{found.digest}"

    def _read(self) -> dict[str, str]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("version") != _VERSION:
            return {}
        modules = document.get("modules")
        if not isinstance(modules, dict):
            return {}
        return {str(k): v for k, v in modules.items() if isinstance(v, str)}
