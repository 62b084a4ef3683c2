"""Which record of a pipeline's journals is the result of a step and key, and the newest of a
step (`pipeflow/cache/journal.py`): the newest by `created` (whatever its offset, or none: UTC),
the later record on a tie, and among journals in the order the store lists them. The index
reads each record's `created` once, not at every comparison: this checks that it still picks
what comparing the times every time picks."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeflow.cache.journal import JournalIndex, moment
from pipeflow.cache.layout import stored_name
from pipeflow.storage import Manifest, PartRecord, ResultStore
from pipeflow.storage.checksums import content_checksum
from pipeflow.storage.journal import HEADER, MAGIC, journal_folder

BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)


def created(rng: random.Random) -> str:
    """A time among few (so that some are equal), written in one of the ways a manifest may."""
    when = BASE + timedelta(minutes=rng.randrange(6))
    way = rng.randrange(4)
    if way == 0:
        return when.isoformat()
    if way == 1:  # another offset, the same instant
        return when.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="microseconds")
    if way == 2:  # no offset: UTC
        return when.replace(tzinfo=None).isoformat()
    return (when + timedelta(microseconds=1)).isoformat()


def write_journal(path: Path, store_path: str, manifests: list[Manifest]) -> list[Manifest]:
    """The records of `manifests` in a journal at `path`, with their parts where they are."""
    data = bytearray()
    written = []
    for index, manifest in enumerate(manifests):
        payload = f"{index}\n".encode()
        at = len(data) + HEADER.size
        part = PartRecord(store_path, "json", len(payload), content_checksum(payload), offset=at)
        manifest = Manifest(
            manifest.key,
            manifest.pipeline,
            manifest.step,
            manifest.run_id,
            manifest.created,
            manifest.params,
            {"value": part},
        )
        document = manifest.to_json()
        data += HEADER.pack(MAGIC, len(payload), len(document)) + payload + document
        written.append(manifest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))
    return written


def test_the_newest_record_wins_and_the_later_one_on_a_tie(tmp_path: Path) -> None:
    rng = random.Random(13)
    folder = journal_folder("p")
    records: list[Manifest] = []  # in the order the index reads them
    for journal in ("a.log", "b.log", "c.log"):  # listed in this order
        wanted = [
            Manifest(
                key=f"k{rng.randrange(3)}",
                pipeline="p",
                step=rng.choice(["s", "t", "sub/s", "u"]),
                run_id=f"r{index}",
                created=created(rng),
                params={},
                parts={},
            )
            for index in range(60)
        ]
        records += write_journal(tmp_path / folder / journal, f"{folder}/{journal}", wanted)

    expected: dict[tuple[str, str], Manifest] = {}
    latest: dict[str, Manifest] = {}
    for manifest in records:  # every comparison with the times read again
        step = stored_name(manifest.step)
        known = expected.get((step, manifest.key))
        if known is None or moment(manifest) >= moment(known):
            expected[step, manifest.key] = manifest
        if step not in latest or moment(manifest) >= moment(latest[step]):
            latest[step] = manifest
    # The records test something: an older one after a newer, and equal times.
    last = {(stored_name(m.step), m.key): m for m in records}
    assert any(last[pair] is not manifest for pair, manifest in expected.items())
    moments = [(stored_name(m.step), m.key, moment(m)) for m in records]
    assert len(set(moments)) < len(moments)

    index = JournalIndex(ResultStore(str(tmp_path)), "p", stored_name)
    assert index.keys() == {
        step: {key for name, key in expected if name == step} for step in latest
    }
    for (step, key), manifest in expected.items():
        assert index.get(step, key) == manifest
    for step, manifest in latest.items():
        assert index.latest(step) == manifest
