"""Cache keys: step references in fingerprints, and code digests remembered across runs."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pipeflow.cache import code, keys
from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.keys import Fingerprinter, StepValue, canonical_json, digest
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, parse_value


def pipeline(tmp_path: Path, **steps: Step) -> Pipeline:
    return Pipeline(
        name="p", steps=steps, source=str(tmp_path / "p.yaml"), project_dir=str(tmp_path)
    )


def fingerprint(tmp_path: Path, step: Step) -> keys.Fingerprint:
    def lookup(ref: Ref) -> Any:
        return {"n": 3}[ref.path[0]]

    found = Fingerprinter(pipeline(tmp_path, **{step.name: step}), FileFingerprints(None))
    return found.fingerprint(step, lookup)


def test_a_step_reference_is_written_as_its_text() -> None:
    assert canonical_json({"x": StepValue("${steps.a}")}) == canonical_json({"x": "${steps.a}"})
    assert str(StepValue("${steps.a.part}")) == "${steps.a.part}"


def test_a_step_reference_keeps_the_key_it_had_as_text(tmp_path: Path) -> None:
    step = Step(name="b", run="m.f", inputs=parse_value({"x": "${steps.a}", "n": "${params.n}"}))
    found = fingerprint(tmp_path, step)
    assert found.values == {
        "inputs.x": digest(canonical_json("${steps.a}")),
        "inputs.n": digest(canonical_json(3)),
    }


def test_the_key_changes_with_the_name_of_the_step_referenced(tmp_path: Path) -> None:
    one = Step(name="c", run="m.f", inputs=parse_value({"x": "${steps.a}"}))
    other = Step(name="c", run="m.f", inputs=parse_value({"x": "${steps.b}"}))
    part = Step(name="c", run="m.f", inputs=parse_value({"x": "${steps.a.part}"}))
    values = {fingerprint(tmp_path, s).values["inputs.x"] for s in (one, other, part)}
    assert len(values) == 3
    assert fingerprint(tmp_path, one).values == fingerprint(tmp_path, one).values


def test_a_step_reference_is_never_taken_for_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "${steps.a}").write_text("a file of that very name", encoding="utf-8")
    (tmp_path / "data.csv").write_text("1,2\n", encoding="utf-8")
    asked: list[str] = []
    could_be_path = keys._could_be_path

    def spying(text: str) -> bool:
        asked.append(text)
        return could_be_path(text)

    monkeypatch.setattr(keys, "_could_be_path", spying)
    step = Step(
        name="b",
        run="m.f",
        inputs=parse_value({"x": "${steps.a}", "y": ["${steps.a.part}"], "f": "data.csv"}),
    )
    found = fingerprint(tmp_path, step)
    assert asked == ["data.csv"]
    assert list(found.files) == ["data.csv"]


def test_a_template_with_a_step_reference_is_still_text(tmp_path: Path) -> None:
    step = Step(name="b", run="m.f", inputs=parse_value({"x": "out/${steps.a}.csv"}))
    assert fingerprint(tmp_path, step).values == {
        "inputs.x": digest(canonical_json("out/${steps.a}.csv"))
    }


WRAPPED = """
import functools

def f(x):
    return x

f = functools.lru_cache(f)

def g(x):
    return f(x) + 1
"""


def test_a_definition_and_its_rebinding_have_their_own_digests(tmp_path: Path) -> None:
    (tmp_path / "wrapped.py").write_text(textwrap.dedent(WRAPPED), encoding="utf-8")
    code._ANALYSED.clear()
    g_alone = code.CodeFingerprinter(str(tmp_path)).fingerprint("wrapped.g").parts
    fingerprinter = code.CodeFingerprinter(str(tmp_path))
    f_first = fingerprinter.fingerprint("wrapped.f").parts
    g_after = fingerprinter.fingerprint("wrapped.g").parts
    assert g_after == g_alone  # g uses `f = lru_cache(f)`, whatever was fingerprinted before
    assert f_first["wrapped.py::f"] != g_after["wrapped.py::f"]


def test_an_edited_function_gets_a_new_digest_in_the_same_process(tmp_path: Path) -> None:
    source = tmp_path / "edited.py"
    source.write_text("def f(x):\n    return x\n", encoding="utf-8")
    before = code.CodeFingerprinter(str(tmp_path)).fingerprint("edited.f").parts
    again = code.CodeFingerprinter(str(tmp_path)).fingerprint("edited.f").parts
    source.write_text("def f(x):\n    return x + 1\n", encoding="utf-8")
    status = source.stat()
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    after = code.CodeFingerprinter(str(tmp_path)).fingerprint("edited.f").parts
    assert before == again
    assert before != after
