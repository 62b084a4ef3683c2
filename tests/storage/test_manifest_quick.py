"""`Manifest.from_json` reads most manifests the quick way (`_quick`: every field checked at
once): it must give what the field-by-field way (`Manifest.from_document`) gives, and take
nothing that way refuses (SPEC section 5: a manifest that does not parse is no result)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pipeflow.storage import Manifest
from pipeflow.storage.manifest import _quick
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
        if written.version == 1 and not written.files
    ]
    assert readable
    assert all(_quick(document) is not None for document in readable)
