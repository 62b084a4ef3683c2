"""Steps that exchange files: a reader's key comes from what its writer actually wrote.

Issue 11, items 1, 4 and 6, and their generalisations: a writer and a reader (with `after:`,
with `writes:`, with `reads:`), chains of three and more steps through files and folders, a
step writing to a path it is given as input, paths from `foreach` items and params, on every
executor. A reader is never served a result computed from a stale version of a file, and an
unchanged re-run runs nothing.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from tests.calls import calls

STEPS = '''
"""Steps that note every call in calls.log, so tests can see what really ran."""
import json
import os
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def write(text, out):
    note("write")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text)


def count(path):
    note("count")
    return len(Path(path).read_text())


def count_declared():
    note("count_declared")
    return len(Path(__file__).with_name("data").joinpath("out.txt").read_text())


def prepare(src, out):
    note("prepare")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for index, line in enumerate(Path(src).read_text().split()):
        (folder / f"part-{index}.txt").write_text(line)


def featurize(src, out, scale):
    note("featurize")
    values = [int(p.read_text()) * scale for p in sorted(Path(src).glob("*.txt"))]
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(values))


def train(features, out):
    note("train")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(str(sum(json.loads(Path(features).read_text()))))


def evaluate(model):
    note("evaluate")
    return int(Path(model).read_text())


def save(value, path):
    note("save")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(str(value))


def words(book):
    note("words:" + Path(book).name)
    return len(Path(book).read_text().split())


def total(counts):
    note("total")
    return sum(counts)


def folder_writer(text, out):
    note("folder_writer")
    Path(out).mkdir(parents=True, exist_ok=True)
    Path(out, "part.txt").write_text(text)


def folder_reader(src):
    note("folder_reader")
    return [str(Path(src).is_absolute()), Path(src, "part.txt").read_text()]


def locate_one():
    note("locate_one")
    return "data/x.txt"


def locate_many():
    note("locate_many")
    return {"files": ["data/x.txt", "data/y.txt"], "count": 2}


def read_text(path):
    note("read_text")
    return Path(path).read_text()


def read_texts(paths):
    note("read_texts")
    return [Path(path).read_text() for path in paths]


def read_all(paths, named, listed):
    note("read_all")
    texts = [
        Path(path).read_text()
        for path in [*paths, named["first"], named["second"]["nested"], *listed]
    ]
    return texts + [str(Path(paths[0]).is_absolute())]
'''

EXECUTORS = ["sequential", "threads", "processes"]


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs start from another folder than the project's, as from CI or a scheduler: declared
    writes land in the project all the same (and nothing lands in the repository)."""
    elsewhere = tmp_path.parent / f"{tmp_path.name}-cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)


def make(tmp_path: Path, steps: str, *, params: str = "{text: hello}") -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    body = textwrap.indent(textwrap.dedent(steps), "  ")
    config.write_text(
        f"name: files\nparams: {params}\nresults: {{root: out}}\nsteps:\n{body}",
        encoding="utf-8",
    )
    return config


def run(config: Path, executor: str = "sequential", **params: object) -> pipeflow.api.Run:
    result = pipeflow.load(config, params=params or None).run(executor=executor)
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


WRITER = 'write: {run: mysteps.write, inputs: {text: "${params.text}", out: data/out.txt}%s}\n'
READERS = {
    # the issue's own pattern: the path as an input, ordered by `after:` only
    "after": WRITER % "" + "count: {run: mysteps.count, inputs: {path: data/out.txt}, "
    "after: [write]}",
    # `writes:` declared: no `after:` needed
    "writes": WRITER % ", writes: [data/out.txt]"
    + "count: {run: mysteps.count, inputs: {path: data/out.txt}}",
    # the reader names the file in `reads:` only
    "reads": WRITER % ", writes: [data/out.txt]"
    + "count: {run: mysteps.count_declared, reads: [data/out.txt]}",
}


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("pattern", sorted(READERS))
def test_a_reader_re_runs_on_what_the_writer_wrote(
    tmp_path: Path, pattern: str, executor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if pattern == "after":
        # Nothing declares data/out.txt a write: it is relative to where pipeflow runs.
        monkeypatch.chdir(tmp_path)
    config = make(tmp_path, READERS[pattern])
    first = run(config, executor)
    counted = "count_declared" if pattern == "reads" else "count"
    assert calls(tmp_path) == sorted(["write", counted])
    assert first.output("count") == 5

    changed = run(config, executor, text="hello world")
    assert calls(tmp_path) == sorted(["write", counted])
    assert changed.output("count") == 11  # never the stale 5

    if pattern == "after":
        return  # without `writes:`, the writer's own path input changes under it: see below
    again = run(config, executor, text="hello world")
    assert calls(tmp_path) == []
    assert again.output("count") == 11
    assert (tmp_path / "data" / "out.txt").read_text() == "hello world"


def test_status_says_the_reader_waits_for_its_writer(tmp_path: Path) -> None:
    config = make(tmp_path, READERS["writes"])
    run(config)
    calls(tmp_path)
    decisions = {d.step: d for d in pipeflow.load(config, params={"text": "x"}).status()}
    assert decisions["write"].action is Action.RUN
    assert decisions["count"].action is Action.RUN
    assert decisions["count"].reason == "`write` runs first"
    assert calls(tmp_path) == []
    # Nothing changed: everything is decided up front as cached.
    assert {d.action for d in pipeflow.load(config).status()} == {Action.CACHED}


def test_a_reader_of_a_file_edited_by_hand_re_runs(tmp_path: Path) -> None:
    config = make(tmp_path, READERS["after"].replace("data/out.txt}, after", "data/in.txt}, after"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text("abc")
    assert run(config).output("count") == 3
    calls(tmp_path)
    (tmp_path / "data" / "in.txt").write_text("abcdef")
    assert run(config).output("count") == 6
    assert calls(tmp_path) == ["count"]


CHAIN = """
prepare:
  run: mysteps.prepare
  inputs: {src: data/raw.txt, out: data/prepared}
  writes: [data/prepared]
featurize:
  run: mysteps.featurize
  inputs: {src: data/prepared, out: data/features/values.json, scale: "${params.scale}"}
  writes: [data/features]
train:
  run: mysteps.train
  inputs: {features: data/features/values.json, out: models/model.txt}
  writes: [models/model.txt]
evaluate:
  run: mysteps.evaluate
  inputs: {model: models/model.txt}
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_chain_of_steps_exchanging_files_and_folders(tmp_path: Path, executor: str) -> None:
    config = make(tmp_path, CHAIN, params="{scale: 1}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw.txt").write_text("1 2 3")
    assert run(config, executor).output("evaluate") == 6
    assert calls(tmp_path) == ["evaluate", "featurize", "prepare", "train"]

    assert run(config, executor).output("evaluate") == 6
    assert calls(tmp_path) == []

    # A param in the middle: what comes before stays cached, what comes after re-runs.
    assert run(config, executor, scale=10).output("evaluate") == 60
    assert calls(tmp_path) == ["evaluate", "featurize", "train"]

    # The raw data: everything re-runs, on the content each writer produced.
    (tmp_path / "data" / "raw.txt").write_text("1 2 3 4")
    assert run(config, executor, scale=10).output("evaluate") == 100
    assert calls(tmp_path) == ["evaluate", "featurize", "prepare", "train"]
    assert run(config, executor, scale=10).output("evaluate") == 100
    assert calls(tmp_path) == []


def test_a_writer_producing_the_same_bytes_keeps_its_readers_cached(tmp_path: Path) -> None:
    config = make(tmp_path, CHAIN, params="{scale: 1}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw.txt").write_text("1 2 3")
    run(config)
    calls(tmp_path)
    # Only whitespace changes: `prepare` runs again and writes the same parts.
    (tmp_path / "data" / "raw.txt").write_text("1  2  3\n")
    assert run(config).output("evaluate") == 6
    assert calls(tmp_path) == ["prepare"]


@pytest.mark.parametrize("form", ["literal", "param"])
def test_a_step_writing_to_a_path_it_is_given_is_cached(tmp_path: Path, form: str) -> None:
    path = "data/saved.txt" if form == "literal" else "${params.target}"
    config = make(
        tmp_path,
        f"""
        save:
          run: mysteps.save
          inputs: {{value: 42, path: "{path}"}}
          writes: ["{path}"]
        """,
        params="{text: a, target: data/saved.txt}",
    )
    run(config)
    assert calls(tmp_path) == ["save"]
    run(config)
    assert calls(tmp_path) == []
    assert (tmp_path / "data" / "saved.txt").read_text() == "42"


BOOKS = """
words:
  run: mysteps.words
  foreach: "${params.books}"
  as: book
total:
  run: mysteps.total
  inputs: {counts: "${steps.words}"}
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_editing_one_book_re_runs_that_item_and_the_total(tmp_path: Path, executor: str) -> None:
    books = tmp_path / "books"
    books.mkdir()
    for name, text in {"a": "one two", "b": "three", "c": "four five six"}.items():
        (books / f"{name}.txt").write_text(text)
    config = make(tmp_path, BOOKS, params="{books: [books/a.txt, books/b.txt, books/c.txt]}")
    assert run(config, executor).output("total") == 6
    calls(tmp_path)

    (books / "b.txt").write_text("three and more")
    again = run(config, executor)
    assert again.output("total") == 8
    assert calls(tmp_path) == ["total", "words:b.txt"]
    assert run(config, executor).output("total") == 8
    assert calls(tmp_path) == []


def test_a_file_named_by_a_param_is_fingerprinted_like_a_literal_one(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        'count: {run: mysteps.count, inputs: {path: "${params.src}"}}',
        params="{src: data/in.txt}",
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text("abc")
    assert run(config).output("count") == 3
    (tmp_path / "data" / "in.txt").write_text("abcd")
    assert run(config).output("count") == 4
    assert calls(tmp_path) == ["count", "count"]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_paths_inside_lists_and_mappings_name_the_project_files(
    tmp_path: Path, executor: str
) -> None:
    """The step is given the files its key counted, wherever pipeflow runs from: a path in a
    list, in a mapping, in a param's list, each made absolute like a path on its own."""
    config = make(
        tmp_path,
        """
        read:
          run: mysteps.read_all
          inputs:
            paths: [data/a.txt]
            named: {first: data/a.txt, second: {nested: data/b.txt}}
            listed: "${params.files}"
        """,
        params="{files: [data/b.txt]}",
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a")
    (tmp_path / "data" / "b.txt").write_text("b")
    decoy = Path.cwd() / "data"  # the folder pipeflow runs from has files of the same names
    decoy.mkdir()
    (decoy / "a.txt").write_text("decoy")
    (decoy / "b.txt").write_text("decoy")
    assert run(config, executor).output("read") == ["a", "a", "b", "b", "True"]
    (tmp_path / "data" / "b.txt").write_text("B")
    assert run(config, executor).output("read") == ["a", "a", "B", "B", "True"]
    assert calls(tmp_path) == ["read_all", "read_all"]


BARE = """
reader:
  run: mysteps.folder_reader
  inputs: {src: models}
writer:
  run: mysteps.folder_writer
  inputs: {text: "${params.text}", out: models}
  writes: [%s]
"""


@pytest.mark.parametrize("declared", ["models", "models/"])
def test_a_bare_name_another_step_writes_is_a_path(tmp_path: Path, declared: str) -> None:
    """`models` names no file by its looks (no separator, no extension), but a step declares
    it in `writes:`: its reader runs after the writer, gets the path, and follows what the
    writer wrote."""
    config = make(tmp_path, BARE % declared)
    assert run(config).output("reader") == ["True", "hello"]
    assert run(config, text="other").output("reader") == ["True", "other"]
    assert calls(tmp_path) == ["folder_reader", "folder_reader", "folder_writer", "folder_writer"]
    assert run(config, text="other").output("reader") == ["True", "other"]
    assert calls(tmp_path) == []


def test_a_bare_name_in_reads_is_a_path(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        reader:
          run: mysteps.folder_reader
          inputs: {src: inbox}
          reads: [inbox]
        """,
    )
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "part.txt").write_text("one")
    assert run(config).output("reader") == ["True", "one"]
    (tmp_path / "inbox" / "part.txt").write_text("two")
    assert run(config).output("reader") == ["True", "two"]


@pytest.mark.parametrize("name", ["my data.csv", "data/my data.csv"])
def test_a_file_name_with_a_space_is_a_path(tmp_path: Path, name: str) -> None:
    """Read as a path (a name with an extension) by the key, the run and the order alike."""
    config = make(
        tmp_path,
        f"""
        count: {{run: mysteps.count, inputs: {{path: "{name}"}}}}
        write:
          run: mysteps.write
          inputs: {{text: "${{params.text}}", out: "{name}"}}
          writes: ["{name}"]
        """,
    )
    assert run(config).output("count") == 5
    assert run(config, text="longer").output("count") == 6
    assert calls(tmp_path) == ["count", "count", "write", "write"]


def test_a_file_replaced_with_its_size_and_time_re_runs_its_reader(tmp_path: Path) -> None:
    """As `cp -p` or `rsync -t` leave it: the same size and modification time, other bytes."""
    config = make(
        tmp_path,
        "load: {run: mysteps.read_all, inputs: {paths: [data/in.csv], "
        "named: {first: data/in.csv, second: {nested: data/in.csv}}, listed: []}}",
    )
    (tmp_path / "data").mkdir()
    source = tmp_path / "data" / "in.csv"
    source.write_text("1,2")
    assert run(config).output("load")[0] == "1,2"
    before = source.stat()
    incoming = tmp_path / "incoming.csv"
    incoming.write_text("3,4")
    os.replace(incoming, source)
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert run(config).output("load")[0] == "3,4"


VALUE_PATHS = """
locate_one: {run: mysteps.locate_one}
locate_many: {run: mysteps.locate_many, outputs: [files, count]}
one: {run: mysteps.read_text, inputs: {path: "${steps.locate_one}"}}
many: {run: mysteps.read_texts, inputs: {paths: "${steps.locate_many.files}"}}
nested: {run: mysteps.read_texts, inputs: {paths: ["${steps.locate_one}"]}}
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_path_another_step_returns_is_fingerprinted(tmp_path: Path, executor: str) -> None:
    """SPEC 12: paths that reach a step through any reference count like literal ones; here
    through another step's value (a path, a part holding a list of paths, a list)."""
    config = make(tmp_path, VALUE_PATHS)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.txt").write_text("x1")
    (tmp_path / "data" / "y.txt").write_text("y1")
    first = run(config, executor)
    assert first.output("one") == "x1"
    assert first.output("many") == ["x1", "y1"]
    calls(tmp_path)
    assert {o.state.value for o in run(config, executor).outcomes.values()} == {"cached"}
    assert calls(tmp_path) == []  # the keys before and during the run agree
    (tmp_path / "data" / "x.txt").write_text("x2")
    status = {decision.step: decision for decision in pipeflow.load(config).status()}
    assert status["one"].action is Action.RUN
    assert "data/x.txt" in status["one"].reason, status["one"].reason
    again = run(config, executor)
    assert again.output("one") == "x2"
    assert again.output("many") == ["x2", "y1"]
    assert again.output("nested") == ["x2"]
    assert calls(tmp_path) == ["read_text", "read_texts", "read_texts"]
    (tmp_path / "data" / "y.txt").write_text("y2")
    assert run(config, executor).output("many") == ["x2", "y2"]
    assert calls(tmp_path) == ["read_texts"]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_path_an_unstored_step_returns_is_fingerprinted(tmp_path: Path, executor: str) -> None:
    """The same through a value no store holds (`result: false`): its paths come from the
    value the run made, and the reader, stored, follows the file."""
    config = make(
        tmp_path,
        """
        locate_one: {run: mysteps.locate_one, result: false}
        one: {run: mysteps.read_text, inputs: {path: "${steps.locate_one}"}}
        """,
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.txt").write_text("x1")
    assert run(config, executor).output("one") == "x1"
    calls(tmp_path)
    assert run(config, executor).output("one") == "x1"
    assert calls(tmp_path) == ["locate_one"]  # the unstored step runs; its reader is cached
    (tmp_path / "data" / "x.txt").write_text("x2")
    assert run(config, executor).output("one") == "x2"
    assert calls(tmp_path) == ["locate_one", "read_text"]


def test_a_reader_forced_after_its_writer_is_cached_on_the_next_run(tmp_path: Path) -> None:
    config = make(tmp_path, READERS["writes"])
    run(config)
    calls(tmp_path)
    pipeflow.load(config, params={"text": "other"}).run(force=[pipeflow.api.ALL])
    assert calls(tmp_path) == ["count", "write"]
    run(config, text="other")
    assert calls(tmp_path) == []


def test_a_sub_pipeline_writes_in_its_own_folder_and_its_readers_follow(tmp_path: Path) -> None:
    child = tmp_path / "child"
    child.mkdir()
    (child / "childsteps.py").write_text(textwrap.dedent(STEPS))
    (child / "pipeline.yaml").write_text(
        textwrap.dedent(
            """
            name: child
            params: {text: hello}
            results: {root: out}
            steps:
              write:
                run: childsteps.write
                inputs: {text: "${params.text}", out: data/out.txt}
                writes: [data/out.txt]
            """
        )
    )
    config = make(
        tmp_path,
        """
        produce: {pipeline: child/pipeline.yaml, params: {text: "${params.text}"}}
        count: {run: mysteps.count, inputs: {path: child/data/out.txt}}
        """,
    )
    assert pipeflow.load(config).graph.upstream["count"] == ("produce/write",)
    assert run(config).output("count") == 5
    assert (child / "data" / "out.txt").read_text() == "hello"
    assert run(config, text="hello world").output("count") == 11
    assert calls(tmp_path) == ["count", "count"]
    assert calls(child) == ["write", "write"]
    assert run(config, text="hello world").output("count") == 11
    assert calls(tmp_path) == calls(child) == []


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_reader_given_the_path_as_a_value_follows_the_files_written(
    tmp_path: Path, executor: str
) -> None:
    """The writer returns the same path each time; what changes is the file it wrote. The
    reader takes the path as the writer's value (from memory when it ran, from the store when
    it is cached), so only the stored checksums of the writes can tell it to run again."""
    config = make(
        tmp_path,
        """
        write:
          run: mysteps.write_and_name
          inputs: {text: "${params.text}", out: data/out.txt}
          writes: [data/out.txt]
        count: {run: mysteps.count, inputs: {path: "${steps.write}"}}
        """,
    )
    module = tmp_path / "mysteps.py"
    module.write_text(
        module.read_text()
        + "\n\ndef write_and_name(text, out):\n    write(text, out)\n    return out\n"
    )
    assert run(config, executor).output("count") == 5
    assert run(config, executor, text="hello world").output("count") == 11
    assert calls(tmp_path) == ["count", "count", "write", "write"]
    assert run(config, executor, text="hello world").output("count") == 11
    assert calls(tmp_path) == []
