"""Each problem of a `reads:`/`writes:` entry is reported at that entry, even when an entry
before it in the same list is a mistake of another kind (not a string, a broken reference).

The model keeps only the entries it could read, so an entry's place in it is not its place
in the file: `writes: [5, "../x"]` reported the 5 at `writes[0]` and `../x` at `writes[0]`
too, where the two reports merged into one and `../x` was never mentioned; with more entries,
a problem was told at its neighbour's line and column. YAML and TOML, `validate` and `load`.
"""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def make():\n    return 1\n"

# (id, field, the entries as written, (index, what its problem says) for each bad entry)
CASES = [
    ("number-then-outside", "writes", '[5, "../x"]', [(0, "got 5"), (1, "../x, outside")]),
    (
        "number-then-unknown-param",
        "reads",
        '[5, "${params.nope}"]',
        [(0, "got 5"), (1, "no param `nope`")],
    ),
    (
        "broken-reference-then-unknown-param",
        "writes",
        '["${params.", "ok/a.txt", "${params.nope}"]',
        [(0, "${params."), (2, "no param `nope`")],
    ),
    (
        "three-apart",
        "writes",
        '["ok/a.txt", true, "/etc/x", 7, "../y"]',
        [(1, "got true"), (2, "/etc/x, outside"), (3, "got 7"), (4, "../y, outside")],
    ),
]


def _config(kind: str, field: str, entries: str) -> str:
    if kind == "toml":
        return f'name = "places"\n[steps.make]\nrun = "psteps.make"\n{field} = {entries}\n'
    return f"name: places\nsteps:\n  make:\n    run: psteps.make\n    {field}: {entries}\n"


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("field", "entries", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_entry_is_reported_at_its_own_place(
    make_project: ProjectFactory,
    kind: str,
    field: str,
    entries: str,
    expected: list[tuple[int, str]],
) -> None:
    name = f"pipeline.{kind}"
    config = make_project(_config(kind, field, entries), name=name, psteps=STEPS)
    line = 4 if kind == "toml" else 5
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    found = [(p.path, p.line, p.column, p.message) for p in raised.value.problems]
    assert len(found) == len(expected), found
    text = config.read_text().splitlines()[line - 1]
    for (path, at, column, message), (index, says) in zip(found, expected, strict=True):
        assert path == f"steps.make.{field}[{index}]", found
        assert at == line, found
        assert says in message, found
        # the column is where the entry is written: its text starts there
        written = entries[1:-1].split(", ")[index]
        assert column is not None
        assert text[column - 1 :].startswith(written), (text, column, written)
    result = pipeflow_in(config.parent, "validate", name)
    assert result.returncode == 2, result.stderr
    assert f"{len(expected)} problems found" in result.stderr, result.stderr


def test_entries_naming_the_foreach_item_count_in_their_place(
    make_project: ProjectFactory,
) -> None:
    config = make_project(
        "name: places\nsteps:\n  make:\n    run: psteps.each\n    foreach: [a, b]\n"
        '    as: book\n    writes: [5, "out/${book}.txt", "../${book}.txt"]\n',
        psteps="def each(book):\n    return book\n",
    )
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config)
    found = [(p.path, p.message) for p in raised.value.problems]
    # one problem per item for the entry outside: `../a.txt` and `../b.txt`
    assert [path for path, _ in found] == ["steps.make.writes[0]"] + ["steps.make.writes[2]"] * 2
    assert ["outside" in message for _, message in found] == [False, True, True], found
