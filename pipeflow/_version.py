"""The version of pipeflow, in one place, and the name it is installed under."""

__version__ = "0.1.0"

# The distribution on the package index; `pipeflow` there is an unrelated project. The import
# name and the command stay `pipeflow`: `importlib.metadata.version(DISTRIBUTION)` is
# `__version__` once installed.
DISTRIBUTION = "pipeflow-runner"
