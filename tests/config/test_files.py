"""`reads:` and `writes:` in a config: the dependencies they make, and every bad use refused.

Each bad use is a located problem at validation (exit 2), reported with the others, before
any step runs or anything is written.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.refs import ITEM, Ref, Template, parse_string

STEPS = """
from pathlib import Path


def write(text, out):
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text)


def count(path):
    return len(Path(path).read_text())


def nothing():
    return None


def each(book):
    return book
"""


def project(tmp_path: Path, steps: str, *, extra: str = "", name: str = "pipeline.yaml") -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / name
    body = textwrap.indent(textwrap.dedent(steps), "  ")
    config.write_text(
        "name: files\nparams: {out: data/out.txt, word: hello}\nresults: {root: out}\n"
        + textwrap.dedent(extra)
        + "steps:\n"
        + body
    )
    return config


def problems(config: Path, **options: object) -> str:
    with pytest.raises(pipeflow.ConfigError) as caught:
        pipeflow.load(config, **options)  # type: ignore[arg-type]
    return str(caught.value)


def upstream(config: Path, step: str) -> set[str]:
    return set(pipeflow.load(config).graph.upstream[step])


# -- parsing ------------------------------------------------------------------------------------


def test_the_foreach_item_is_a_reference_only_where_it_is_named() -> None:
    assert parse_string("counts/${item}.json", item="item") == Template(
        ("counts/", Ref(ITEM, ("item",)), ".json")
    )
    ref = parse_string("${book.path}", item="book")
    assert ref == Ref(ITEM, ("book", "path"))
    assert isinstance(ref, Ref)
    assert ref.text == "${book.path}"
    assert parse_string("${params.x}", item="params") == Ref("params", ("x",))


# -- dependencies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reader",
    [
        # a path input, literal or through a param, names what `write` writes
        "{run: mysteps.count, inputs: {path: data/out.txt}}",
        '{run: mysteps.count, inputs: {path: "${params.out}"}}',
        "{run: mysteps.count, inputs: {path: ./data/../data/out.txt}}",
        # `reads:`, one string or a list, the file or the folder holding it, or a glob
        "{run: mysteps.nothing, reads: data/out.txt}",
        "{run: mysteps.nothing, reads: [data]}",
        '{run: mysteps.nothing, reads: ["data/*.txt"]}',
        # a `foreach` item that is a path
        "{run: mysteps.each, foreach: [data/out.txt, data/other.txt], as: book}",
    ],
)
def test_a_step_reading_what_another_writes_runs_after_it(tmp_path: Path, reader: str) -> None:
    config = project(
        tmp_path,
        f"""
        reader: {reader}
        write:
          run: mysteps.write
          inputs: {{text: a, out: data/out.txt}}
          writes: [data/out.txt]
        """,
    )
    assert upstream(config, "reader") == {"write"}
    assert upstream(config, "write") == set()
    order = pipeflow.load(config).steps
    assert order.index("write") < order.index("reader")


def test_a_chain_of_file_exchanging_steps_is_ordered_by_its_files(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        third: {run: mysteps.nothing, reads: [data/b], writes: [data/c]}
        second: {run: mysteps.nothing, reads: [data/a/part.txt], writes: [data/b/]}
        first: {run: mysteps.nothing, writes: ["${params.out}", data/a]}
        """,
    )
    assert pipeflow.load(config).steps == ["first", "second", "third"]


def test_a_step_given_its_own_output_path_does_not_depend_on_itself(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        save: {run: mysteps.write, inputs: {text: a, out: data/out.txt}, writes: [data/out.txt]}
        """,
    )
    assert upstream(config, "save") == set()


def test_paths_only_known_during_the_run_make_no_dependency(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        names: {run: mysteps.nothing}
        reader: {run: mysteps.count, inputs: {path: "${steps.names}"}}
        write: {run: mysteps.nothing, writes: [data/out.txt]}
        """,
    )
    assert upstream(config, "reader") == {"names"}


def test_a_foreach_step_writes_one_file_per_item(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        per_book: {run: mysteps.each, foreach: [a, b], as: book, writes: ["counts/${book}.txt"]}
        total_a: {run: mysteps.count, inputs: {path: counts/a.txt}}
        unrelated: {run: mysteps.count, inputs: {path: counts/c.txt}}
        """,
    )
    assert upstream(config, "total_a") == {"per_book"}
    assert upstream(config, "unrelated") == set()


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("writes", "expected"),
    [
        ("../elsewhere/out.txt", "outside the project folder and the results root"),
        ("/tmp/pipeflow-elsewhere.txt", "outside the project folder and the results root"),
        ("~/out.txt", "outside the project folder and the results root"),
        ("s3://bucket/out.txt", "outside the project folder and the results root"),
        ("data/../../out.txt", "outside the project folder and the results root"),
        (".pipeflow/file-hashes.json", "inside pipeflow's own `.pipeflow/` folder"),
        ("out/.pipeflow/manifests", "inside pipeflow's own `.pipeflow/` folder"),
        (".", "holds the config itself"),
        ("out", "holds the results store"),
        ("data/*.csv", "not a pattern"),
    ],
)
def test_a_write_outside_what_the_project_owns_is_refused(
    tmp_path: Path, writes: str, expected: str
) -> None:
    config = project(tmp_path, f"w: {{run: mysteps.nothing, writes: [{writes!r}]}}")
    found = problems(config)
    assert expected in found
    assert "steps.w.writes[0]" in found


def test_a_param_cannot_send_a_write_outside_the_project(tmp_path: Path) -> None:
    config = project(tmp_path, 'w: {run: mysteps.nothing, writes: "${params.out}"}')
    assert pipeflow.load(config)
    for bad in ("../x.txt", "/etc/passwd", ".pipeflow/history.db"):
        found = problems(config, params={"out": bad})
        assert "steps.w.writes" in found
    assert not (tmp_path / "out").exists()


def test_writes_under_the_results_root_url_are_allowed(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        w: {run: mysteps.nothing, writes: ["s3://bucket/prefix/exports/data.csv"]}
        v: {run: mysteps.nothing, writes: ["s3://bucket/other/data.csv"]}
        """,
        extra="results: {root: s3://bucket/prefix}\n",
    )
    text = config.read_text().replace("results: {root: out}\n", "")
    config.write_text(text)
    found = problems(config)
    assert "steps.v.writes[0]" in found
    assert "steps.w.writes" not in found
    assert "the results root (s3://bucket/prefix)" in found


def test_two_steps_writing_the_same_or_nested_paths_are_refused(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        a: {run: mysteps.nothing, writes: [data/out.txt]}
        b: {run: mysteps.nothing, writes: ["${params.out}"]}
        c: {run: mysteps.nothing, writes: [models]}
        d: {run: mysteps.nothing, writes: [models/m.joblib]}
        """,
    )
    found = problems(config)
    assert "steps `a` and `b` both write data/out.txt" in found
    assert "steps `c` and `d` both write models/m.joblib (inside models)" in found


CHILD = """
name: child
params: {tag: a}
steps:
  prep:
    run: mysteps.write
    inputs: {text: x, out: "data/${params.tag}/out.txt"}
    writes: ["data/${params.tag}/out.txt"]
"""


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        ("{tag: same}", "{tag: same}", "data/same/out.txt"),
        ("{}", "{tag: a}", "data/a/out.txt"),  # the default, and the default given
        ("{tag: one}", "{tag: two}", None),
    ],
)
def test_two_instances_of_a_sub_pipeline_writing_one_file_are_refused(
    tmp_path: Path, first: str, second: str, clash: str | None
) -> None:
    """Each instance's writes were checked with the child's own config, where they are one
    step's: two instances writing one file passed, and each run overwrote one with the other
    (and restored one over the other)."""
    (tmp_path / "child.yaml").write_text(CHILD)
    config = project(
        tmp_path,
        f"""
        one: {{pipeline: child.yaml, params: {first}}}
        two: {{pipeline: child.yaml, params: {second}}}
        """,
    )
    if clash is None:
        pipeflow.load(config)
        return
    found = problems(config)
    assert "error at `steps.two.pipeline`" in found, found
    assert f"steps `one/prep` and `two/prep` both write {clash}" in found, found


def test_a_sub_pipeline_writing_what_a_step_of_its_parent_writes_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "child.yaml").write_text(CHILD)
    config = project(
        tmp_path,
        """
        one: {pipeline: child.yaml, params: {tag: same}}
        own: {run: mysteps.nothing, writes: [data/same]}
        """,
    )
    found = problems(config)
    assert "steps `one/prep` and `own` both write data/same/out.txt (inside data/same)" in found


def test_every_item_of_a_foreach_step_writing_one_file_is_refused(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        "per_book: {run: mysteps.each, foreach: [a, b], as: book, writes: [counts.txt]}",
    )
    found = problems(config)
    assert "every item of `per_book` writes counts.txt" in found
    assert "${item}" in found


def test_a_cycle_through_files_is_printed(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        a: {run: mysteps.nothing, reads: [data/y], writes: [data/x]}
        b: {run: mysteps.nothing, reads: [data/x], writes: [data/y]}
        """,
    )
    found = problems(config)
    assert "cycle: a -> b -> a" in found
    assert "`reads`/`writes`" in found


def test_references_in_reads_and_writes_are_checked(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        a: {run: mysteps.nothing, reads: ["${params.nope}"], writes: ["data/${steps.b}"]}
        b: {run: mysteps.nothing, writes: ["data/${item}.txt"]}
        """,
    )
    found = problems(config)
    assert "names no param `nope`" in found
    assert "`writes` cannot use a step's value (`${steps.b}`)" in found
    assert "unknown reference `${item}`" in found  # `b` has no `foreach`


@pytest.mark.parametrize(
    "value",
    ["[1]", "{a: b}", "[[data/x]]", "''", "true"],
    ids=["int", "map", "nested", "empty", "bool"],
)
def test_reads_and_writes_hold_strings(tmp_path: Path, value: str) -> None:
    for field in ("reads", "writes"):
        config = project(tmp_path, f"a: {{run: mysteps.nothing, {field}: {value}}}")
        assert f"steps.a.{field}" in problems(config)


def test_validate_reports_them_all_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        a: {run: mysteps.nothing, writes: [../x, data/out.txt]}
        b: {run: mysteps.nothing, writes: [data/out.txt, .pipeflow/x]}
        """,
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    text = result.output
    assert "steps.a.writes[0]" in text
    assert "steps.b.writes[0]" in text
    assert "steps.b.writes[1]" in text
    # Nothing a step writes: only validation's own note that the step module imports cleanly.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".pipeflow") == before
    own = tmp_path / ".pipeflow"
    assert not own.exists() or [p.name for p in own.iterdir()] == ["import-checks.json"]


def test_toml_configs_take_reads_and_writes_too(tmp_path: Path) -> None:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.toml"
    config.write_text(
        textwrap.dedent(
            """
            name = "files"
            [steps.write]
            run = "mysteps.write"
            inputs = {text = "a", out = "data/out.txt"}
            writes = ["data/out.txt"]
            [steps.reader]
            run = "mysteps.nothing"
            reads = "data"
            """
        )
    )
    loaded = pipeflow.load(config)
    assert loaded.graph.upstream["reader"] == ("write",)
    assert loaded.step("write").writes == ("data/out.txt",)


def test_the_graph_shows_which_dependencies_come_from_files(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        """
        write: {run: mysteps.write, inputs: {text: a, out: data/out.txt}, writes: data/out.txt}
        first: {run: mysteps.nothing}
        count: {run: mysteps.count, inputs: {path: data/out.txt}, after: [first]}
        """,
    )
    result = CliRunner().invoke(cli, ["graph", str(config), "--format", "ascii"])
    assert result.exit_code == 0, result.output
    assert "count  <- first (after), write (files)" in result.output
