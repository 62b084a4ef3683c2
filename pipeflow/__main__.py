"""`python -m pipeflow` runs the command line."""

from pipeflow.cli import main

main()
