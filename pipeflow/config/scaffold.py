"""`pipeflow init`: write a starter project, or add a step to an existing config.

A step is added by inserting text, never by dumping the parsed config again, so the user's
comments, quoting and layout stay as they were: in YAML the new entry goes right after the last
line of the `steps:` block, with the indentation its siblings use; in TOML a `[steps.NAME]`
table is appended. Before anything is written the new text is parsed and must read as the old
config plus exactly the new step; when it does not (flow-style `steps: {...}`, an inline TOML
table, a JSON config), nothing is written and the error carries the text to paste by hand.
"""

from __future__ import annotations

import copy
import keyword
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeflow.config import starter
from pipeflow.config.reader import Document, read_document, read_text
from pipeflow.config.stubs import argument, check_arguments, renamed, with_function
from pipeflow.config.suggest import name_like
from pipeflow.config.yaml_loading import scalar
from pipeflow.errors import ConfigError, PipeflowError, UsageError, did_you_mean

CONFIG_NAMES = ("pipeline.yaml", "pipeline.yml", "pipeline.toml")
FORMATS = ("yaml", "toml")
DEFAULT_MODULE = "steps.pipeline"
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_NAME_HINT = "a pipeline name has ASCII letters, digits, '-' and '_' only, e.g. `sales-report`"


# -- a new project ----------------------------------------------------------------------------


def project_name(folder: Path) -> str:
    """A valid pipeline name made from the folder's name (`my project` -> `my-project`)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", folder.absolute().resolve().name).strip("-")
    return name or "pipeline"


def starter_files(name: str, config_format: str = "yaml") -> dict[str, str]:
    """The starter project: relative path -> text."""
    if config_format not in FORMATS:
        raise UsageError(f"unknown config format `{config_format}`", hint="use yaml or toml")
    if not _NAME.match(name):
        raise UsageError(f"`{name}` cannot name a pipeline", hint=_NAME_HINT)
    from pipeflow.config.schema import schema_text

    config_name = f"pipeline.{config_format}"
    config = starter.CONFIG_YAML if config_format == "yaml" else starter.CONFIG_TOML
    files = {
        config_name: config,
        starter.SCHEMA_FILE: schema_text(),
        "steps/__init__.py": starter.STEPS_INIT,
        "steps/pipeline.py": starter.STEPS_MODULE,
        "params/params.json": starter.PARAMS_JSON,
        "tests/test_steps.py": starter.TESTS,
        "pyproject.toml": starter.PYPROJECT,
        "README.md": starter.README.replace("__CONFIG__", config_name),
        ".gitignore": starter.GITIGNORE,
    }
    files = {path: text.replace("__NAME__", name) for path, text in files.items()}
    if config_format == "yaml":  # `name: 123` would be a number: quoted where YAML asks
        files[config_name] = config.replace("name: __NAME__", f"name: {scalar(name)}", 1)
        files[config_name] = files[config_name].replace("__NAME__", name)
    return files


def create_project(
    folder: Path, *, name: str | None = None, config_format: str = "yaml", force: bool = False
) -> list[Path]:
    """Write the starter project into `folder` (made if missing); returns the files written.

    Existing files are listed in a UsageError and left alone, unless `force`.
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            f"`{folder}` is a file, not a folder",
            hint="name a new or existing folder for the project, e.g. `pipeflow init myproject`",
        )
    files = starter_files(name or project_name(folder), config_format)
    _refuse_links(folder, files)
    existing = sorted(path for path in files if (folder / path).exists())
    if existing and not force:
        raise UsageError(
            f"{len(existing)} of the files `pipeflow init` writes already exist in `{folder}`: "
            + ", ".join(existing),
            hint="pass --force to overwrite them, or choose another folder",
        )
    written = []
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _refuse_links(folder: Path, relatives: Iterable[str]) -> None:
    """UsageError, before anything is written, when a file to write is a symbolic link (even
    a dangling one: writing would create its target wherever it points), or a folder to write
    in is a link that leads out of the project folder."""
    base = folder.resolve()
    found: list[str] = []
    for relative in relatives:
        path = folder / relative
        if path.is_symlink():
            found.append(f"{relative} -> {os.readlink(path)}")
            continue
        for parent in list(Path(relative).parents)[:-1]:
            place = folder / parent
            if place.is_symlink() and not place.resolve().is_relative_to(base):
                found.append(f"{parent.as_posix()}/ -> {os.readlink(place)}")
                break
    if found:
        raise UsageError(
            f"`pipeflow init` would write through a symbolic link in `{folder}`: "
            + ", ".join(sorted(set(found)))
            + "; nothing was written",
            hint="remove the links (or init another folder): pipeflow never writes a file "
            "through a link, nor into a linked folder outside the project",
        )


def find_config(folder: Path) -> Path:
    """The config `init --step` adds to when none is named: pipeline.yaml (or .yml, .toml)."""
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    raise UsageError(
        f"no {', '.join(CONFIG_NAMES)} in `{folder}`",
        hint="name the config with --config FILE, or create a project with `pipeflow init`",
    )


# -- adding a step ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AddedStep:
    """What `add_step` wrote: the step's `run` path, the config and the module it changed."""

    name: str
    run: str
    config: Path
    module: Path
    notes: tuple[str, ...] = ()  # what the user should know (an argument renamed)


def _function_name(name: str) -> str:
    """The step and function name nearest to `name`: `données` -> `donnees`, `class` -> `class_`."""
    nearest = name_like(name, allow_dash=False)
    return f"{nearest}_" if keyword.iskeyword(nearest) else nearest


def add_step(
    config: Path, name: str, *, inputs: Sequence[str] = (), after: Sequence[str] = ()
) -> AddedStep:
    """Add step `name` to `config` and a function stub for it to the project's steps module.

    `inputs` are steps whose values the new step takes (one argument each, named after the
    step); `after` are steps it runs after without taking their values.
    """
    if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name):
        # Python takes `données` for a function; a config does not take it for a step.
        raise UsageError(
            f"`{name}` cannot name a step and its function: write a Python identifier of ASCII "
            "letters, digits and '_', not starting with a digit, and no keyword",
            hint=f"e.g. `{_function_name(name)}`",
        )
    document = read_document(config)
    steps = document.data.get("steps")
    if not isinstance(steps, dict):
        raise ConfigError([document.problem(("steps",), "`steps` is not a mapping of steps")])
    if name in steps:
        raise ConfigError(
            [
                document.problem(
                    ("steps", name),
                    f"step `{name}` already exists",
                    key=True,
                    hint="choose another name, or edit this step",
                )
            ]
        )
    for upstream in [*inputs, *after]:
        if upstream not in steps and (upstream in after or upstream.split(".")[0] not in steps):
            found = did_you_mean(upstream, steps) or "the steps: " + ", ".join(steps)
            raise UsageError(f"no step `{upstream}` in `{config}`", hint=found)
    for upstream in inputs:
        _check_output(config, steps, upstream)
    check_arguments(name, inputs)
    folder = config.parent
    module = _steps_module(steps, folder)
    module_file = _module_file(folder, module)
    module_text = with_function(module_file, module, name, inputs)
    entry = _Entry(name=name, run=f"{module}.{name}", inputs=tuple(inputs), after=tuple(after))
    config_text = _with_step(config, document, entry)
    new_files = [p for p in (module_file, *_packages(folder, module)) if not p.exists()]
    _refuse_links(folder, [str(p.relative_to(folder)) for p in new_files])
    # Everything is checked: write the module first, so the config never names a missing one.
    module_file.parent.mkdir(parents=True, exist_ok=True)
    for package in _packages(folder, module):
        if not package.exists():
            package.write_text("", encoding="utf-8")
    module_file.write_text(module_text, encoding="utf-8")
    config.write_text(config_text, encoding="utf-8")
    notes = tuple(note for note in map(renamed, inputs) if note is not None)
    return AddedStep(name=name, run=entry.run, config=config, module=module_file, notes=notes)


def _check_output(config: Path, steps: dict[str, Any], upstream: str) -> None:
    """UsageError unless `--input upstream` names a value: a step that runs no sub-pipeline,
    or `STEP.OUTPUT`, an output of the sub-pipeline STEP runs (`${steps.STEP.OUTPUT}`)."""
    step, _, output = upstream.partition(".")
    child = steps[step].get("pipeline") if isinstance(steps[step], dict) else None
    if child is None:
        if output:
            raise UsageError(
                f"--input `{upstream}`: step `{step}` runs no sub-pipeline, it has no outputs",
                hint=f"pass --input {step}",
            )
        return
    try:
        declared = read_document(config.parent / str(child)).data.get("outputs")
    except (PipeflowError, OSError):
        declared = None
    outputs = list(declared) if isinstance(declared, dict) else []
    if output in outputs:
        return
    if output:
        message = f"the sub-pipeline of step `{step}` (`{child}`) has no output `{output}`"
    else:
        message = (
            f"step `{step}` runs the sub-pipeline `{child}`: a step takes one of its "
            "outputs, not the step itself"
        )
    names = ", ".join(f"`{step}.{name}`" for name in outputs)
    hint = f"pass --input with one of: {names}" if names else f"`{child}` declares no `outputs:`"
    raise UsageError(message, hint=hint)


@dataclass(frozen=True)
class _Entry:
    name: str
    run: str
    inputs: tuple[str, ...]
    after: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"run": self.run}
        if self.inputs:
            data["inputs"] = {argument(step): f"${{steps.{step}}}" for step in self.inputs}
        if self.after:
            data["after"] = list(self.after)
        return data

    def yaml(self, indent: int, step: int) -> str:
        pad, inner = " " * indent, " " * (indent + step)
        lines = [f"{pad}{scalar(self.name)}:", f"{inner}run: {self.run}"]
        if self.inputs:
            lines.append(f"{inner}inputs:")
            inputs = self.data()["inputs"].items()
            lines += [f"{inner}{' ' * step}{scalar(k)}: {v}" for k, v in inputs]
        if self.after:
            lines.append(f"{inner}after: [{', '.join(map(scalar, self.after))}]")
        return "\n".join(lines) + "\n"

    def toml(self) -> str:
        lines = [f"[steps.{self.name}]", f'run = "{self.run}"']
        if self.inputs:
            pairs = ", ".join(f'{k} = "{v}"' for k, v in self.data()["inputs"].items())
            lines.append(f"inputs = {{ {pairs} }}")
        if self.after:
            lines.append("after = [" + ", ".join(f'"{step}"' for step in self.after) + "]")
        return "\n".join(lines) + "\n"


def _steps_module(steps: dict[str, Any], folder: Path) -> str:
    """The project module most steps' `run` names (the new function joins its siblings)."""
    modules: Counter[str] = Counter()
    for step in steps.values():
        run = step.get("run") if isinstance(step, dict) else None
        if not isinstance(run, str):
            continue
        module = run.split(":", 1)[0] if ":" in run else run.rpartition(".")[0]
        if module and _module_file(folder, module).is_file():
            modules[module] += 1
    return modules.most_common(1)[0][0] if modules else DEFAULT_MODULE


def _module_file(folder: Path, module: str) -> Path:
    base = folder.joinpath(*module.split("."))
    package = base / "__init__.py"
    return package if package.is_file() else base.with_suffix(".py")


def _packages(folder: Path, module: str) -> list[Path]:
    """The `__init__.py` files a new module under `folder` needs to be importable."""
    parts = module.split(".")[:-1]
    return [folder.joinpath(*parts[: index + 1], "__init__.py") for index in range(len(parts))]


def _with_step(config: Path, document: Document, entry: _Entry) -> str:
    """The config's text with `entry` added; checked to parse as the old config plus it."""
    text = config.read_text(encoding="utf-8")
    new_text: str | None
    if document.kind == "toml":
        snippet = entry.toml()
        new_text = text.rstrip("\n") + "\n\n" + snippet
    else:
        indent, step = _yaml_indents(document)
        snippet = entry.yaml(indent, step)
        new_text = _insert_yaml(text, document, snippet)
    expected = copy.deepcopy(document.data)
    expected["steps"][entry.name] = entry.data()
    if new_text is None or not _reads_as(new_text, document, expected):
        kind = "TOML" if document.kind == "toml" else "YAML"
        raise UsageError(
            f"cannot add step `{entry.name}` to `{config}` by appending text (its `steps` "
            f"are not written as a block pipeflow can extend); add this {kind} by hand:\n\n"
            + snippet,
            hint="nothing was written",
        )
    return new_text


def _reads_as(text: str, document: Document, expected: dict[str, Any]) -> bool:
    try:
        new = read_text(text, file=document.file, kind=document.kind)
    except ConfigError:
        return False
    return not new.problems and bool(new.data == expected)


def _yaml_indents(document: Document) -> tuple[int, int]:
    """The column steps are written at, and how much deeper their keys go (default 2, 2)."""
    indent, step = 2, 2
    for path, position in document.key_positions.items():
        if len(path) == 2 and path[0] == "steps":
            indent = position.column - 1
            children = [
                child.column - position.column
                for child_path, child in document.key_positions.items()
                if child_path[:2] == path and len(child_path) == 3 and child.line > position.line
            ]
            if children and min(children) > 0:
                step = min(children)
            break
    return indent, step


def _insert_yaml(text: str, document: Document, snippet: str) -> str | None:
    """`text` with `snippet` after the last line of the block-style `steps:` mapping, or None."""
    key = document.key_positions.get(("steps",))
    value = document.value_positions.get(("steps",))
    if key is None or value is None or value.line == key.line:
        return None  # `steps: {...}` on one line (or nested oddly): no block to extend
    lines = text.splitlines(keepends=True)
    steps_indent = key.column - 1
    last = key.line - 1  # 0-based index of the last line that belongs to the steps block
    for index in range(key.line, len(lines)):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank lines and comments may belong to what follows
        if len(lines[index]) - len(lines[index].lstrip(" ")) <= steps_indent:
            break  # the next key at the level of `steps:`, or a document marker
        last = index
    if last == key.line - 1:
        return None
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    # Keep the file's rhythm: a blank line before the new step when the last one has one.
    previous_key = max(
        position.line
        for path, position in document.key_positions.items()
        if len(path) == 2 and path[0] == "steps"
    )
    spacer = "\n" if previous_key >= 2 and not lines[previous_key - 2].strip() else ""
    return "".join(lines[: last + 1]) + spacer + snippet + "".join(lines[last + 1 :])
