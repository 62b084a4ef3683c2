"""The cache: what re-runs after which change, resuming, forcing, selecting, and why."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.api import ALL
from pipeflow.cache.versions import canonical_json, digest
from pipeflow.errors import StaleResults
from pipeflow.model.run import Action, StepState
from pipeflow.storage import PartRecord, ResultStore, ResultWarning
from tests import journals

STEPS = '''
"""Steps that note every call in calls.log, so tests can see what really ran."""
from pathlib import Path

from helpers import scale

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def read(path):
    note("read")
    return [int(line) for line in Path(path).read_text().split()]


def double(values, factor):
    note("double")
    return [scale(v, factor) for v in values]


def total(values):
    note("total")
    return sum(values)


def parity(values):
    note("parity")
    return sum(values) % 2
'''

HELPERS = """
def scale(value, factor):
    return value * factor
"""

CONFIG = """
name: cached
params: {factor: 2}
results: {root: out}
steps:
  read: {run: mysteps.read, inputs: {path: data/numbers.txt}}
  double: {run: mysteps.double, inputs: {values: "${steps.read}", factor: "${params.factor}"}}
  total: {run: mysteps.total, inputs: {values: "${steps.double}"}}
  parity: {run: mysteps.parity, inputs: {values: "${steps.read}"}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def make_project(folder: Path) -> Path:
    """The project of these tests, in `folder`: `read` -> `double` -> `total`, and `parity`."""
    (folder / "data").mkdir()
    (folder / "data" / "numbers.txt").write_text("1\n2\n3\n")
    (folder / "mysteps.py").write_text(textwrap.dedent(STEPS))
    (folder / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (folder / "pipeline.yaml").write_text(textwrap.dedent(CONFIG))
    return folder


def calls(project: Path) -> list[str]:
    log = project / "calls.log"
    found = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return found


def states(run: pipeflow.api.Run) -> dict[str, str]:
    return {name: outcome.state.value for name, outcome in run.outcomes.items()}


def reasons(project: Path, **options: object) -> dict[str, str]:
    return {d.step: d.reason for d in pipeflow.load(project / "pipeline.yaml").status(**options)}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_rerun_with_nothing_changed_runs_nothing(project: Path) -> None:
    first = pipeflow.load(project / "pipeline.yaml").run()
    assert first.output("total") == 12
    assert sorted(calls(project)) == ["double", "parity", "read", "total"]
    second = pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == []
    assert set(states(second).values()) == {"cached"}
    assert second.output("total") == 12  # read from the store
    assert reasons(project)["total"].startswith("stored by run ")


def test_cached_values_are_read_only_when_a_running_step_needs_them(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    edit(project / "mysteps.py", "return sum(values)\n", "return sum(values) + 0\n")
    read = ResultStore.read
    loaded: list[str] = []
    # Which step each stored payload is of: they are records of the run's journal.
    steps = {
        (part.path, part.offset): step
        for step in ("read", "double", "total", "parity")
        for part in [journals.part(project / "out", "cached", step)[1]]
    }

    def noting(store: ResultStore, record: PartRecord) -> object:
        loaded.append(steps[record.path, record.offset])
        return read(store, record)

    monkeypatch.setattr(ResultStore, "read", noting)
    run = pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == ["total"]
    assert loaded == ["double"]  # total runs and needs it; `read` is cached and not needed
    # Once `total` has finished, no step needs `double` in memory: it was let go.
    assert set(run.result.context.values) == {"total"}


def test_changing_a_function_reruns_it_and_what_follows(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    edit(project / "mysteps.py", 'note("double")', 'note("double")  # a comment\n    x = 1')
    why = reasons(project)
    assert why["double"] == "code of mysteps.py changed (`double`)"
    assert why["read"].startswith("stored by run")
    run = pipeflow.load(project / "pipeline.yaml").run()
    assert sorted(calls(project)) == ["double"]  # total is cached: double's result is unchanged
    assert states(run) == {
        "read": "cached",
        "double": "done",
        "total": "cached",
        "parity": "cached",
    }


def test_comments_docstrings_and_layout_do_not_count(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    edit(
        project / "mysteps.py",
        "def total(values):\n",
        "def total(values):  # adds up\n    '''The sum.'''\n\n",
    )
    pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == []


def test_a_helper_module_it_imports_counts(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    edit(project / "helpers.py", "return value * factor", "return value * factor * 10")
    assert reasons(project)["double"] == "code of helpers.py changed"
    run = pipeflow.load(project / "pipeline.yaml").run()
    assert sorted(calls(project)) == ["double", "total"]
    assert run.output("total") == 120


def test_a_param_change_reruns_what_uses_it(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    why = reasons(project, force=())
    assert why["double"].startswith("stored by run")
    pipe = pipeflow.load(project / "pipeline.yaml", params={"factor": 3})
    assert {d.step: d.reason for d in pipe.status()}["double"] == "param factor changed (2 -> 3)"
    run = pipe.run()
    assert sorted(calls(project)) == ["double", "total"]
    assert run.output("total") == 18
    # Going back to a value seen before takes its stored result again.
    pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == []


@pytest.mark.parametrize("store", ["folder", "object store"])
def test_a_reason_compares_with_the_newest_result_of_the_same_inputs(
    project: Path, store: str
) -> None:
    """After runs with factor 2 and then 5, a code edit: with factor 2, only the code changed
    since factor 2's result. Before, the reason was read off the newest result (factor 5's)
    and said "param factor changed (5 -> 2)" besides."""
    if store == "object store":
        edit(project / "pipeline.yaml", "root: out", f"root: memory://why-{project.name}")
    pipeflow.load(project / "pipeline.yaml").run()
    pipeflow.load(project / "pipeline.yaml", params={"factor": 5}).run()
    edit(project / "mysteps.py", "return [scale(v, factor) for v in values]",
         "return [scale(w, factor) for w in values]")  # fmt: skip
    assert reasons(project)["double"] == "code of mysteps.py changed (`double`)"
    # With a value never run, the newest result is the one to compare with.
    pipe = pipeflow.load(project / "pipeline.yaml", params={"factor": 7})
    why = {d.step: d.reason for d in pipe.status()}
    assert why["double"] == ("code of mysteps.py changed (`double`); param factor changed (5 -> 7)")


def test_a_run_reads_the_versions_of_a_step_only_to_explain_its_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps decided again as the run starts them (their upstream ran) are explained against
    their newest result alone: a run after many param values does not read every stored
    version of each step it runs. The plan, decided before, still finds the closest."""
    from pipeflow.cache.results import ResultCache

    (tmp_path / "chain.py").write_text("def inc(x, p):\n    return x + p\n")
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: chain\nparams: {p: 1}\nresults: {root: out}\nsteps:\n"
        '  a: {run: chain.inc, inputs: {x: 0, p: "${params.p}"}}\n'
        '  b: {run: chain.inc, inputs: {x: "${steps.a}", p: "${params.p}"}}\n'
        '  c: {run: chain.inc, inputs: {x: "${steps.b}", p: "${params.p}"}}\n'
    )
    for p in (1, 2):
        assert pipeflow.load(config, params={"p": p}).run().ok
    read: list[str] = []
    versions = ResultCache.versions

    def counted(self: ResultCache, step: str) -> list[Any]:
        read.append(step)
        return versions(self, step)

    monkeypatch.setattr(ResultCache, "versions", counted)
    assert pipeflow.load(config, params={"p": 3}).run().ok
    # The plan's reasons, each step's once: `a`'s, and the param change `b` and `c` name as they
    # wait (`why_waits`); none as they are decided again after their upstream ran.
    assert read == ["a", "b", "c"]


def test_the_content_of_an_input_file_counts_not_its_time(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    data = project / "data" / "numbers.txt"
    data.write_text(data.read_text())  # same bytes, new modification time
    pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == []
    data.write_text("1\n2\n4\n")
    assert reasons(project)["read"] == "input file data/numbers.txt changed"
    pipeflow.load(project / "pipeline.yaml").run()
    assert sorted(calls(project)) == ["double", "parity", "read", "total"]


def test_a_failed_run_resumes_where_it_stopped(project: Path) -> None:
    edit(project / "mysteps.py", 'note("total")', 'note("total")\n    raise RuntimeError("boom")')
    first = pipeflow.load(project / "pipeline.yaml").run()
    assert not first.ok
    assert first.state("total") is StepState.FAILED
    calls(project)
    edit(project / "mysteps.py", '\n    raise RuntimeError("boom")', "")
    second = pipeflow.load(project / "pipeline.yaml").run()
    assert second.ok
    assert calls(project) == ["total"]
    assert second.state("read") is StepState.CACHED


def test_force_all_force_one_and_no_cache(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    pipe = pipeflow.load(project / "pipeline.yaml")
    pipe.run(force=["double"])
    assert sorted(calls(project)) == ["double", "total"]
    assert {d.step: d.reason for d in pipe.status(force=["double"])}["total"] == "forced"
    pipe.run(force=[ALL])
    assert sorted(calls(project)) == ["double", "parity", "read", "total"]
    run = pipe.run(no_cache=True)
    assert sorted(calls(project)) == ["double", "parity", "read", "total"]
    assert run.outcomes["read"].reason == "--no-cache"


def test_only_from_until_take_the_rest_from_the_cache(project: Path) -> None:
    pipe = pipeflow.load(project / "pipeline.yaml")
    with pytest.raises(pipeflow.ConfigError, match="`total` needs the result of `double`"):
        pipe.run(only=["total"])
    pipe.run(until="double")
    assert sorted(calls(project)) == ["double", "read"]
    run = pipe.run(only=["total"])
    assert calls(project) == ["total"]
    assert run.state("parity") is StepState.SKIPPED
    assert run.state("double") is StepState.CACHED
    run = pipe.run(start="double", force=[ALL])
    assert sorted(calls(project)) == ["double", "total"]
    with pytest.raises(pipeflow.ConfigError, match="did you mean `total`"):
        pipe.run(only=["totl"])


def test_frozen_fails_when_anything_would_run(project: Path) -> None:
    pipe = pipeflow.load(project / "pipeline.yaml")
    with pytest.raises(StaleResults) as caught:
        pipe.run(frozen=True)
    assert caught.value.exit_code == 3
    assert "read: no stored result yet" in str(caught.value)
    assert calls(project) == []
    pipe.run()
    calls(project)
    assert pipe.run(frozen=True).ok
    assert calls(project) == []


@pytest.mark.parametrize("order", [["--frozen", "--dry-run"], ["--dry-run", "--frozen"]])
def test_frozen_with_dry_run_exits_3_when_anything_would_run(
    project: Path, order: list[str]
) -> None:
    """The plan is printed, and the exit code is the one the frozen run would have. Before,
    `--frozen --dry-run` exited 0 with stale steps: a CI check that passed whatever the store."""
    from click.testing import CliRunner

    from pipeflow.cli import cli

    config = str(project / "pipeline.yaml")
    stale = CliRunner().invoke(cli, ["run", config, *order])
    assert stale.exit_code == 3, stale.output
    assert "plan for pipeline `cached` (nothing is run):" in stale.output
    assert "--frozen: 4 step(s) of `cached` would run:" in stale.output
    assert "read: no stored result yet" in stale.output
    assert calls(project) == []
    assert CliRunner().invoke(cli, ["run", config, "-q"]).exit_code == 0
    calls(project)
    current = CliRunner().invoke(cli, ["run", config, *order])
    assert current.exit_code == 0, current.output
    assert "would run" not in current.output
    changed = CliRunner().invoke(cli, ["run", config, *order, "--param", "factor=5"])
    assert changed.exit_code == 3, changed.output
    assert "double: param factor changed (2 -> 5)" in changed.output
    assert calls(project) == []


@pytest.mark.parametrize(
    "options",
    [["--force"], ["--force", "double"], ["--no-cache"], ["--force", "--no-cache"]],
)
def test_frozen_with_force_or_no_cache_is_a_usage_error(project: Path, options: list[str]) -> None:
    """They ask for opposite things. Before, the run exited 3 and called every step stale
    ("forced"), which in CI reads as "the store is out of date"."""
    from click.testing import CliRunner

    from pipeflow.cli import cli

    config = str(project / "pipeline.yaml")
    assert CliRunner().invoke(cli, ["run", config, "-q"]).exit_code == 0
    calls(project)
    for order in ([*options, "--frozen"], ["--frozen", *options]):
        refused = CliRunner().invoke(cli, ["run", config, *order])
        assert refused.exit_code == 2, refused.output
        assert "they cannot go together" in refused.output
        assert options[0] in refused.output
    assert calls(project) == []
    keyword = {"--force": {"force": True}, "--no-cache": {"no_cache": True}}[options[0]]
    if options[1:2] == ["double"]:
        keyword = {"force": "double"}
    with pytest.raises(ValueError, match="cannot go together"):
        pipeflow.load(project / "pipeline.yaml").run(frozen=True, **keyword)
    assert calls(project) == []


def test_accept_restamps_a_result_after_a_harmless_change(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    edit(project / "mysteps.py", "def double(values, factor):", "def double(values, factor=2):")
    pipe = pipeflow.load(project / "pipeline.yaml")
    assert {d.step: d.action for d in pipe.status()}["double"] is Action.RUN
    pipe.accept("double")
    assert {d.step: d.action for d in pipe.status()}["double"] is Action.CACHED
    pipe.run()
    assert calls(project) == []  # nor does anything after it re-run


def test_a_tampered_payload_is_ignored_and_rebuilt(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    journals.rewrite_payload(project / "out", "cached", "total", b"13\n")  # same size, other bytes
    with pytest.warns(ResultWarning, match="no longer matches its checksum"):
        run = pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == ["total"]
    assert run.output("total") == 12


def test_a_broken_manifest_is_ignored_and_rebuilt(project: Path) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    journals.break_manifest(project / "out", "cached", "parity")
    with pytest.warns(ResultWarning, match="broken manifest"):
        pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == ["parity"]


def test_a_tampered_pickle_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    (tmp_path / "objs.py").write_text(
        textwrap.dedent(
            f"""
            class Box:
                def __init__(self, value):
                    self.value = value

            def make():
                return Box("x" * 200)  # its pickle is longer than Evil's

            def use(box):
                return box.value

            def boom():
                open({str(marker)!r}, "w").close()
                return 0

            class Evil:
                def __reduce__(self):
                    return (boom, ())
            """
        )
    )
    (tmp_path / "pipeline.yaml").write_text(
        textwrap.dedent(
            """
            name: pickles
            results: {root: out}
            steps:
              make: {run: objs.make}
              use: {run: objs.use, inputs: {box: "${steps.make}"}}
            """
        )
    )
    pipeflow.load(tmp_path / "pipeline.yaml").run()
    import pickle
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        import objs

        # In place of the payload in the journal (pickle ignores the padding after its end).
        journals.rewrite_payload(tmp_path / "out", "pickles", "make", pickle.dumps(objs.Evil()))
    finally:
        sys.path.remove(str(tmp_path))
    with pytest.warns(ResultWarning):
        run = pipeflow.load(tmp_path / "pipeline.yaml").run(force=["use"])
    assert run.ok
    assert not marker.exists()


def test_status_json_and_dry_run_through_the_cli(project: Path) -> None:
    from click.testing import CliRunner

    from pipeflow.cli import cli

    config = str(project / "pipeline.yaml")
    result = CliRunner().invoke(cli, ["status", config, "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["step"]: row for row in json.loads(result.output)["steps"]}
    assert rows["read"]["action"] == "run"
    assert rows["read"]["reason"] == "no stored result yet"
    assert rows["total"]["reason"] == "`double` runs first"
    assert CliRunner().invoke(cli, ["run", config, "-q"]).exit_code == 0
    result = CliRunner().invoke(cli, ["run", config, "--dry-run"])
    assert "cached" in result.output
    result = CliRunner().invoke(cli, ["run", config, "--frozen", "--param", "factor=5"])
    assert result.exit_code == 3
    assert "double: param factor changed (2 -> 5)" in result.output
    result = CliRunner().invoke(cli, ["run", config, "--force", "-q"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["run", config, "--force", "total", "-q"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["result", config, "total", "--show"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "12"
    assert "/out/.pipeflow/journal/cached/" in result.output  # a small result: in the journal
    result = CliRunner().invoke(cli, ["accept", config, "total"])
    assert result.exit_code == 0, result.output
    assert "`total` is up to date" in result.output  # current: nothing to accept


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_every_stored_manifest_holds_the_components_its_key_hashes(
    project: Path, executor: str
) -> None:
    """The components a manifest keeps (what `status` explains a change with) are those its
    key was hashed from, whether the key was decided before the run, during it (after an
    upstream step ran) or for a forced step; a key decided by an earlier status is not taken."""
    config = project / "pipeline.yaml"
    edit(config, "results: {root: out}", f"results: {{root: out}}\nexecutor: {{type: {executor}}}")

    def check() -> None:
        for step in ("read", "double", "total", "parity"):
            _, _, manifest = journals.found(project / "out", "cached", step)
            assert digest(canonical_json(manifest.components)) == manifest.key, step

    pipe = pipeflow.load(config)
    pipe.status()
    pipe.run()
    assert sorted(calls(project)) == ["double", "parity", "read", "total"]
    check()
    edit(config, "factor: 2", "factor: 3")
    pipe = pipeflow.load(config)
    pipe.status()
    pipe.run()
    assert sorted(calls(project)) == ["double", "total"]
    check()
    pipeflow.load(config).run(force=["double"])
    assert sorted(calls(project)) == ["double", "total"]
    check()
    assert reasons(project)["total"].startswith("stored by run ")
