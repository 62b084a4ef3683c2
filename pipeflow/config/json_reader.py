"""A `.json` config or params file read as JSON: `json.loads`'s values (its numbers, its
escapes), each syntax error at its line and column, an int of more digits than Python reads
located (`limits.long_int_problem`). Its positions and other problems come from reading the
same text as YAML (`reader.read_text`), which holds JSON."""

from __future__ import annotations

from typing import Any

from pipeflow.errors import ConfigError, Problem


def read_json(text: str, file: str) -> Any:
    """The values of a .json file as JSON reads them (its numbers, its escapes: a surrogate
    pair is one character). It is read as YAML too, which holds JSON, for the positions of its
    values and what it reports (a duplicate key, NaN); but it must be JSON: YAML would take a
    trailing comma or single quotes a JSON reader refuses."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        hint = (
            "JSON wants double quotes around keys and strings and no comma after the last "
            "item (or name the file .yaml, which takes those)"
        )
        problem = Problem(
            message=f"not valid JSON: {error.msg}",
            file=file,
            line=error.lineno,
            column=error.colno,
            hint=hint,
        )
        raise ConfigError([problem]) from None
    except ValueError:  # an int of more digits than Python reads
        from pipeflow.config.limits import long_int_problem

        long = long_int_problem(text, file)
        if long is None:
            raise
        raise ConfigError([long]) from None
