"""The vocabulary of pipeflow: frozen dataclasses and pure functions, standard library only."""
