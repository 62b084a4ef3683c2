"""The remembered import check (`.pipeflow/import-checks.json`) covers everything importing a
step module runs: the `__init__.py` of every package on the way to each project module it
imports, however the import is spelled, and the project modules those import in turn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError

BREAK = "\nraise RuntimeError('broken at import')\n"

# form -> (the `run:` path, the project's files, the file that then starts raising)
FORMS: dict[str, tuple[str, dict[str, str], str]] = {
    "run-names-a-sub-package-module": (
        "steps.sub.mod.f",
        {"steps/sub/mod.py": "def f():\n    return 1\n"},
        "steps/sub/__init__.py",
    ),
    "from-sub-module-import-name": (
        "steps.a.f",
        {
            "steps/sub/h3.py": "X = 1\n",
            "steps/a.py": "from steps.sub.h3 import X\n\ndef f():\n    return X\n",
        },
        "steps/sub/__init__.py",
    ),
    "from-sub-package-import-module": (
        "steps.a.f",
        {
            "steps/sub/h3.py": "X = 1\n",
            "steps/a.py": "from steps.sub import h3\n\ndef f():\n    return h3.X\n",
        },
        "steps/sub/__init__.py",
    ),
    "from-sub-package-import-name": (
        "steps.a.f",
        {
            "steps/sub/__init__.py": "X = 1\n",
            "steps/a.py": "from steps.sub import X\n\ndef f():\n    return X\n",
        },
        "steps/sub/__init__.py",
    ),
    "import-sub-module": (
        "steps.a.f",
        {
            "steps/sub/h3.py": "X = 1\n",
            "steps/a.py": "import steps.sub.h3\n\ndef f():\n    return steps.sub.h3.X\n",
        },
        "steps/sub/__init__.py",
    ),
    "relative-import": (
        "steps.a.f",
        {
            "steps/sub/h3.py": "X = 1\n",
            "steps/a.py": "from .sub.h3 import X\n\ndef f():\n    return X\n",
        },
        "steps/sub/__init__.py",
    ),
    "deeper-package": (
        "steps.a.f",
        {
            "steps/sub/deep/__init__.py": "",
            "steps/sub/deep/h3.py": "X = 1\n",
            "steps/a.py": "from steps.sub.deep.h3 import X\n\ndef f():\n    return X\n",
        },
        "steps/sub/__init__.py",
    ),
    "top-level-package": (
        "steps.a.f",
        {
            "lib/__init__.py": "",
            "lib/sub/__init__.py": "",
            "lib/sub/h3.py": "X = 1\n",
            "steps/a.py": "from lib.sub.h3 import X\n\ndef f():\n    return X\n",
        },
        "lib/__init__.py",
    ),
    "module-a-sub-package-init-imports": (
        "steps.a.f",
        {
            "steps/sub/__init__.py": "from steps.sub.impl import Y\n",
            "steps/sub/impl.py": "Y = 2\n",
            "steps/sub/h3.py": "X = 1\n",
            "steps/a.py": "from steps.sub.h3 import X\n\ndef f():\n    return X\n",
        },
        "steps/sub/impl.py",
    ),
    "module-the-imported-module-imports": (
        "steps.a.f",
        {
            "steps/sub/h3.py": "from steps.other import Z\nX = Z\n",
            "steps/other.py": "Z = 3\n",
            "steps/a.py": "from steps.sub.h3 import X\n\ndef f():\n    return X\n",
        },
        "steps/other.py",
    ),
}


def write_project(folder: Path, run: str, files: dict[str, str]) -> Path:
    for name in ("steps/__init__.py", "steps/sub/__init__.py"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("", encoding="utf-8")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    config = folder / "pipeline.yaml"
    config.write_text(f"name: im\nsteps:\n  a: {{run: {run}}}\n", encoding="utf-8")
    return config


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_change_on_the_way_to_an_imported_module_is_checked_again(
    tmp_path: Path, form: str
) -> None:
    run, files, broken = FORMS[form]
    config = write_project(tmp_path, run, files)
    pipeflow.load(config)  # imports cleanly: remembered
    assert (tmp_path / ".pipeflow/import-checks.json").is_file()
    with (tmp_path / broken).open("a", encoding="utf-8") as file:
        file.write(BREAK)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    assert "broken at import" in str(raised.value)
    assert f"{broken}:" in str(raised.value)


def test_validate_in_new_processes_notices_a_broken_sub_package_init(tmp_path: Path) -> None:
    run, files, broken = FORMS["from-sub-module-import-name"]
    config = write_project(tmp_path, run, files)

    def validate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipeflow", "validate", str(config)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )

    assert validate().returncode == 0
    with (tmp_path / broken).open("a", encoding="utf-8") as file:
        file.write(BREAK)
    done = validate()
    assert done.returncode == 2, done.stdout + done.stderr
    assert "steps/sub/__init__.py:" in done.stdout + done.stderr
