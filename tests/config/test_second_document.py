"""A YAML file with a second document (`---`) is refused at the second one, with a hint that
fits a params file as well as a config (it used to speak of "a pipeline file" only)."""

from __future__ import annotations

from pathlib import Path

from tests.system import pipeflow_in as pipeflow

TWO = "x: 5\n---\nx: 6\n"


def test_a_params_file_with_two_documents_is_told_as_a_params_file(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: p\nparams: {x: 1}\nsteps: {}\n")
    (tmp_path / "f.yaml").write_text(TWO)
    result = pipeflow(tmp_path, "validate", "p.yaml", "--param-file", "f.yaml")
    assert result.returncode == 2
    assert "f.yaml:2:1: error: YAML syntax error: the file holds more than one YAML document" in (
        result.stderr
    )
    assert "hint: a pipeline or params file holds one document: remove the second `---`" in (
        result.stderr
    )


def test_a_config_with_two_documents_is_refused_at_the_second(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("name: p\nsteps: {}\n---\nname: q\n")
    result = pipeflow(tmp_path, "validate", "p.yaml")
    assert result.returncode == 2
    assert "p.yaml:3:1: error: YAML syntax error: the file holds more than one" in result.stderr
