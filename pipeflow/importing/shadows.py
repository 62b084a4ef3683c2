"""Project modules named like a standard-library module pipeflow imports.

A config's folder comes first on `sys.path` (`projects.use_project`), so a project file named
like a module of the standard library (`statistics.py`) is what `import statistics` gives,
in the steps as when Python runs a script from that folder. For a module pipeflow itself
imports (`json`, `re`, `threading`, `sysconfig`, ...), that would give pipeflow the project's
file too, and it would fail far from the cause ("module 'json' has no attribute 'dumps'"):
Python's module is imported first and kept (`keep_standard`), for pipeflow and the steps
alike. Built-in and frozen modules (`sys`, `os`) cannot be stood in for, and a folder without
`__init__.py` (`json/` of data files) is a namespace portion, which Python takes only when no
module of the name exists.
"""

from __future__ import annotations

import contextlib
import importlib
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
        "codecs",
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


def keep_standard(folder: str) -> None:
    """Import now each module pipeflow may import later that a project file in `folder` is
    named like (`sysconfig.py`, a package `zoneinfo/`), before the folder goes first on the
    path: Python's module is then the one in `sys.modules`, which every later `import`
    (pipeflow's, a library's, a step's) gets. Those imported already are kept
    (`projects._forgettable`)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.endswith(".py"):
            name = entry.name[:-3]
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
            name = entry.name
        else:
            continue
        if name in PIPEFLOW_IMPORTS and name not in sys.modules and not _fixed(name):
            with contextlib.suppress(ImportError):  # not on this platform (`fcntl`)
                importlib.import_module(name)


def _fixed(name: str) -> bool:
    """Whether the interpreter has the module built in or frozen: no file stands in for it."""
    if name in sys.builtin_module_names:
        return True
    return importlib.machinery.FrozenImporter.find_spec(name) is not None
