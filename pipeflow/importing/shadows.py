"""Project modules that would stand in for a standard-library module pipeflow imports.

A config's folder comes first on `sys.path` (`projects.use_project`), so a project file named
like a module of the standard library (`statistics.py`) is what `import statistics` gives,
in the steps as when Python runs a script from that folder. For a module pipeflow itself
imports (`json`, `re`, `threading`, ...), that would give pipeflow the project's file too,
and it would fail far from the cause ("module 'json' has no attribute 'dumps'"): such a
file is refused when the config is loaded, naming it. Built-in and frozen modules (`sys`,
`os`) cannot be stood in for, and a folder without `__init__.py` (`json/` of data files) is
a namespace portion, which Python takes only when no module of the name exists.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys

# The standard-library modules pipeflow's own source imports (a test keeps the list true).
PIPEFLOW_IMPORTS = frozenset(
    {
        "__future__",
        "_thread",
        "ast",
        "asyncio",
        "atexit",
        "base64",
        "binascii",
        "bisect",
        "builtins",
        "collections",
        "concurrent",
        "contextlib",
        "copy",
        "ctypes",
        "dataclasses",
        "datetime",
        "difflib",
        "enum",
        "errno",
        "fcntl",
        "fnmatch",
        "functools",
        "gc",
        "glob",
        "hashlib",
        "heapq",
        "hmac",
        "html",
        "importlib",
        "inspect",
        "io",
        "ipaddress",
        "itertools",
        "json",
        "keyword",
        "logging",
        "math",
        "multiprocessing",
        "numbers",
        "operator",
        "os",
        "pathlib",
        "pickle",
        "platform",
        "posixpath",
        "pprint",
        "queue",
        "random",
        "re",
        "reprlib",
        "secrets",
        "shlex",
        "shutil",
        "signal",
        "site",
        "socket",
        "sqlite3",
        "stat",
        "string",
        "struct",
        "subprocess",
        "sys",
        "sysconfig",
        "tempfile",
        "threading",
        "time",
        "tomllib",
        "traceback",
        "types",
        "typing",
        "unicodedata",
        "urllib",
        "uuid",
        "warnings",
        "xml",
        "zipfile",
        "zoneinfo",
    }
)


def standing_in(folder: str) -> list[str]:
    """The project files of `folder` (`json.py`, `typing/`) that Python would import in
    place of a standard-library module pipeflow imports, sorted."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name.endswith(".py"):
            name, shown = entry.name[:-3], entry.name
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
            name, shown = entry.name, f"{entry.name}/"
        else:
            continue
        if name in PIPEFLOW_IMPORTS and not _fixed(name):
            found.append(shown)
    return found


def _fixed(name: str) -> bool:
    """Whether the interpreter has the module built in or frozen: no file stands in for it."""
    if name in sys.builtin_module_names:
        return True
    return importlib.machinery.FrozenImporter.find_spec(name) is not None
