"""The plainest cron expressions are judged without importing croniter (~50 ms), and the
verdict is the one croniter gives: `_plain` never passes what croniter refuses or what never
fires."""

from __future__ import annotations

import subprocess
import sys

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.schedule.cron import _plain, cron_problem

numbers = st.integers(min_value=0, max_value=8).map(str) | st.integers(0, 99).map(str)
plain_items = st.one_of(
    st.just("*"),
    numbers,
    st.tuples(numbers, numbers).map("-".join),
    st.tuples(st.sampled_from(["*", "1-5", "0-59", "3-2", "0-6"]), numbers).map("/".join),
)
other_items = st.one_of(
    st.tuples(numbers, numbers).map("/".join),
    st.sampled_from(["mon", "jan", "L", "5#2", "?", "", "1-", "-1", "*/0", "1-5/2", "07"]),
)
fields = st.lists(plain_items, min_size=1, max_size=3).map(",".join) | st.lists(
    plain_items | other_items, min_size=1, max_size=3
).map(",".join)
expressions = st.tuples(fields, fields, st.just("*") | fields, fields, fields).map(list)


@settings(max_examples=600, deadline=None)
@given(parts=expressions)
def test_plain_expressions_are_ones_croniter_accepts(parts: list[str]) -> None:
    if _plain(parts):
        text = " ".join(parts)
        assert croniter.is_valid(text), text
        assert cron_problem(text) is None


@pytest.mark.parametrize(
    "text",
    ["0 6 * * 1-5", "*/15 * * * *", "0 0 * * *", "5,35 8-18/2 * 1-6 0,6", "0 12 * */3 *"],
)
def test_common_expressions_take_the_plain_path(text: str) -> None:
    assert _plain(text.split())
    assert cron_problem(text) is None


@pytest.mark.parametrize(
    "text", ["0 0 31 2 *", "0 0 * * mon", "0 0 L * *", "0 0 1 * 5#2", "0 0 * jan *", "0 0 1 * *"]
)
def test_other_expressions_are_croniters(text: str) -> None:
    assert not _plain(text.split())


def test_a_plain_cron_check_does_not_import_croniter() -> None:
    code = (
        "import sys\n"
        "from pipeflow.schedule.cron import cron_problem\n"
        "assert cron_problem('0 6 * * 1-5') is None\n"
        "assert cron_problem('0 6 * * 9') is not None\n"
        "print('croniter' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_every_plain_item_of_every_field_is_one_croniter_accepts() -> None:
    candidates = [str(n) for n in range(62)]
    candidates += [f"{a}-{b}" for a in range(14) for b in range(14)]
    candidates += [f"*/{s}" for s in range(62)] + [f"1-6/{s}" for s in range(8)]
    checked = 0
    for index in range(5):
        for item in candidates:
            parts = ["*"] * 5
            parts[index] = item
            if _plain(parts):
                checked += 1
                assert croniter.is_valid(" ".join(parts)), parts
    assert checked > 500
