"""The DVC-style example (examples/get_started): four scripts that exchange files.

From a clean copy it runs green; an unchanged re-run runs nothing; a param changed in
params.yaml re-runs only the steps it reaches, each on what the one before wrote (the files
equal those of a clean run with the new params: nothing stale); switching the param back
restores the earlier files without running a step; a deleted output is restored, not re-made.
The same on S3 (moto's server): the results store in a bucket, the metrics written to a URL.
The README's commands run too, in a copy of the example.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import fsspec
import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action, StepState
from tests.servers import ObjectStore
from tests.test_docs_commands import S3_BUCKET, Page, base_environment, bash_blocks

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "get_started"
STEPS = ["prepare", "featurize", "train", "evaluate"]
# What the steps write into the workspace (the metrics may go to a URL instead).
WORKSPACE = [
    "data/prepared/test.tsv",
    "data/prepared/train.tsv",
    "data/features/test.pkl",
    "data/features/train.pkl",
    "model.pkl",
]
# What a run leaves behind, never copied from the repository's example folder.
MADE = ("results", "eval", "model.pkl", "prepared", "features", ".pipeflow", "__pycache__")


def clean_copy(folder: Path) -> Path:
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(*MADE))
    assert sorted(p.name for p in (folder / "data").iterdir()) == ["data.xml"]
    return folder


class Project:
    """A copy of the example, run with `--param-file params.yaml` as the README does; the
    results store and the metrics where the test puts them."""

    def __init__(self, folder: Path, *, store: str | None = None):
        self.folder = clean_copy(folder)
        self.config = folder / "pipeline.yaml"
        self.params = folder / "params.yaml"
        self.metrics = f"{store}/eval/metrics.json" if store else str(folder / "eval/metrics.json")
        self.options = [f"store={store}", f"metrics={self.metrics}"] if store else []

    def pipeline(self) -> pipeflow.api.Pipeline:
        return pipeflow.load(self.config, param_files=[self.params], param_options=self.options)

    def run(self) -> pipeflow.api.Run:
        done = self.pipeline().run()
        assert done.ok, {name: (o.state, o.error) for name, o in done.outcomes.items()}
        return done

    def plan(self) -> dict[str, tuple[Action, str]]:
        return {d.step: (d.action, d.reason) for d in self.pipeline().status()}

    def set_param(self, old: str, new: str) -> None:
        text = self.params.read_text()
        assert text.count(old) == 1, f"{old!r} is not once in params.yaml"
        self.params.write_text(text.replace(old, new))

    def files(self) -> dict[str, bytes]:
        """Everything the steps wrote, by content (the metrics from wherever they went)."""
        found = {name: (self.folder / name).read_bytes() for name in WORKSPACE}
        filesystem, path = fsspec.core.url_to_fs(self.metrics)
        filesystem.invalidate_cache()
        found["metrics"] = filesystem.cat_file(path)
        return found

    def delete_outputs(self) -> None:
        (self.folder / "model.pkl").unlink()
        filesystem, path = fsspec.core.url_to_fs(self.metrics)
        filesystem.rm_file(path)
        filesystem.invalidate_cache()


def states(run: pipeflow.api.Run) -> dict[str, StepState]:
    return {step: run.state(step) for step in STEPS}


def reasons(run: pipeflow.api.Run) -> dict[str, str]:
    return {step: run.outcomes[step].reason for step in STEPS}


def clean_run(folder: Path, params: Path) -> dict[str, Any]:
    """The files and the metrics of a clean copy run once with `params`: what is not stale."""
    fresh = Project(folder)
    shutil.copy(params, fresh.params)
    done = fresh.run()
    assert set(states(done).values()) == {StepState.DONE}
    return {"files": fresh.files(), "metrics": done.output("evaluate")}


def shown(project: Project, text: str) -> str:
    """A path as `status` names it: relative to the project, or the URL itself."""
    return text if "://" in text else Path(text).relative_to(project.folder).as_posix()


def check_the_lifecycle(project: Project, elsewhere: Path) -> None:
    # 1. From a clean copy: every step runs, each on what the one before wrote.
    first = project.run()
    assert states(first) == dict.fromkeys(STEPS, StepState.DONE)
    metrics = first.output("evaluate")
    assert sorted(metrics) == ["accuracy", "avg_prec", "roc_auc"]
    assert 0.8 < metrics["roc_auc"] <= 1
    assert first.output("prepare")["test"] > 0
    original = project.files()

    # 2. Nothing changed: nothing runs, nothing is restored.
    again = project.run()
    assert states(again) == dict.fromkeys(STEPS, StepState.CACHED)
    assert all(reason.startswith("stored by run ") for reason in reasons(again).values())
    assert project.files() == original

    # 3a. A param of `train` only: `prepare` and `featurize` stay cached.
    project.set_param("n_est: 50", "n_est: 20")
    assert project.plan()["train"] == (Action.RUN, "param train.n_est changed (50 -> 20)")
    fewer_trees = project.run()
    assert states(fewer_trees) == {
        "prepare": StepState.CACHED,
        "featurize": StepState.CACHED,
        "train": StepState.DONE,
        "evaluate": StepState.DONE,
    }
    project.set_param("n_est: 20", "n_est: 50")
    assert {action for action, _ in project.plan().values()} <= {Action.CACHED, Action.RESTORE}

    # 3b. A param of `featurize`: it rewrites data/features/, and `train`, whose inputs are the
    # same paths, must run on the new content (issue 11, item 1), then `evaluate`.
    project.set_param("max_features: 100", "max_features: 20")
    decisions = project.plan()
    assert decisions["prepare"][0] is Action.CACHED
    assert decisions["featurize"] == (
        Action.RUN,
        "param featurize.max_features changed (100 -> 20)",
    )
    changed = project.run()
    assert states(changed) == {
        "prepare": StepState.CACHED,
        "featurize": StepState.DONE,
        "train": StepState.DONE,
        "evaluate": StepState.DONE,
    }
    assert changed.output("featurize") == {"features": 20}
    expected = clean_run(elsewhere, project.params)
    assert project.files() == expected["files"]
    assert changed.output("evaluate") == expected["metrics"] != metrics
    second = project.files()
    assert second != original
    assert {action for action, _ in project.plan().values()} == {Action.CACHED}

    # 4. Switched back: the earlier version of every file is restored, nothing runs.
    project.set_param("max_features: 20", "max_features: 100")
    decisions = project.plan()
    assert decisions["prepare"][0] is Action.CACHED
    assert decisions["featurize"] == (
        Action.RESTORE,
        "data/features/ differs from the stored version",
    )
    assert decisions["train"] == (Action.RESTORE, "model.pkl differs from the stored version")
    metrics_at = shown(project, project.metrics)
    assert decisions["evaluate"] == (
        Action.RESTORE,
        f"{metrics_at} differs from the stored version",
    )
    back = project.run()
    assert states(back) == dict.fromkeys(STEPS, StepState.CACHED)
    assert reasons(back)["featurize"] == "restored: data/features/ differs from the stored version"
    assert project.files() == original
    assert back.output("evaluate") == metrics
    # ... and forth again, with --frozen: a restore is current, nothing would have to run.
    project.set_param("max_features: 100", "max_features: 20")
    frozen = project.pipeline().run(frozen=True)
    assert frozen.ok, frozen.outcomes
    assert project.files() == second
    project.set_param("max_features: 20", "max_features: 100")
    project.run()
    assert project.files() == original

    # 5. Outputs deleted: restored from the store, not re-made.
    project.delete_outputs()
    decisions = project.plan()
    assert decisions["train"] == (Action.RESTORE, "model.pkl is missing")
    assert decisions["evaluate"] == (Action.RESTORE, f"{metrics_at} is missing")
    assert decisions["prepare"][0] is Action.CACHED
    restored = project.run()
    assert states(restored) == dict.fromkeys(STEPS, StepState.CACHED)
    assert reasons(restored)["train"] == "restored: model.pkl is missing"
    assert project.files() == original
    shutil.rmtree(project.folder / "data" / "prepared")
    assert project.plan()["prepare"] == (Action.RESTORE, "data/prepared/ is missing")
    assert states(project.run()) == dict.fromkeys(STEPS, StepState.CACHED)
    assert project.files() == original

    # 6. Garbage collected, keeping no earlier run: the current version and each step's
    # latest stay whole; the fewer-trees model of 3a (neither) goes.
    dry = project.pipeline().gc(keep_last=0, grace="0s", dry_run=True)
    assert dry.count("manifest") > 0
    assert dry.size > 0
    assert project.pipeline().gc(keep_last=0, grace="0s", dry_run=True).removals == dry.removals
    done = project.pipeline().gc(keep_last=0, grace="0s")
    assert done.removals == dry.removals
    assert {action for action, _ in project.plan().values()} == {Action.CACHED}
    assert project.files() == original
    assert project.pipeline().gc(keep_last=0, grace="0s").removals == ()  # nothing left to free
    project.set_param("n_est: 50", "n_est: 20")  # the version gc deleted: made again
    again = project.plan()
    assert again["featurize"][0] is Action.CACHED
    assert again["train"][0] is Action.RUN, again["train"]
    assert project.run().state("train") is StepState.DONE


def test_the_example_runs_caches_and_restores_on_local_disk(tmp_path: Path) -> None:
    project = Project(tmp_path / "get_started")
    check_the_lifecycle(project, tmp_path / "clean")
    assert (project.folder / "results" / ".pipeflow" / "files" / "sha256").is_dir()


def test_the_example_with_its_store_and_metrics_on_s3(
    tmp_path: Path, s3_store: ObjectStore
) -> None:
    root = s3_store.unique_url("get-started")
    project = Project(tmp_path / "get_started", store=root)
    check_the_lifecycle(project, tmp_path / "clean")
    assert not (project.folder / "results").exists()
    assert not (project.folder / "eval").exists()
    filesystem = fsspec.filesystem("s3")
    assert filesystem.find(f"{root}/.pipeflow/files/sha256")


def test_validate_and_graph_show_the_file_dependencies(tmp_path: Path) -> None:
    project = clean_copy(tmp_path / "get_started")
    config, params = str(project / "pipeline.yaml"), str(project / "params.yaml")
    validated = CliRunner().invoke(cli, ["validate", config, "--param-file", params])
    assert validated.exit_code == 0, validated.output
    assert "is valid (4 steps)" in validated.output
    graph = CliRunner().invoke(cli, ["graph", config, "--format", "ascii"])
    assert graph.exit_code == 0, graph.output
    assert graph.output.splitlines() == [
        "prepare",
        "  featurize  <- prepare (files)",
        "    train      <- featurize (files)",
        "      evaluate   <- train (files), featurize (files)",
    ]
    # Nothing ran: validating and drawing the graph write no step's files.
    assert not (project / "data" / "prepared").exists()
    assert not (project / "model.pkl").exists()


@pytest.fixture
def s3_for_commands(s3_store: ObjectStore) -> dict[str, str]:
    """The environment of a docs page's commands that need S3 (`# needs: s3`): the session's
    moto server, with the docs' bucket."""
    filesystem = fsspec.filesystem("s3")
    if not filesystem.exists(S3_BUCKET):
        filesystem.mkdir(S3_BUCKET)
    return {
        **{name: value for name, value in s3_store.env.items() if value is not None},
        "S3_ENDPOINT": s3_store.endpoint,
    }


def test_every_command_of_the_readme_runs(tmp_path: Path, s3_for_commands: dict[str, str]) -> None:
    """The README's ```bash blocks, in order, in a clean copy of the example (the harness of
    tests/test_docs_commands.py: each command must exit 0, or as its block's marker says)."""
    readme = EXAMPLE / "README.md"
    blocks = [block for block in bash_blocks(readme) if block.not_run is None]
    assert sum(len(block.commands) for block in blocks) >= 8
    assert any("s3" in block.needs for block in blocks)
    project = clean_copy(tmp_path / "get_started")
    home = tmp_path / "home"
    home.mkdir()
    page = Page(page=readme, project=project, env=base_environment(home))
    page.s3_env = s3_for_commands
    with ExitStack() as stack:
        stack.callback(page.stop_everything)
        for block in blocks:
            page.run(block)
    assert (project / "model.pkl").exists()
