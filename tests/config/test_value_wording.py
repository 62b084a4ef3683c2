"""Messages name a value's kind as words: `null` for YAML's null (not "a NoneType"), and the
right article before a type pipeflow has no word for ("an int64", not "a int64")."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import pipeflow
from tests.system import pipeflow_in as pipeflow_cli

CONFIG = """\
name: p
params: {items: null, seed: 1, kinds: [a]}
steps:
  a: {run: st.e.echo, foreach: "${params.items}", as: v}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def echo(v):\n    return v\n")
    (tmp_path / "p.yaml").write_text(CONFIG)
    return tmp_path


def test_a_null_is_called_null(project: Path) -> None:
    result = pipeflow_cli(project, "validate", "p.yaml")
    assert result.returncode == 2
    assert "`foreach` must be a list (or a reference to one), got null\n" in result.stderr
    assert "NoneType" not in result.stderr


@pytest.mark.parametrize(
    ("value", "said"),
    [
        # A numpy number is the Python number it holds (`test_api_params.py`).
        (np.float32(3), "got a number (3.0)"),
        (np.int64(3), "got an int (3)"),
        (Ellipsis, "got an ellipsis (Ellipsis)"),
        (Decimal("3"), "got a Decimal (Decimal('3'))"),
        ((1, 2), "got a tuple ((1, 2))"),
    ],
)
def test_a_type_without_a_word_has_the_right_article(
    project: Path, value: object, said: str
) -> None:
    (project / "p.yaml").write_text(CONFIG.replace('"${params.items}"', "[1]"))
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(project / "p.yaml", params={"kinds": value})
    assert f"param `kinds` is a list (['a']) in the defaults; {said}" in str(raised.value)
