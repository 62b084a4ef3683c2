"""The command line: click commands; the one place where exceptions become exit codes."""

from __future__ import annotations

from pipeflow.cli.main import cli, main

__all__ = ["cli", "main"]
