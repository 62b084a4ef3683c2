"""The manifest index says where to cut the store's listing (`index.py`, rule 5): on S3 a no-op
re-run lists the store in ranges at once, and splits out of date or tampered with cost time,
never a result. A page is made 10 keys here (S3's is 1,000) so that a 60-step chain spans
several."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeflow.cache.index import INDEX
from pipeflow.storage import ranges
from tests.cache.test_manifest_index import STEPS, chain, counted, filesystem, run, states
from tests.servers import ObjectStore

PAGE = 10


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranges, "PAGE", PAGE)


@pytest.fixture(params=["s3_server", "gcs_server"])
def server(request: pytest.FixtureRequest) -> ObjectStore:
    found: ObjectStore = request.getfixturevalue(request.param)
    return found


def documents(server: ObjectStore, root: str) -> dict[str, dict[str, Any]]:
    """The index's segments under `root`, whole: name -> document."""
    found = filesystem(server)
    prefix = f"{root}/{INDEX}/chain"
    names = found.find(prefix) if found.exists(prefix) else []
    return {name: json.loads(found.cat_file(name)) for name in sorted(names)}


def listed(server: ObjectStore, root: str) -> list[str]:
    """Every path under `root`, relative to it, sorted."""
    base = root.split("://", 1)[1] + "/"
    return sorted(name[len(base) :] for name in filesystem(server).find(base))


def test_a_no_op_re_run_lists_the_store_in_ranges_at_once(
    tmp_path: Path, s3_server: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = s3_server.unique_url("splits")
    config = chain(tmp_path, root, dict(s3_server.storage_options))
    assert states(run(config)) == {"done": STEPS}
    ((name, document),) = documents(s3_server, root).items()
    paths = listed(s3_server, root)
    assert len(paths) > 5 * PAGE
    # The first run already knows what the next listing shows: a split every page.
    assert document["splits"] == paths[PAGE - 1 : -1 : PAGE]
    for _ in range(2):
        monkeypatch.setattr(ranges, "PAGE", PAGE)  # `counted` undoes every patch when done
        with counted("s3", monkeypatch) as sent:
            assert states(run(config)) == {"cached": STEPS}
        ranged = len(document["splits"]) + 1
        # the index's folder and the store in ranges of one page each, several at once
        assert sent.count("list_objects_v2") == 1 + ranged, sent
        assert sent.most > 1
        assert len(sent) <= ranged + 10, sent
        assert list(documents(s3_server, root)) == [name]  # nothing to publish


TAMPERED = {
    "all-before-one": ["zzz"],
    "none": [],
    "not-a-list": "not a list",
    "not-text": [1, 2],
    "one-repeated": [".pipeflow/manifests/chain/s1/latest.json"] * 3,
}


# Every kind on S3, whose listings use the splits; one on GCS (whose emulator is slow), where
# the index keeps splits it does not list by, and must read past bad ones all the same.
@pytest.mark.parametrize(
    ("store", "kind"),
    [("s3_server", kind) for kind in TAMPERED] + [("gcs_server", "not-a-list")],
)
def test_splits_out_of_date_or_tampered_cost_time_not_results(
    tmp_path: Path, request: pytest.FixtureRequest, store: str, kind: str
) -> None:
    server: ObjectStore = request.getfixturevalue(store)
    splits = TAMPERED[kind]
    root = server.unique_url("splits")
    config = chain(tmp_path, root, dict(server.storage_options))
    run(config)
    ((name, document),) = documents(server, root).items()
    document["splits"] = splits
    filesystem(server).pipe_file(name, json.dumps(document).encode())
    result = run(config)
    assert states(result) == {"cached": STEPS}
    assert result.output(f"s{STEPS - 1}") == STEPS - 1
    # ... and the next run finds splits that fit again, and so publishes nothing.
    ((renamed, fresh),) = documents(server, root).items()
    assert renamed != name
    assert fresh["splits"] == listed(server, root)[PAGE - 1 : -1 : PAGE]
    assert fresh["manifests"] == document["manifests"]
    assert states(run(config)) == {"cached": STEPS}
    assert list(documents(server, root)) == [renamed]


def test_a_store_that_grew_gets_new_splits(tmp_path: Path, server: ObjectStore) -> None:
    root = server.unique_url("splits")
    options = dict(server.storage_options)
    run(chain(tmp_path, root, options, steps=20))
    longer = chain(tmp_path, root, options, steps=STEPS)
    assert states(run(longer)) == {"cached": 20, "done": STEPS - 20}
    ((name, document),) = documents(server, root).items()
    assert document["splits"] == listed(server, root)[PAGE - 1 : -1 : PAGE]
    assert states(run(longer)) == {"cached": STEPS}
    assert list(documents(server, root)) == [name]
