"""The version of pipeflow, in one place."""

__version__ = "0.1.0"
