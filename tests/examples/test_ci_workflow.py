"""The GitHub Actions workflow in examples/ci/: valid YAML, valid against GitHub's workflow
schema (the copy check-jsonschema vendors), quoted whole by docs/ci.md, and its pipeflow
commands really run: against a local S3 server standing in for the shared cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import xmlschema
import yaml

from tests import system
from tests.servers import moto_s3

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "examples" / "ci" / "github-workflow.yml"
DOC = REPO / "docs" / "ci.md"
XSD = REPO / "tests" / "assets" / "junit-10.xsd"


def check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_workflow_is_valid_for_github(tmp_path: Path) -> None:
    done = check_workflow(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    # The control: the same check refuses a broken workflow, so the pass above means something.
    broken = workflow()
    del broken["jobs"]["pipeline"]["runs-on"]
    broken["jobs"]["pipeline"]["steps"][0] = {"uses": 3}
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    refused = check_workflow(tmp_path / "broken.yml")
    assert refused.returncode != 0, refused.stdout


def test_the_doc_quotes_the_workflow_whole() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert f"```yaml\n{text}```" in DOC.read_text(encoding="utf-8")


def pipeflow_steps() -> list[dict[str, Any]]:
    steps = workflow()["jobs"]["pipeline"]["steps"]
    return [step for step in steps if str(step.get("run", "")).startswith("pipeflow ")]


def test_the_workflow_validates_reports_and_publishes() -> None:
    steps = pipeflow_steps()
    commands = [step["run"] for step in steps]
    assert commands[0].startswith("pipeflow validate ")
    assert all("--json reports/run.json --junit reports/junit.xml" in c for c in commands[1:])
    assert any("--frozen" in c for c in commands)
    uses = [step.get("uses", "") for step in workflow()["jobs"]["pipeline"]["steps"]]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("mikepenz/action-junit-report@") for u in uses)


def test_the_workflow_commands_run_against_a_shared_s3_cache(iris_project: Path) -> None:
    """Each `pipeflow` step as GitHub would run it (bash, the job's env), in order: the push
    run fills the cache, then the pull request's `--frozen` check finds everything current."""
    with moto_s3(bucket="ci-cache", apply_env=False) as store:
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env.update({key: value for key, value in store.env.items() if value is not None})
        env["PIPEFLOW_CACHE"] = "s3://ci-cache/iris"
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
        env["PYTHONPATH"] = str(REPO)
        states = []
        for step in pipeflow_steps():
            reports = iris_project / "reports"
            shutil.rmtree(reports, ignore_errors=True)
            done = subprocess.run(
                [system.program("bash"), "-e", "-c", step["run"]],
                cwd=iris_project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            assert done.returncode == 0, f"{step['name']}:\n{done.stdout}\n{done.stderr}"
            if "--json" in step["run"]:
                report = json.loads((reports / "run.json").read_text(encoding="utf-8"))
                xmlschema.XMLSchema(str(XSD)).validate(str(reports / "junit.xml"))
                states.append(report["summary"])
                locations = [loc for s in report["steps"] for loc in s["locations"]]
                assert locations
                assert all(loc.startswith("s3://ci-cache/iris/") for loc in locations)
        assert states == [{"done": 7}, {"cached": 7}]
