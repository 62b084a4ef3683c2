"""Semantic checks: what a schema cannot see, each reported where it is in the file.

In order: references (unknown steps, params, parts, parts of a value that has none in
`part_checks.py`; a step using itself), `after`, cycles, `run` paths (allowed, importable,
callable, inputs fitting the signature), foreach/as and result targets (`result_checks.py`),
results roots (`targets.py`), schedules and the executor (`schedule_checks.py`), and the
pipeline's outputs. `Checker` holds what they share: the document, the params, the secrets to
mask in values, and the problems found.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from typing import Any

from pipeflow.config.imports import ImportChecks
from pipeflow.config.param_refs import missing_param
from pipeflow.config.part_checks import no_parts
from pipeflow.config.read_checks import check_reads
from pipeflow.config.reader import Document
from pipeflow.config.result_checks import check_foreach, check_result, trial_fields
from pipeflow.config.schedule_checks import check_executor, check_schedules
from pipeflow.config.schema_hints import assignment
from pipeflow.config.suggest import did_you_mean, listing
from pipeflow.config.targets import (
    check_collisions,
    check_in_memory,
    check_reachable,
    check_stores,
)
from pipeflow.config.written import check_written
from pipeflow.errors import Problem
from pipeflow.importing import ImportProblem, Resolver, Signature
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, Template, unparse
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.plan.files import WriteIndex
from pipeflow.plan.graph import CycleError, StepGraph

Path = list[str | int]
Fits = list[tuple[str, str | None]]  # what a signature says of a step's inputs: message, hint
_STEP, _PARAM = '"${steps.NAME}"', '"${params.NAME}"'  # what a `when:` hint shows


class Checker:
    """Runs every semantic check on a built pipeline and collects the problems."""

    def __init__(
        self,
        pipeline: Pipeline,
        document: Document,
        *,
        params: Mapping[str, Any],
        check_code: bool = True,
        skip_steps: frozenset[str] = frozenset(),
        skip_runs: frozenset[str] = frozenset(),
        graph: StepGraph | None = None,
        secrets: Secrets = NO_SECRETS,
        writes: WriteIndex | None = None,
        results: str | None = None,
        executor: str | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.results = results  # the root a run is given instead of `results.root`
        self.executor = executor  # the executor it is given instead of `executor.type`
        self.secrets = secrets  # masked in values that messages show
        self.document = document
        self.params = params
        self.check_code = check_code
        # Steps with schema errors: their inputs are not checked against their function (a
        # misspelt `inputs` would bring a "missing input"), and their `run` only when the
        # error is elsewhere (SPEC 3: every problem at once).
        self.skip_steps = skip_steps
        self.skip_runs = skip_runs
        self.problems: list[Problem] = []
        self.graph = graph if graph is not None else StepGraph(pipeline.steps)
        self.writes = writes  # who writes which files (`writes:`), for checking targets
        self._resolver: Resolver | None = None  # made when the first `run:` is checked
        self._declared: set[str] | None = None
        self._imports: dict[str, list[str]] = {}  # project module -> the steps that name it
        # Per callable, the names given to it and which is a `foreach` item: what its
        # signature says (steps that share them get the same answer; each its own problem).
        self._fits: dict[tuple[str, tuple[str, ...], str | None], Fits] = {}

    @property
    def resolver(self) -> Resolver:
        """Looks each module up once for the whole pipeline."""
        if self._resolver is None:
            self._resolver = Resolver(self.pipeline.project_dir, self.pipeline.allow_imports)
        return self._resolver

    def fail(self, path: Path, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.problems.append(self.document.problem(path, message, hint=hint, key=key))

    def run(self) -> list[Problem]:
        fields = trial_fields(self.pipeline, self.params)
        for name, step in self.pipeline.steps.items():
            if step.origin is not None:
                continue  # inlined from a sub-pipeline, checked when that config was loaded
            self.references(name, step)
            self.after(name, step)
            self.fan_out(name, step)
            check_result(name, step, fields=fields, params=self.params, fail=self.fail)
            self.code(name, step)
        self.imports()
        self.cycles()
        self.params_references()
        self.store()
        check_stores(self.pipeline, self.params, fields, self.fail, self.results)
        check_collisions(self.pipeline, self.params, fields, self.fail, self.writes)
        check_reachable(self.pipeline, self.params, self.fail, self.executor)
        check_in_memory(self.pipeline, self.params, self.fail, self.executor)
        check_schedules(self.pipeline, self.fail)
        check_executor(self.pipeline, self.fail)
        check_reads(self.pipeline, self.fail)
        check_written(self.pipeline, self.fail)
        self.outputs()
        return self.problems

    # -- references -------------------------------------------------------------------------

    def references(self, name: str, step: Step) -> None:
        for path, ref in _step_references(step):
            full: Path = ["steps", name, *path]
            if ref.scope == "steps":
                self.step_reference(full, ref, name)
            elif ref.scope == "params":
                self.param_reference(full, ref)
            elif ref.scope == "env":
                self.env_reference(full, ref)

    def env_reference(self, path: Path, ref: Ref) -> None:
        name = ref.path[0]
        if ref.default is None and name not in os.environ:
            self.fail(
                path,
                f"environment variable `{name}` is not set",
                f"set it, or give a default: `${{env.{name}:-VALUE}}`",
            )

    def step_reference(self, path: Path, ref: Ref, user: str | None) -> None:
        steps = self.pipeline.steps
        if ref.step not in steps:
            if ref.step in self._declared_steps():
                return  # the step exists but is invalid; that is reported where it is
            self.fail(
                path,
                f"`{ref.text}` names no step `{ref.step}`",
                did_you_mean(ref.step, steps) or listing("steps", steps),
            )
            return
        if ref.step == user:
            self.fail(
                path,
                f"step `{user}` uses its own value `{ref.text}`",
                "a step can only use the values of other steps",
            )
            return
        target = steps[ref.step]
        if ref.part is None:
            return
        if target.outputs and ref.part not in target.outputs:
            self.fail(
                path,
                f"`{ref.text}`: step `{ref.step}` has no output `{ref.part}`",
                did_you_mean(ref.part, target.outputs) or listing("outputs", target.outputs),
            )
            return
        checked = self.check_code and ref.step not in self.skip_steps
        found = no_parts(ref, target, self._signature if checked else None)
        if found is not None:
            self.fail(path, *found)

    def _signature(self, run: str) -> Signature:
        return self.resolver.resolve(run).signature

    def param_reference(self, path: Path, ref: Ref) -> None:
        found = missing_param(ref, self.params, self.secrets)
        if found is not None:
            self.fail(path, *found)

    def params_references(self) -> None:
        for path, ref in _walk(self.pipeline.params, ["params"]):
            if ref.scope not in ("env", "run"):
                self.fail(
                    path,
                    f"`{ref.text}`: param defaults may only use `${{env.*}}` and `${{run.*}}`",
                )

    def _declared_steps(self) -> set[str]:
        if self._declared is None:
            data = self.document.data if isinstance(self.document.data, Mapping) else {}
            steps = data.get("steps")
            self._declared = {str(name) for name in steps} if isinstance(steps, Mapping) else set()
        return self._declared

    def after(self, name: str, step: Step) -> None:
        for index, other in enumerate(step.after):
            if other in self._declared_steps() and other not in self.pipeline.steps:
                continue
            if other not in self.pipeline.steps:
                self.fail(
                    ["steps", name, "after", index],
                    f"`after` names no step `{other}`",
                    did_you_mean(other, self.pipeline.steps)
                    or listing("steps", self.pipeline.steps),
                )
            elif other == name:
                self.fail(["steps", name, "after", index], f"step `{name}` cannot run after itself")

    def cycles(self) -> None:
        # A step naming itself is reported by the reference checks already.
        try:
            self.graph.order()  # kept for the plan; found in one pass when there is no cycle
            return
        except CycleError:
            pass
        for found in self.graph.find_cycles(ignore_self=True):  # each knot, all at once
            # find_cycles walks from a step to what it needs; show it the way data flows.
            cycle = list(reversed(found))
            start = cycle.index(min(cycle[:-1]))
            cycle = [*cycle[start:-1], *cycle[:start], cycle[start]]
            steps = self.pipeline.steps
            by_files = any(
                before not in steps[after].upstream() for before, after in itertools.pairwise(cycle)
            )
            self.fail(
                ["steps", cycle[0]],
                "the steps depend on each other in a cycle: " + " -> ".join(cycle),
                "remove one of these references, `after` entries or `reads`/`writes` paths"
                if by_files
                else "remove one of these references or `after` entries",
                key=True,
            )

    # -- code -------------------------------------------------------------------------------

    def code(self, name: str, step: Step) -> None:
        path: Path = ["steps", name]
        if step.run is None or not self.check_code or name in self.skip_runs:
            return
        try:
            resolved = self.resolver.resolve(step.run)
        except ImportProblem as problem:
            self.fail([*path, "run"], problem.message, problem.hint)
            return
        if resolved.project_module is not None:
            self._imports.setdefault(resolved.project_module, []).append(name)
        if name in self.skip_steps:
            return
        given = (
            (*step.inputs, step.item_name or "item")
            if step.foreach is not None
            else (*step.inputs,)
        )
        item = (step.item_name or "item") if step.foreach is not None else None
        fits = self._fits.get((step.run, given, item))
        if fits is None:
            fits = resolved.signature.problems(given, item=item, kind=self.document.kind)
            self._fits[step.run, given, item] = fits
        for message, hint in fits:
            where: Path = [*path, "inputs"]
            for input_name in step.inputs:
                if f"`{input_name}`" in message:
                    where = [*path, "inputs", input_name]
            if item is not None and message.startswith(f"unknown input `{item}`"):
                where = [*path, "as" if step.item_name else "foreach"]
            self.fail(where, f"step `{name}` ({step.run}): {message}", hint, key=True)

    def imports(self) -> None:
        """The project modules `run:` names import cleanly (`imports.py`: only those whose
        code changed since they last did are imported), and where one was imported, its
        live objects keep to the allow rule (the source may not show what importing binds)."""
        if not self._imports:
            return
        checks = ImportChecks(self.pipeline.project_dir, self.resolver.import_module)
        verdicts: dict[str, ImportProblem | None] = {}  # per `run:` path: checked once
        for module, names in self._imports.items():
            problem = checks.check(module)
            for name in names:
                where: Path = ["steps", name, "run"]
                run = self.pipeline.steps[name].run
                if problem is not None:
                    self.fail(where, problem.message, problem.hint)
                elif run is not None and self.resolver.imported(module):
                    if run not in verdicts:
                        verdicts[run] = self._verified(run)
                    refused = verdicts[run]
                    if refused is not None:
                        self.fail(where, refused.message, refused.hint)
        checks.save()

    def _verified(self, run: str) -> ImportProblem | None:
        """Why the imported module's live objects refuse a `run:` path, or None."""
        try:
            self.resolver.verify(run)
        except ImportProblem as refused:
            return refused
        return None

    def fan_out(self, name: str, step: Step) -> None:
        if step.params and step.pipeline is None:
            self.fail(
                ["steps", name, "params"],
                "`params` passes params to a sub-pipeline; this step runs a function",
                "give the function its values under `inputs:`",
                key=True,
            )
        if step.item_name and step.foreach is None:
            self.fail(["steps", name, "as"], "`as` is only used together with `foreach`")
        if step.foreach is not None:
            check_foreach(
                name,
                step,
                params=self.params,
                secrets=self.secrets,
                fail=self.fail,
                kind=self.document.kind,
            )
        if isinstance(step.when, Template):  # always a string: `not ${params.flag}` is true
            kind = self.document.kind
            self.fail(
                ["steps", name, "when"],
                f"`when` takes one reference whole: `{unparse(step.when)}` has text around its "
                "reference, so it is a string, not a test (pipeflow evaluates no expressions)",
                f"return a boolean from a step and write `{assignment('when', _STEP, kind)}`, "
                f"or test a boolean param: `{assignment('when', _PARAM, kind)}`",
            )
        elif isinstance(step.when, str) and not isinstance(step.when, Ref):
            self.fail(
                ["steps", name, "when"],
                f"`when` must be true, false or a reference such as `${{params.flag}}`, "
                f"got {step.when!r}",
            )

    # -- the rest ---------------------------------------------------------------------------

    def store(self) -> None:
        results = self.pipeline.results
        found = [
            *_walk(results.root, ["results", "root"]),
            *_walk(dict(results.storage_options), ["results", "storage_options"]),
        ]
        for name, step in self.pipeline.steps.items():
            if step.result.root is None and not step.result.storage_options:
                continue  # stored where the pipeline stores: nothing of its own to check
            found += _walk(step.result.root, ["steps", name, "result", "root"])
            found += _walk(
                dict(step.result.storage_options), ["steps", name, "result", "storage_options"]
            )
        for path, ref in found:
            if ref.scope == "steps":
                self.fail(path, "where results are stored cannot depend on a step's value")
            elif ref.scope == "params":
                self.param_reference(path, ref)
            elif ref.scope == "env":
                self.env_reference(path, ref)

    def outputs(self) -> None:
        for name, value in self.pipeline.outputs.items():
            for path, ref in _walk(value, ["outputs", name]):
                if ref.scope == "steps":
                    self.step_reference(path, ref, None)
                elif ref.scope == "params":  # filled in where a parent runs this pipeline
                    self.param_reference(path, ref)
                elif ref.scope == "env":
                    self.env_reference(path, ref)


def _step_references(step: Step) -> Iterator[tuple[Path, Ref]]:
    for name, value in step.inputs.items():
        if type(value) is Ref:  # the most common input: one whole reference
            yield ["inputs", name], value
        elif type(value) is not str:
            yield from _walk(value, ["inputs", name])
    if step.foreach is not None:
        yield from _walk(step.foreach, ["foreach"])
    if step.when is not None:
        yield from _walk(step.when, ["when"])
    if step.params:
        yield from _walk(dict(step.params), ["params"])


def _walk(value: Any, path: Path) -> Iterator[tuple[Path, Ref]]:
    if isinstance(value, Ref):
        yield path, value
    elif isinstance(value, Template):
        for part in value.parts:
            if isinstance(part, Ref):
                yield path, part
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, [*path, index])
