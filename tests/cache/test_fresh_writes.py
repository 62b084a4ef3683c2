"""A step's declared writes hold what its run wrote, not what an earlier version left.

Real files and a real local store. Before a step runs, every file of its declared writes that
the results store holds (an earlier version's, so nothing is lost) is removed, and the folders
its writes go into are made: a step writing `models/model_{kind}.txt` into `models/` leaves
only this run's model there, and its stored version, and what a reader of the folder sees,
hold only that; a step appending to its declared file starts from an empty one. A file the
store does not hold (put there by hand), and a file the step is given as an input or names in
`reads:`, are never removed.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import fsspec
import pytest

import pipeflow
from pipeflow.storage import ResultStore
from tests.servers import ObjectStore

STEPS = '''
from pathlib import Path


def train(kind, out):
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / f"model_{kind}.txt").write_text(kind)
    return kind


def nested(kind, out):
    """Each run writes into a subfolder of its own."""
    Path(out, kind).mkdir(parents=True, exist_ok=True)
    Path(out, kind, "model.txt").write_text(kind)
    return kind


def append(kind, out):
    with open(out, "a") as handle:  # its folder is made for it
        handle.write(kind + "\\n")
    return kind


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*"))


def tuned(base, kind, out):
    """Reads a file inside the folder it writes."""
    (Path(out) / f"model_{kind}.txt").write_text(Path(base).read_text() + kind)
    return kind


def item(name):
    out = Path(__file__).parent / "parts" / name
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}-{len(name)}.txt").write_text(name)
    return name
'''

EXECUTORS = ["sequential", "threads", "processes"]


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs start from another folder than the project's: writes land in the project."""
    elsewhere = tmp_path.parent / f"{tmp_path.name}-cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)


def make(tmp_path: Path, steps: str, params: str = "{kind: a}") -> Path:
    (tmp_path / "mysteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "pipeline.yaml"
    body = textwrap.indent(textwrap.dedent(steps), "  ")
    config.write_text(f"name: fresh\nparams: {params}\nresults: {{root: out}}\nsteps:\n{body}")
    return config


def run(config: Path, executor: str = "sequential", **params: object) -> pipeflow.api.Run:
    result = pipeflow.load(config, params=params or None).run(executor=executor)
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def stored_files(tmp_path: Path, step: str) -> dict[str, list[str]]:
    """What the newest manifest of `step` lists of each declared write."""
    store = ResultStore(str(tmp_path / "out"))
    found = [store.read_manifest(path) for path in store.list(f".pipeflow/manifests/fresh/{step}")]
    manifest = max((m for m in found if m is not None), key=lambda m: m.created)
    return {label: sorted(written.entries) for label, written in manifest.files.items()}


TRAIN = """
train:
  run: mysteps.train
  inputs: {kind: "${params.kind}", out: models}
  writes: [models/]
look:
  run: mysteps.listing
  inputs: {folder: models/}
"""


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_folder_holds_only_what_this_run_wrote(tmp_path: Path, executor: str) -> None:
    config = make(tmp_path, TRAIN)
    assert run(config, executor).output("look") == ["model_a.txt"]
    again = run(config, executor, kind="b")
    assert again.output("look") == ["model_b.txt"]
    assert files(tmp_path / "models") == ["model_b.txt"]
    assert stored_files(tmp_path, "train") == {"models/": ["model_b.txt"]}
    # The earlier version is restored, not re-run, and after it a third value starts clean.
    back = run(config, executor)
    assert back.state("train").value == "cached"
    assert files(tmp_path / "models") == ["model_a.txt"]
    third = run(config, executor, kind="c")
    assert third.output("look") == ["model_c.txt"]
    assert stored_files(tmp_path, "train") == {"models/": ["model_c.txt"]}


def test_subfolders_an_earlier_version_left_are_removed(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        train:
          run: mysteps.nested
          inputs: {kind: "${params.kind}", out: models}
          writes: [models/]
        """,
    )
    run(config)
    run(config, kind="b")
    assert files(tmp_path / "models") == ["b", "b/model.txt"]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_step_appending_to_its_declared_file_starts_from_an_empty_one(
    tmp_path: Path, executor: str
) -> None:
    config = make(
        tmp_path,
        """
        log:
          run: mysteps.append
          inputs: {kind: "${params.kind}", out: logs/deep/run.txt}
          writes: [logs/deep/run.txt]
        """,
    )
    run(config, executor)  # logs/deep/ did not exist: the step's folders are made for it
    assert (tmp_path / "logs" / "deep" / "run.txt").read_text() == "a\n"
    run(config, executor, kind="b")
    assert (tmp_path / "logs" / "deep" / "run.txt").read_text() == "b\n"
    forced = pipeflow.load(config, params={"kind": "b"}).run(executor=executor, force=True)
    assert forced.ok
    assert (tmp_path / "logs" / "deep" / "run.txt").read_text() == "b\n"


def test_a_file_the_store_does_not_hold_is_kept(tmp_path: Path) -> None:
    config = make(tmp_path, TRAIN)
    run(config)
    (tmp_path / "models" / "notes.md").write_text("mine")  # never stored
    again = run(config, kind="b")
    assert (tmp_path / "models" / "notes.md").read_text() == "mine"
    assert again.output("look") == ["model_b.txt", "notes.md"]


def test_a_file_the_step_reads_inside_its_folder_is_kept(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "base.txt").write_text("base-")
    config = make(
        tmp_path,
        """
        tuned:
          run: mysteps.tuned
          inputs: {base: models/base.txt, kind: "${params.kind}", out: models}
          writes: [models/]
        """,
    )
    run(config)  # base.txt is stored with the first version
    run(config, kind="b")
    assert files(models) == ["base.txt", "model_b.txt"]
    assert (models / "model_b.txt").read_text() == "base-b"


def test_a_file_named_in_reads_inside_its_folder_is_kept(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "base.txt").write_text("base")
    config = make(
        tmp_path,
        """
        train:
          run: mysteps.train
          inputs: {kind: "${params.kind}", out: models}
          reads: [models/*.txt]
          writes: [models/]
        """,
    )
    run(config)
    run(config, kind="b")
    assert "base.txt" in files(models)


def test_each_foreach_item_starts_from_its_own_files(tmp_path: Path) -> None:
    config = make(
        tmp_path,
        """
        items:
          run: mysteps.item
          foreach: "${params.names}"
          as: name
          writes: ["parts/${name}/"]
        """,
        params="{names: [x, y]}",
    )
    run(config)
    assert files(tmp_path / "parts") == ["x", "x/x-1.txt", "y", "y/y-1.txt"]
    (tmp_path / "mysteps.py").write_text(
        (tmp_path / "mysteps.py").read_text().replace("{len(name)}", "{len(name) + 1}")
    )
    run(config)
    assert files(tmp_path / "parts") == ["x", "x/x-2.txt", "y", "y/y-2.txt"]


def test_nothing_is_removed_when_results_are_not_stored(tmp_path: Path) -> None:
    """Without a store nothing holds the earlier files: they stay (and the run says nothing
    of them)."""
    config = make(tmp_path, TRAIN)
    config.write_text(
        config.read_text().replace("results: {root: out}", "results: {persist: false}")
    )
    run(config)
    run(config, kind="b")
    assert files(tmp_path / "models") == ["model_a.txt", "model_b.txt"]


UPLOAD = """

def upload(root, kind, options):
    import fsspec

    with fsspec.open(f"{root}/model_{kind}.txt", "w", **options) as handle:
        handle.write(kind)
    return kind
"""


def test_a_folder_on_s3_holds_only_what_this_run_wrote(
    tmp_path: Path, s3_server: ObjectStore
) -> None:
    root = s3_server.unique_url("fresh")
    options = json.dumps(dict(s3_server.storage_options))
    config = make(
        tmp_path,
        f"""
        up:
          run: mysteps.upload
          inputs: {{root: "{root}/models", kind: "${{params.kind}}", options: {options}}}
          writes: ["{root}/models/"]
        """,
    )
    config.write_text(
        config.read_text().replace(
            "results: {root: out}", f"results: {{root: {root}, storage_options: {options}}}"
        )
    )
    with (tmp_path / "mysteps.py").open("a") as steps:
        steps.write(UPLOAD)
    filesystem = fsspec.filesystem("s3", **s3_server.storage_options)
    bucket = root.removeprefix("s3://")
    run(config)
    filesystem.pipe(f"{bucket}/models/notes.md", b"mine")  # no stored version holds it
    run(config, kind="b")
    found = sorted(name.rsplit("/", 1)[1] for name in filesystem.find(f"{bucket}/models"))
    assert found == ["model_b.txt", "notes.md"]
