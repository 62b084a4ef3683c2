"""Plain step functions for the invalid-config golden tests (tests/config/test_invalid_configs.py).

Nothing here imports pipeflow. `write_marker` writes a file when called: validation must never
call it.
"""

from pathlib import Path

NOT_CALLABLE = 3
MARKER = Path(__file__).with_name("MARKER_WRITTEN_BY_A_STEP")


def load(path: str) -> list:
    return [path]


def split(rows: list) -> dict:
    half = len(rows) // 2
    return {"train": rows[:half], "test": rows[half:]}


def count(rows: list, limit: int = 10) -> int:
    return min(len(rows), limit)


def total(values: list) -> int:
    return sum(values)


def write_marker(text: str = "ran") -> str:
    MARKER.write_text(text, encoding="utf-8")
    return text
