"""Example step functions used by the pipelines shipped with pipeflow."""
