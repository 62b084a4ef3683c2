"""Messages name a value's kind with its article: "returned an int", "is a DataFrame"."""

from __future__ import annotations

import pytest

import pipeflow
from pipeflow.model.words import a_kind
from tests.conftest import ProjectFactory


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("int", "an int"),
        ("OrderedDict", "an OrderedDict"),
        ("DataFrame", "a DataFrame"),
        ("list", "a list"),
        ("", "a "),
    ],
)
def test_a_kind_takes_the_article_of_its_first_letter(kind: str, said: str) -> None:
    assert a_kind(kind) == said


def test_a_step_s_outputs_message_reads_an_int(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: words
        steps:
          x: {run: wordsteps.five, outputs: [a, b], result: false}
        """,
        wordsteps="def five():\n    return 5\n",
    )
    run = pipeflow.load(config).run(history=False)
    assert "declares `outputs:` but returned an int;" in (run.outcomes["x"].error or "")
