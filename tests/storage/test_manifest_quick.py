"""`Manifest.from_json` reads most manifests the quick way (`_quick`: every field checked at
once): it must give what the field-by-field way (`Manifest.from_document`) gives, and take
nothing that way refuses (SPEC section 5: a manifest that does not parse is no result)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pipeflow.storage import Manifest
from pipeflow.storage.manifest import _parsed, _quick
from tests.storage.test_storage_manifest import combinations

CHECKSUM = "sha256:" + "ab" * 32

JOURNALED = {
    "components": {"code": {"steps.py::inc": "49352cda1bf20e11"}, "upstream": {"s4": "7"}},
    "created": "2026-12-05T04:31:34.736079+00:00",
    "key": "6d4e56a3df90f491956386a7",
    "params": {"factor": 2},
    "parts": {
        "value": {
            "checksum": CHECKSUM,
            "format": "json",
            "offset": 3157,
            "path": ".pipeflow/journal/p/r-1.log",
            "size": 2,
        }
    },
    "pipeline": "p",
    "run_id": "20261205-043134-04b5c2",
    "step": "s5",
    "version": 1,
}

# Values of other types, or out of range, for each field of a manifest and of a part: the
# quick way must refuse each one as the field-by-field way does, or read it the same.
ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, 2, -1, 1.0, "", "x", [], {}, ["a"], {"a": 1}, CHECKSUM,
    CHECKSUM + "\n", "sha256:" + "AB" * 32, "2026-12-05", "2026-12-05T04:31:34+02:00",
    "yesterday", 2**70,
]  # fmt: skip
MANIFEST_FIELDS = [
    "components", "created", "key", "params", "parts", "pipeline", "run_id", "step", "version",
]  # fmt: skip
PART_FIELDS = [
    "blob", "checksum", "format", "inline", "offset", "path", "signature", "size", "stamp",
]  # fmt: skip
MISSING = object()


def variants() -> list[Any]:
    """A journaled manifest with one field (of the manifest, or of its part) changed to each
    odd value or removed, and with a field added; and documents that are no manifest."""
    found: list[Any] = [JOURNALED, None, [], "x", 1, {}]
    for name in [*MANIFEST_FIELDS, "files", "unknown"]:
        for value in [*ODD_VALUES, MISSING]:
            document = copy.deepcopy(JOURNALED)
            if value is MISSING:
                document.pop(name, None)
            else:
                document[name] = value
            found.append(document)
    for name in [*PART_FIELDS, "unknown"]:
        for value in [*ODD_VALUES, MISSING]:
            document = copy.deepcopy(JOURNALED)
            if value is MISSING:
                document["parts"]["value"].pop(name, None)
            else:
                document["parts"]["value"][name] = value
            found.append(document)
    found.append({**copy.deepcopy(JOURNALED), "parts": {}})
    found.append({**copy.deepcopy(JOURNALED), "parts": {"value": "x"}})
    found += [json.loads(written.to_json()) for written in combinations()]
    return found


def general(document: Any) -> str:
    """What the field-by-field way reads, as text (a NaN param is not equal to itself)."""
    try:
        return repr(Manifest.from_document(document))
    except ValueError as error:
        return f"ValueError: {error}"


@pytest.mark.parametrize("document", variants())
def test_the_quick_way_reads_a_manifest_as_the_field_by_field_way_does(document: Any) -> None:
    quick = _quick(copy.deepcopy(document))
    if quick is not None:
        assert repr(quick) == general(document)
    data = json.dumps(document).encode("utf-8")
    try:
        read = repr(Manifest.from_json(data))
    except ValueError as error:
        read = f"ValueError: {error}"
    assert read == general(document)


def test_a_manifest_as_this_pipeflow_writes_it_is_read_the_quick_way() -> None:
    # Or the quick way would cost a little without ever saving anything.
    assert _quick(copy.deepcopy(JOURNALED)) == Manifest.from_document(JOURNALED)
    readable = [
        json.loads(written.to_json())
        for written in combinations()
        # `files` and `paths` (a step's writes, a value naming files) are read field by field.
        if written.version == 1 and not written.files and not written.paths
    ]
    assert readable
    assert all(_quick(document) is not None for document in readable)


TEXTS = [
    b"",
    b"{",
    b"{}",
    b"{}\n",
    b"{} \t\r\n ",
    b"{}x",
    b"{} {}",
    b"{}\x0b",  # not a space json skips
    b"{}\xa0",
    b" {}",
    b"[]",
    b"null",
    b'{"a": 1}',
    b'{"a": "\xc3\xa9"}',
    b'{"a": "\xff"}',  # not UTF-8
    b'{"a": "\xed\xa0\x80"}',  # a lone surrogate, as json reads it (surrogatepass)
    b'{"a": "\\ud800"}',
    b'{"a": NaN, "b": -Infinity}',
    b'{"a": 1,}',
    b'{"a": 1} \n garbage',
    "\ufeff{}".encode(),
    "{}".encode("utf-16-le"),
    "{}".encode("utf-16"),
    '{"a": 1}'.encode("utf-16-le"),
    '{"a": 1}'.encode("utf-32-le"),
    b"{\x00",
    *(written.to_json() for written in combinations()[:20]),
    json.dumps(JOURNALED, indent=2).encode(),
]


def loaded(load: Any, data: bytes) -> str:
    try:
        return repr(load(data))
    except ValueError as error:
        return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("data", TEXTS)
def test_a_manifest_text_is_parsed_as_json_loads_parses_it(data: bytes) -> None:
    assert loaded(_parsed, data) == loaded(json.loads, data)


def test_a_param_holding_a_lone_surrogate_is_written_as_its_json_escape() -> None:
    """A param from a file name that is not UTF-8 (`caf\\udce9.csv`): UTF-8 has no bytes for
    it, so both ways of writing use its JSON escape, which reads back as the same text."""
    document = copy.deepcopy(JOURNALED)
    document["params"] = {"file": "caf\udce9.csv", "caf\udce9": ["\ud800"]}
    manifest = Manifest.from_document(document)
    written = manifest.to_json()
    assert written == manifest.reference_json()
    assert b'"caf\\udce9.csv"' in written
    written.decode("utf-8")
    assert Manifest.from_json(written) == manifest
