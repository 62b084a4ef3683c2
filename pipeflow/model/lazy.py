"""A package's names imported from their modules on first use (PEP 562).

A package whose `__init__` imports every module makes importing one light module of it import
them all; with `__getattr__, __dir__ = lazy_exports(__name__, HOMES)` the package imports
nothing itself, and `from package import Name` imports only Name's module (HOMES: name ->
module within the package), once: the value is then kept in the package's namespace."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose names live in `homes`."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{home}"), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
