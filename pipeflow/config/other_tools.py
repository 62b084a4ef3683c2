"""Step and top-level keys as other tools spell them, and the pipeflow key each means.

A user coming from Prefect, Airflow, GitHub Actions, docker-compose, Argo or DVC writes the
function's arguments as `args:` or `with:` and the order as `depends_on:` or `needs:`; the
closest spelling among pipeflow's keys ("did you mean `tags`?") would send them the wrong
way, so these names are told the key they mean, with an example in the config's language.
"""

from __future__ import annotations

from pipeflow.config.schema_hints import assignment

# key as written elsewhere -> the pipeflow step key it means
MEANT = {
    **dict.fromkeys(
        ("args", "kwargs", "arguments", "parameters", "with", "op_kwargs", "fn_kwargs"), "inputs"
    ),
    **dict.fromkeys(
        (
            "depends_on",
            "dependencies",
            "needs",
            "requires",
            "upstream",
            "upstream_tasks",
            "wait_for",
        ),
        "after",
    ),
    **dict.fromkeys(("cmd", "command", "func", "function", "callable", "python_callable"), "run"),
    **dict.fromkeys(("if", "condition", "only_if", "run_if"), "when"),
    **dict.fromkeys(("map", "matrix", "loop"), "foreach"),
    "returns": "outputs",
    "nout": "outputs",  # Prefect 1: how many parts a task returns
    "deps": "reads",  # DVC: the files a stage reads
    "outs": "writes",  # DVC: the files a stage writes
}

# pipeflow key -> (what it holds, an example value in YAML, in TOML)
_EXAMPLES = {
    "inputs": ("the function's arguments by name", "{path: data.csv}", '{path = "data.csv"}'),
    "after": ("the steps this one runs after", "[load]", '["load"]'),
    "run": (
        "the dotted path of a Python function",
        "steps.iris.load_data",
        '"steps.iris.load_data"',
    ),
    "when": ("true, false or one reference", '"${params.flag}"', '"${params.flag}"'),
    "foreach": ("a list: the step runs once per item", "[a, b]", '["a", "b"]'),
    "outputs": ("the names of the parts it returns", "[train, test]", '["train", "test"]'),
    "reads": ("", "[data/raw.csv]", '["data/raw.csv"]'),
    "writes": ("", "[data/prepared]", '["data/prepared"]'),
}


# Prefect 1 task settings that pipeflow has no key for, because it does what they ask
# without one (or says so with another value): what to write instead.
_NO_KEY = {
    "log_stdout": (
        "what a step prints is always shown after its name and kept in the history "
        "(`pipeflow logs`): remove `log_stdout`"
    ),
    "checkpoint": (
        "every step's value is stored unless the step says otherwise: remove `checkpoint`; "
        "for `{checkpoint_false}`, write `{result_false}`"
    ),
    **dict.fromkeys(
        ("cache_for", "cache_validator", "cache_key"),
        "a step is taken from the cache for as long as its code, params, input files and "
        "upstream results are unchanged (no expiry; the key is computed): remove `{key}`; "
        "`{cache_false}` runs it every time",
    ),
}


def other_tool_hint(key: str, kind: str) -> str | None:
    """The hint for the unknown step key `key` when another tool spells a pipeflow key so."""
    meant = MEANT.get(key)
    if meant is None:
        said = _NO_KEY.get(key)
        if said is None:
            return None
        return said.format(
            key=key,
            checkpoint_false=assignment("checkpoint", "false", kind),
            result_false=assignment("result", "false", kind),
            cache_false=assignment("cache", "false", kind),
        )
    holds, yaml_example, toml_example = _EXAMPLES[meant]
    example = assignment(meant, toml_example if kind == "toml" else yaml_example, kind)
    if meant == "reads":
        return (
            f"the files a step reads go under `reads` here, e.g. `{example}`; the steps it "
            "runs after, under `after`"
        )
    if meant == "writes":
        return f"the files a step writes go under `writes` here, e.g. `{example}`"
    extra = "; a step using `${steps.load}` in its `inputs` waits for it already"
    return (
        f"`{key}` is `{meant}` here: {holds}, e.g. `{example}`{extra if meant == 'after' else ''}"
    )


# top-level key as written elsewhere -> the pipeflow key it means (None: there is none)
TOP_MEANT: dict[str, str | None] = {
    **dict.fromkeys(("stages", "jobs", "tasks", "nodes"), "steps"),  # DVC, CI, Prefect, Kedro
    **dict.fromkeys(("vars", "variables", "parameters"), "params"),
    **dict.fromkeys(("include", "includes", "extends", "imports_from"), None),
}


def other_tool_top_hint(key: str, kind: str) -> str | None:
    """The hint for the unknown top-level key `key` when another tool uses it."""
    if key not in TOP_MEANT:
        return None
    meant = TOP_MEANT[key]
    if meant is None:
        step = '`[steps.NAME]` with `pipeline = "other.yaml"`'
        if kind != "toml":
            step = "`NAME: {pipeline: other.yaml}` under `steps:`"
        return (
            f"pipeflow includes no file: a step runs another config as a sub-pipeline, "
            f"{step}; shared values go in a params file (`--param-file`)"
        )
    return f"`{key}` is `{meant}` here: rename the key"
