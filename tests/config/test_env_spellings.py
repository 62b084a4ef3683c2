"""A `${env.*}` makes its value a secret however the config file spells it: plainly, or with
an escape of YAML or TOML that writes a letter of `env` (the loader skips searching a file's
values only when its bytes hold neither `env` nor a backslash)."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.config.reader import read_document

SECRET = "s3cr3t-v4lue-for-spellings"
# In a step's input, not a param: a param read from the environment is found by its name too.
YAML = 'name: p\nsteps: {one: {run: spelled.one, inputs: {token: "TOKEN"}}}\n'
TOML = 'name = "p"\n[steps.one]\nrun = "spelled.one"\ninputs = {token = "TOKEN"}\n'
SPELLINGS = {
    "plain.yaml": YAML.replace("TOKEN", "${env.PF_SPELLED}"),
    "escaped.yaml": YAML.replace("TOKEN", "${\\x65nv.PF_SPELLED}"),
    "unicode.yaml": YAML.replace("TOKEN", "${\\u0065nv.PF_SPELLED}"),
    "plain.toml": TOML.replace("TOKEN", "${env.PF_SPELLED}"),
    "escaped.toml": TOML.replace("TOKEN", "${\\u0065nv.PF_SPELLED}"),
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_every_spelling_of_an_env_reference_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("PF_SPELLED", SECRET)
    (tmp_path / "spelled.py").write_text("def one(token):\n    return 1\n")
    config = tmp_path / name
    config.write_text(SPELLINGS[name])
    pipe = pipeflow.load(config)
    assert pipe.mask(f"the token is {SECRET}") == "the token is ***"


def test_only_a_file_without_env_or_escapes_is_not_searched(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text(YAML.replace("TOKEN", "plain"))
    assert not read_document(config).mentions_env
    config.write_text(YAML.replace("TOKEN", "a\\tb"))
    assert read_document(config).mentions_env
    config.write_text(YAML.replace("TOKEN", "environment"))
    assert read_document(config).mentions_env
