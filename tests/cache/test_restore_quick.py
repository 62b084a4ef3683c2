"""`Assessor.assess` says at once that a stored result without declared writes whose payloads
are all whole has nothing to restore (every cached step of most pipelines); whatever else it
meets goes `assess_in_full`'s way. Both must say the same of every stored result, whole,
damaged, overwritten or missing (SPEC section 5: a payload that no longer matches its checksum
is no result)."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

import pipeflow
from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.restore import INTACT, Assessor
from pipeflow.storage import ResultWarning
from tests.cache.test_journal import NOT_ONE_RECORD, cache, chain, journals

STEPS = ["s0", "s1", "large", "targeted", "parts", "pickled", "wrote"]

MODULE = """
from pathlib import Path


def one_set(x):
    return {x}


def write(x, path):
    Path(path).write_text(str(x))
    return x
"""


def project(folder: Path) -> Path:
    extra = NOT_ONE_RECORD + textwrap.dedent(
        """
        pickled: {run: psteps.one_set, inputs: {x: "${steps.s1}"}}
        wrote: {run: psteps.write, inputs: {x: "${steps.s1}", path: w.txt}, writes: [w.txt]}
        """
    )
    (folder / "psteps.py").write_text(MODULE)  # a set is stored as a pickle, signed
    config = chain(folder, 2, extra=extra)
    pipeflow.load(config).run()
    return config


def both(folder: Path) -> dict[str, tuple[object, object]]:
    """What each way says of each step's stored result, asked of a cache of its own."""
    said = {}
    for step in STEPS:
        answers = []
        for way in ("assess", "assess_in_full"):
            stored = cache(folder)
            manifest = stored.latest(step)
            assert manifest is not None
            assessor = Assessor(FileFingerprints(None), lambda url: {})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResultWarning)
                answers.append(getattr(assessor, way)(stored, manifest, str(folder)))
        said[step] = (answers[0], answers[1])
    return said


def test_both_ways_say_the_same_of_whole_results(tmp_path: Path) -> None:
    project(tmp_path)
    said = both(tmp_path)
    for step, (quick, full) in said.items():
        assert quick == full, step
    assert said["s1"][0] is INTACT  # the quick way was taken


def test_both_ways_say_the_same_of_damaged_overwritten_missing_and_untrusted_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path)
    assert cache(tmp_path).latest("pickled").parts["value"].signature  # type: ignore[union-attr]
    monkeypatch.setenv("PIPEFLOW_SIGNING_KEY", "another key, " * 4)  # its pickle is untrusted
    store = cache(tmp_path)
    s1 = store.latest("s1")
    assert s1 is not None
    [journal] = journals(tmp_path)
    data = bytearray(journal.read_bytes())
    offset = s1.parts["value"].offset
    assert offset is not None
    data[offset] ^= 1  # a changed byte of s1's payload
    journal.write_bytes(bytes(data))
    (tmp_path / "out" / "targets" / "targeted.json").write_text("41\n")  # a target overwritten
    (tmp_path / "w.txt").write_text("changed")  # a declared write changed
    large = store.latest("large")
    assert large is not None
    (tmp_path / "out" / large.parts["value"].path).unlink()  # a payload file gone

    said = both(tmp_path)
    for step, (quick, full) in said.items():
        assert quick == full, step
    assert said["s1"][0].lost is not None
    assert said["targeted"][0].restoration
    assert said["large"][0].lost is not None
    assert "signed" in str(said["pickled"][0].lost)
    # Its list of written files was signed with the key before: not restored from here.
    assert "list of written files cannot be trusted" in str(said["wrote"][0].lost)
    assert said["s0"][0] is INTACT
