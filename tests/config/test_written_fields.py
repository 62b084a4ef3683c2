"""Fields a run uses as written take no `${...}` reference: `code_version`, a schedule's
`params` and `executor.cluster.options`. Before, `validate` passed and the text itself
reached the run: `code_version: "v${params.model}"` never changed the cache key when the
param changed (a stale result was served as current), a schedule's `token: ${env.TOKEN}`
gave the step the text `${env.TOKEN}`, and a cluster option `account: ${env.ACCOUNT}` went
to the cluster class as that text. Each is refused where it is written, with what to do, by
`validate`, `run` and `pipeflow.load`, in YAML and TOML; `$${` stays a literal `${`.

A misspelt reference (`${parms.x}`) is refused too (it was meant as one)."""

from __future__ import annotations

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def one(tag='x'):\n    return tag\n"

YAML = {
    "code_version": (
        "name: p\nparams: {model: a}\nsteps:\n  s:\n    run: asteps.one\n"
        "    inputs: {tag: x}\n    code_version: %s\n"
    ),
    "schedule": (
        "name: p\nparams: {tag: a}\nsteps:\n  s:\n    run: asteps.one\n"
        '    inputs: {tag: "${params.tag}"}\nschedules:\n  - interval: 1h\n'
        "    params: {tag: %s}\n"
    ),
    "cluster": (
        "name: p\nexecutor:\n  type: dask\n  shared_filesystem: true\n"
        "  cluster: {class: distributed.LocalCluster, options: {name: %s}}\n"
        "steps:\n  s: {run: asteps.one}\n"
    ),
}
TOML = {
    "code_version": (
        'name = "p"\n[params]\nmodel = "a"\n[steps.s]\nrun = "asteps.one"\n'
        'inputs = {tag = "x"}\ncode_version = %s\n'
    ),
    "schedule": (
        'name = "p"\n[params]\ntag = "a"\n[steps.s]\nrun = "asteps.one"\n'
        'inputs = {tag = "${params.tag}"}\n[[schedules]]\ninterval = "1h"\n'
        "[schedules.params]\ntag = %s\n"
    ),
    "cluster": (
        'name = "p"\n[executor]\ntype = "dask"\nshared_filesystem = true\n'
        '[executor.cluster]\nclass = "distributed.LocalCluster"\n'
        "[executor.cluster.options]\nname = %s\n"
        '[steps.s]\nrun = "asteps.one"\n'
    ),
}
WHERE = {
    "code_version": ("steps.s.code_version", "v${params.model}", "pass the param as an input"),
    "schedule": ("schedules[0].params.tag", "${env.TAG}", "under `params:`"),
    "misspelt": ("steps.s.code_version", "v${parms.model}", "pass the param as an input"),
    "cluster": ("executor.cluster.options.name", "run-${env.USER:-me}", "set it in Dask's"),
}


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("field", sorted(WHERE))
def test_a_reference_in_a_field_used_as_written_is_refused(
    make_project: ProjectFactory, kind: str, field: str
) -> None:
    where, value, hint = WHERE[field]
    text = (YAML if kind == "yaml" else TOML)[field.replace("misspelt", "code_version")]
    text %= f'"{value}"'
    config = make_project(text, name=f"pipeline.{kind}", asteps=STEPS)
    line = next(n for n, x in enumerate(text.splitlines(), 1) if value in x)
    for command in ("validate", "run"):
        result = pipeflow_in(config.parent, command, config.name, env={"TAG": "t", "USER": "u"})
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"{config.name}:{line}:" in result.stderr
        assert f"error at `{where}`" in result.stderr
        assert "takes no `${...}` reference" in result.stderr
        assert hint in result.stderr
        assert not (config.parent / "data").exists()
    with pytest.raises(pipeflow.ConfigError, match=r"takes no `\$\{\.\.\.\}` reference"):
        pipeflow.load(config)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("value", ["$${not.a.ref} $ {x}", "${{ secrets.X }}"])
def test_text_that_is_no_reference_is_still_taken(
    make_project: ProjectFactory, kind: str, value: str
) -> None:
    """`$${` is a literal `${`; GitHub's `${{ ... }}` is no reference of pipeflow's."""
    text = (YAML if kind == "yaml" else TOML)["schedule"] % f'"{value}"'
    config = make_project(text, name=f"pipeline.{kind}", asteps=STEPS)
    run = pipeflow.load(config, schedule=1).run()
    assert run.output("s") == value.replace("$${", "${")
