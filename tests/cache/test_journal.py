"""Small stored results on a local store: one journal per run and process (issue 13).

A result without a target, whose parts each encode to at most 64 KiB, is one record appended to
`.pipeflow/journal/PIPELINE/RUN_ID-PID.log` (manifest and payload in one write) instead of a
payload file and a manifest file. The promises of SPEC section 5 hold the same: a record cut
short counts as no result, a payload that no longer matches its checksum is ignored with a
ResultWarning and rebuilt, the newest result of a step is `latest`, and every reader (status,
`pipeflow result`, `pipeflow.read`, accept, gc) finds journaled results as it finds files.
"""

from __future__ import annotations

import os
import textwrap
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cache.files import FileFingerprints
from pipeflow.cache.results import ResultCache
from pipeflow.cli.main import cli
from pipeflow.model.run import Action
from pipeflow.storage import Manifest, ResultStore, ResultWarning
from pipeflow.storage.journal import SMALL, records
from tests.calls import calls
from tests.small_steps import write_steps

LAST = (
    "last: {run: jsteps.scaled, "
    'inputs: {x: "${steps.s4}", factor: "${params.factor}", name: last}}\n'
)


def chain(
    folder: Path,
    count: int = 5,
    *,
    executor: str = "sequential",
    extra: str = "",
    params: str = "{factor: 2}",
) -> Path:
    """A project `journaled` of `count` steps s0 -> s1 -> ..., and `extra` lines of steps."""
    write_steps(folder / "jsteps.py", SMALL)
    steps = ["s0: {run: jsteps.inc, inputs: {x: 0, name: s0}}"]
    steps += [
        f's{i}: {{run: jsteps.inc, inputs: {{x: "${{steps.s{i - 1}}}", name: s{i}}}}}'
        for i in range(1, count)
    ]
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: journaled\nparams: {params}\nexecutor: {{type: {executor}}}\n"
        "results: {root: out}\nsteps:\n  "
        + "\n  ".join(steps)
        + "\n"
        + textwrap.indent(extra, "  ")
    )
    return config


def files(folder: Path) -> list[str]:
    """Every file under the store, relative to it."""
    root = folder / "out"
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def journals(folder: Path) -> list[Path]:
    """The journals of the store, oldest first (by their first record: run ids made in the
    same second do not sort by time)."""
    found = (folder / "out" / ".pipeflow" / "journal" / "journaled").glob("*.log")
    return sorted(found, key=lambda path: min(m.created for m in journaled(path).values()))


def journaled(path: Path) -> dict[str, Manifest]:
    """The manifests in one journal, by step."""
    return {
        manifest.step: manifest
        for manifest in (
            Manifest.from_json(record.manifest) for record in records(path.read_bytes())
        )
    }


def cache(folder: Path) -> ResultCache:
    return ResultCache(ResultStore(str(folder / "out")), "journaled", hashes=FileFingerprints(None))


def test_a_stored_chain_writes_one_journal_and_no_file_or_folder_per_step(tmp_path: Path) -> None:
    config = chain(tmp_path, 20)
    run = pipeflow.load(config).run()
    assert run.output("s19") == 20
    [journal] = journals(tmp_path)
    assert files(tmp_path) == [str(journal.relative_to(tmp_path / "out"))]
    assert journal.name.startswith(f"{run.id}-{os.getpid()}")
    assert not (tmp_path / "out" / ".pipeflow" / "results").exists()
    assert not (tmp_path / "out" / ".pipeflow" / "manifests").exists()
    in_journal = journaled(journal)
    assert sorted(in_journal) == sorted(f"s{i}" for i in range(20))
    part = in_journal["s3"].parts["value"]
    assert part.path == f".pipeflow/journal/journaled/{journal.name}"
    assert part.offset is not None
    assert journal.read_bytes()[part.offset : part.offset + part.size] == b"4\n"
    assert calls(tmp_path) == sorted(f"s{i}" for i in range(20))

    again = pipeflow.load(config).run()  # fully cached, from the journal
    assert calls(tmp_path) == []
    assert again.output("s19") == 20
    assert {o.state.value for o in again.outcomes.values()} == {"cached"}
    assert journals(tmp_path) == [journal]  # a run that stores nothing makes no journal


def test_a_torn_tail_loses_only_its_record_and_that_step_runs_again(tmp_path: Path) -> None:
    config = chain(tmp_path)
    pipeflow.load(config).run()
    calls(tmp_path)
    [journal] = journals(tmp_path)
    data = journal.read_bytes()
    starts = [record.start for record in records(data)]
    # Inside the last record (s4's manifest, then its payload), then inside s3's header: the
    # records before the cut still count, and a torn tail is no damage (no warning).
    for cut, again in (
        (len(data) - 3, ["s4"]),
        (starts[4] + 1, ["s4"]),
        (starts[3] - 5, ["s3", "s4"]),
    ):
        journal.write_bytes(data[:cut])
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResultWarning)
            assert pipeflow.load(config).run().output("s4") == 5
        assert calls(tmp_path) == again
        for other in journals(tmp_path):
            if other != journal:
                other.unlink()


def test_a_tail_zeroed_by_a_power_cut_loses_only_its_records_without_a_warning(
    tmp_path: Path,
) -> None:
    """A power cut can leave a journal's length saved but its last blocks zeros: the records
    the zeros reach are absent (their steps run again, "no stored result yet"), those before
    them count, and no warning calls the journal broken at every command after."""
    config = chain(tmp_path)
    pipeflow.load(config).run()
    calls(tmp_path)
    [journal] = journals(tmp_path)
    data = journal.read_bytes()
    found = list(records(data))
    for cut, again in (
        (len(data) - 3, ["s4"]),  # inside s4's manifest
        (found[4].start + 1, ["s4"]),  # inside its payload
        (found[3].end + 2, ["s3", "s4"]),  # inside s3's manifest, s4 all zeros
    ):
        journal.write_bytes(data[:cut] + bytes(len(data) - cut))
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResultWarning)
            status = {d.step: d for d in pipeflow.load(config).status()}
            assert [s for s, d in status.items() if d.action == Action.RUN] == again
            assert status[again[0]].reason == "no stored result yet"
            assert pipeflow.load(config).run().output("s4") == 5
        assert calls(tmp_path) == again
        for other in journals(tmp_path):
            if other != journal:
                other.unlink()


@pytest.mark.parametrize("executor", ["sequential", "threads"])
def test_a_changed_payload_byte_is_ignored_with_a_warning_and_the_step_runs_again(
    tmp_path: Path, executor: str
) -> None:
    config = chain(tmp_path, executor=executor)
    pipeflow.load(config).run()
    calls(tmp_path)
    [journal] = journals(tmp_path)
    part = journaled(journal)["s2"].parts["value"]
    assert part.offset is not None
    data = bytearray(journal.read_bytes())
    assert data[part.offset : part.offset + 1] == b"3"
    data[part.offset] = ord("7")  # still a JSON number: only the checksum can tell
    journal.write_bytes(bytes(data))
    with pytest.warns(ResultWarning, match=r"`s2`.*no longer matches its checksum"):
        run = pipeflow.load(config).run()
    assert calls(tmp_path) == ["s2"]  # s3 and s4 keep their keys: s2's value is the same
    assert run.output("s4") == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultWarning)
        assert pipeflow.load(config).run().output("s4") == 5  # the new record is taken
    assert calls(tmp_path) == []


def test_the_newest_result_of_a_step_is_its_latest_whatever_the_order_of_the_journals(
    tmp_path: Path,
) -> None:
    extra = LAST
    config = chain(tmp_path, extra=extra)
    pipeflow.load(config).run()
    pipeflow.load(config, params={"factor": 3}).run()
    older, newer = journals(tmp_path)
    assert journaled(older)["last"].params == {"factor": 2}
    assert list(journaled(newer)) == ["last"]  # the rest were cached
    newer.rename(newer.with_name("0-first-by-name.log"))
    assert cache(tmp_path).latest("last").params == {"factor": 3}  # type: ignore[union-attr]
    assert cache(tmp_path).latest("s0").params == {}  # type: ignore[union-attr]

    # status explains against the latest; a run with factor 2 again is cached from the older.
    [decision] = [
        d for d in pipeflow.load(config, params={"factor": 5}).status() if d.step == "last"
    ]
    assert decision.action is Action.RUN
    assert "factor" in decision.reason
    calls(tmp_path)
    assert pipeflow.load(config).run().output("last") == 10
    assert calls(tmp_path) == []


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_every_executor_journals_its_results(tmp_path: Path, executor: str) -> None:
    fan = "".join(
        f'f{i}: {{run: jsteps.inc, inputs: {{x: "${{steps.s0}}", name: f{i}}}}}\n' for i in range(8)
    )
    config = chain(tmp_path, 2, executor=executor, extra=fan)
    run = pipeflow.load(config).run()
    assert run.ok
    found = journals(tmp_path)
    assert found
    assert all(path.name.startswith(f"{run.id}-") for path in found)
    pids = {path.name[len(run.id) + 1 :].split("-")[0].split(".")[0] for path in found}
    if executor == "processes":
        assert str(os.getpid()) not in pids  # each worker writes its own journal
    else:
        assert pids == {str(os.getpid())}
    steps = [step for path in found for step in journaled(path)]
    assert sorted(steps) == sorted(["s0", "s1", *(f"f{i}" for i in range(8))])
    assert files(tmp_path) == sorted(str(path.relative_to(tmp_path / "out")) for path in found)
    calls(tmp_path)
    again = pipeflow.load(config).run()
    assert calls(tmp_path) == []
    assert [again.output(f"f{i}") for i in range(8)] == [2] * 8


# Steps whose results are not journaled (too large, a target) or have several parts.
NOT_ONE_RECORD = textwrap.dedent(
    """
    large: {run: jsteps.big, inputs: {x: "${steps.s1}", name: large}}
    targeted:
      run: jsteps.inc
      inputs: {x: "${steps.s1}", name: targeted}
      result: {target: "targets/{step}.json"}
    parts: {run: jsteps.pair, inputs: {x: "${steps.s1}", name: parts}, outputs: [low, high]}
    """
)


def test_large_values_targets_and_writes_keep_their_own_files(tmp_path: Path) -> None:
    config = chain(tmp_path, 2, extra=NOT_ONE_RECORD)
    pipeflow.load(config).run()
    [journal] = journals(tmp_path)
    assert sorted(journaled(journal)) == ["parts", "s0", "s1"]
    assert set(journaled(journal)["parts"].parts) == {"low", "high"}
    stored = files(tmp_path)
    assert any(path.startswith(".pipeflow/results/journaled/large/") for path in stored)
    assert ".pipeflow/manifests/journaled/large/latest.json" in stored
    assert "targets/targeted.json" in stored
    assert ".pipeflow/manifests/journaled/targeted/latest.json" in stored
    calls(tmp_path)
    again = pipeflow.load(config).run()
    assert calls(tmp_path) == []
    assert again.output("parts") == {"low": 1, "high": 3}
    assert len(again.output("large")) == 2 * SMALL + 1


def test_result_read_accept_on_journaled_results(tmp_path: Path) -> None:
    config = chain(tmp_path)
    pipeflow.load(config).run()
    [journal] = journals(tmp_path)

    shown = CliRunner().invoke(cli, ["result", str(config), "s2", "--show"])
    assert shown.exit_code == 0, shown.output
    assert str(journal) in shown.output
    assert "3" in shown.output.splitlines()[-1]

    reader = tmp_path / "reader"
    reader.mkdir()
    (reader / "pipeline.yaml").write_text(
        "name: reader\nresults: {persist: false}\nsteps:\n"
        f"  got: {{run: pipeflow.read, inputs: {{config: {str(config)!r}, step: s3}}}}\n"
    )
    assert pipeflow.load(reader / "pipeline.yaml").run().output("got") == 4

    # accept: a harmless change of s4's code counts its journaled result again.
    steps = tmp_path / "jsteps.py"
    steps.write_text(
        steps.read_text() + "\n\ndef inc2(x, name):\n    note(name)\n    return x + 1\n"
    )
    config.write_text(config.read_text().replace("s4: {run: jsteps.inc,", "s4: {run: jsteps.inc2,"))
    assert {d.step: d.action for d in pipeflow.load(config).status()}["s4"] is Action.RUN
    accepted = CliRunner().invoke(cli, ["accept", str(config), "s4"])
    assert accepted.exit_code == 0, accepted.output
    assert {d.action for d in pipeflow.load(config).status()} == {Action.CACHED}
    calls(tmp_path)
    assert pipeflow.load(config).run().output("s4") == 5
    assert calls(tmp_path) == []


def test_gc_removes_unreferenced_journals_and_keeps_referenced_and_young_ones(
    tmp_path: Path,
) -> None:
    extra = LAST
    config = chain(tmp_path, extra=extra)
    pipeflow.load(config).run()  # factor 2: every step
    pipeflow.load(config, params={"factor": 3}).run()  # only `last`
    pipeflow.load(config, params={"factor": 4}).run()  # only `last`
    first, second, third = journals(tmp_path)

    # Within the grace period (a run in progress), nothing goes.
    assert pipeflow.load(config, params={"factor": 4}).gc(keep_last=0).removals == ()

    report = pipeflow.load(config, params={"factor": 4}).gc(keep_last=0, grace=0)
    # The first journal holds current results (s0..s4) and `last` of factor 2, which nothing
    # needs: it is rewritten without it. The second holds only `last` of factor 3: it goes.
    # The third holds the current `last`.
    out = tmp_path / "out"
    assert sorted((r.kind, r.path) for r in report.removals) == [
        ("journal", str(second.relative_to(out))),
        ("record", str(first.relative_to(out))),
    ]
    assert sorted(journaled(first)) == ["s0", "s1", "s2", "s3", "s4"]
    assert journals(tmp_path) == [first, third]
    calls(tmp_path)
    assert pipeflow.load(config, params={"factor": 4}).run().output("last") == 20
    assert calls(tmp_path) == []  # every kept payload found at its new offset, whole
    assert pipeflow.load(config, params={"factor": 3}).run().output("last") == 15
    assert calls(tmp_path) == ["last"]
    assert pipeflow.load(config).run().output("last") == 10
    assert calls(tmp_path) == ["last"]


def test_gc_keeps_a_journal_whole_while_an_accepted_result_points_into_it(
    tmp_path: Path,
) -> None:
    extra = LAST
    config = chain(tmp_path, extra=extra)
    pipeflow.load(config).run()
    pipeflow.load(config, params={"factor": 3}).run()
    [first, _] = journals(tmp_path)
    steps = tmp_path / "jsteps.py"
    steps.write_text(
        steps.read_text() + "\n\ndef inc2(x, name):\n    note(name)\n    return x + 1\n"
    )
    config.write_text(config.read_text().replace("s4: {run: jsteps.inc,", "s4: {run: jsteps.inc2,"))
    pipeflow.load(config, params={"factor": 3}).accept("s4")  # a manifest file into `first`
    report = pipeflow.load(config, params={"factor": 3}).gc(keep_last=0, grace=0)
    assert report.count("record") == 0  # `last` of factor 2 stays: the journal is not moved
    assert first.exists()
    calls(tmp_path)
    assert pipeflow.load(config, params={"factor": 3}).run().output("last") == 15
    assert calls(tmp_path) == []


def test_gc_keeps_a_journal_still_being_written(tmp_path: Path) -> None:
    extra = LAST
    config = chain(tmp_path, extra=extra)
    for factor in (2, 3, 4):
        pipeflow.load(config, params={"factor": factor}).run()
    first, second, third = journals(tmp_path)
    # A month later, the second journal was appended to a moment ago (a run in progress that
    # took its first results from earlier runs): its age is the file's, not its records'.
    later = datetime.now(timezone.utc) + timedelta(days=30)
    os.utime(second, (later.timestamp(), later.timestamp()))
    pipe = pipeflow.load(config, params={"factor": 4})
    report = pipe.gc(keep_last=0, grace="1h", now=later)
    # Only the first journal is touched (rewritten without `last` of factor 2).
    assert {r.path for r in report.removals} == {str(first.relative_to(tmp_path / "out"))}
    assert second.exists()
    report = pipe.gc(keep_last=0, grace=0, now=later)
    assert [r.path for r in report.removals] == [str(second.relative_to(tmp_path / "out"))]
    assert journals(tmp_path) == [first, third]


@pytest.mark.parametrize("how", ["--no-cache", "persist: false", "result: false"])
def test_nothing_is_journaled_where_nothing_is_stored(tmp_path: Path, how: str) -> None:
    config = chain(tmp_path, 3)
    arguments = ["run", str(config), "-q"]
    if how == "--no-cache":
        arguments.append("--no-cache")
    elif how == "persist: false":
        config.write_text(
            config.read_text().replace(
                "results: {root: out}", "results: {root: out, persist: false}"
            )
        )
    else:
        config.write_text(config.read_text().replace("name: s2}}", "name: s2}, result: false}"))
    done = CliRunner().invoke(cli, arguments)
    assert done.exit_code == 0, done.output
    if how == "result: false":
        [journal] = journals(tmp_path)
        assert sorted(journaled(journal)) == ["s0", "s1"]
    else:
        assert not (tmp_path / "out").exists() or files(tmp_path) == []
