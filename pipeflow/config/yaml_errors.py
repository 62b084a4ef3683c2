"""YAML syntax errors as problems a pipeline author can act on: PyYAML's message in plain
words, where the fix goes (an unclosed string: where it opens), and a hint."""

from __future__ import annotations

import re

import yaml

from pipeflow.errors import Problem

_INDENT_HINT = (
    "YAML nests by indentation: keys of one mapping start in the same column, "
    "and a nested block is indented further than its key (use spaces, not tabs)"
)


def line_and_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def syntax_problem(error: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    context_mark = error.context_mark
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    message, hint = _explain_yaml(problem, context, error, text)
    if "quoted scalar" in context and "end of stream" in problem and context_mark is not None:
        mark = context_mark  # where the string opens is where the fix goes
    if "scanning an a" in context and context_mark is not None:
        mark = context_mark  # an alias or anchor: where the value to quote starts
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return Problem(f"YAML syntax error: {message}", file, line, column, hint=hint)


def _explain_yaml(
    problem: str, context: str, error: yaml.MarkedYAMLError, text: str
) -> tuple[str, str | None]:
    """The YAML message in words a pipeline author can act on, and a hint."""
    opened = ""
    if error.context_mark is not None:
        opened = f" (opened at line {error.context_mark.line + 1})"
    if "mapping values are not allowed" in problem:
        return "a `:` is not allowed here", (
            "check the indentation of this line and the line above; "
            "quote a value that contains ': ' (e.g. `description: 'a: b'`)"
        )
    if "could not find expected ':'" in problem:
        return "a key is missing its `:`", "write `key: value`; " + _INDENT_HINT
    if (
        "expected <block end>" in problem
        or "did not find expected key" in problem
        or "did not find expected '-'" in problem
    ):
        return "this line is not indented like the lines around it", _INDENT_HINT
    if "cannot start any token" in problem:
        index = error.problem_mark.index if error.problem_mark is not None else -1
        character = text[index] if 0 <= index < len(text) else ""
        if character == "\t":
            return "a tab is used for indentation; YAML allows only spaces", (
                "replace the tab with spaces"
            )
        shown = f"`{character}`" if character.strip() else "this character"
        return f"a value cannot start with {shown}", "quote the value, e.g. `'@value'`"
    if "end of stream" in problem and "quoted scalar" in context:
        return "a quoted string is never closed", "add the closing quote"
    if "scanning an alias" in context or "scanning an anchor" in context:
        mark = error.context_mark
        start = mark.index if mark is not None else len(text)
        line = text[start:].split("\n", 1)[0]
        value = re.split(r"[,}\]]| #", line, maxsplit=1)[0].strip() or "*"
        quoted = "'" + value.replace("'", "''") + "'"
        return f"a value cannot start with `{value[0]}` unquoted (YAML reads it as an alias)", (
            f"quote the value: {quoted} (a cron expression starting with `*` needs quotes)"
        )
    if "undefined alias" in problem:
        index = error.problem_mark.index if error.problem_mark is not None else -1
        found = re.match(r"\*([^\s,\[\]{}]+)", text[index:]) if index >= 0 else None
        name = found.group(1) if found else "name"
        return f"the alias `*{name}` refers to no anchor", (
            f"mark the value to reuse with `&{name}` before this line"
        )
    if "another document" in problem:
        return "the file holds more than one YAML document", (
            "a pipeline or params file holds one document: remove the second `---`"
        )
    if "',' or ']'" in problem:
        return f"a `[...]` list is not closed or misses a comma{opened}", (
            "separate items with `,` and close the list with `]`"
        )
    if "',' or '}'" in problem:
        return f"a `{{...}}` mapping is not closed or misses a comma{opened}", (
            "separate entries with `,` and close the mapping with `}`"
        )
    message = problem or "the text is not valid YAML"
    if context:
        message = f"{message} ({context}{opened})"
    hint = _INDENT_HINT if "indent" in message or "block" in message else None
    return message, hint
