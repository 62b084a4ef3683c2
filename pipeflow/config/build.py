"""Turning a read document into the pipeline model, noting every value that cannot be used."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeflow.config.plain_values import (
    int_or,
    int_or_none,
    list_of,
    mapping_of,
    number_or,
    text_of,
)
from pipeflow.config.reader import Document, file_hash
from pipeflow.errors import Problem
from pipeflow.model.durations import (
    LONGEST,
    LONGEST_TEXT,
    SHORTEST_INTERVAL,
    format_duration,
    parse_duration,
)
from pipeflow.model.pipeline import (
    ClusterConfig,
    ExecutorConfig,
    Pipeline,
    ResultsConfig,
    ResultSpec,
    RetryPolicy,
    Schedule,
    Step,
)
from pipeflow.model.refs import SCOPES, ReferenceSyntaxError, parse_string
from pipeflow.storage.paths import NUL_HINT, nul_problem


class Builder:
    """Builds a Pipeline from a document; bad values become problems, not exceptions."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Problem] = []
        # The result spec of a step without `result:` (set while the steps are built).
        self._plain_result: ResultSpec | None = None
        self._defaults_late = False  # `defaults:` has a timeout shorter than its retry delay

    def fail(self, path: list[str | int], message: str, hint: str | None = None) -> None:
        self.problems.append(self.document.problem(path, message, hint=hint))

    def no_nul(self, path: list[str | int], value: Any, default: Any = None) -> Any:
        """`value`, a path the config names, or `default` when it holds a NUL character
        (reported here: the OS would refuse it later with a traceback)."""
        problem = nul_problem(value) if isinstance(value, str) else None
        if problem is not None:
            self.fail(path, problem, NUL_HINT)
            return default
        return value

    def parsed(self, path: list[str | int], value: Any, item: str | None = None) -> Any:
        """Parse references in a value, reporting each syntax error where it is; `item`: the
        name of the step's `foreach` item, which only its `reads:`/`writes:` may refer to."""
        try:
            return _parsed(value)  # most values: no paths to build on the way
        except ReferenceSyntaxError:
            return self.located(path, value, item)

    def located(self, path: list[str | int], value: Any, item: str | None = None) -> Any:
        """`parsed`, keeping the path of every value to report each syntax error where it is."""
        if isinstance(value, Mapping):
            return {k: self.located([*path, k], v, item) for k, v in value.items()}
        if isinstance(value, list):
            return [self.located([*path, i], v, item) for i, v in enumerate(value)]
        if isinstance(value, str):
            try:
                return parse_string(value)
            except ReferenceSyntaxError as error:
                if item is not None and _names_item(value, item):
                    self.fail(
                        path,
                        f"`${{{item}}}` cannot be used in `inputs`: the `foreach` item "
                        f"is passed to the function as its input `{item}`",
                        f"build the value from `{item}` in the function; `${{{item}}}` may "
                        f"name the item in `writes:` and `reads:`, and `{{{item}}}` in "
                        "`result.target`",
                    )
                else:
                    self.fail(path, str(error), self._hint(error))
                return None
        return value

    def paths(self, path: list[str | int], value: Any, item: str | None) -> tuple[Any, ...]:
        """`reads:`/`writes:`: one string or a list of them, parsed; `${ITEM}` names the
        `foreach` item when the step has one. Strings only (the schema reports the rest)."""
        listed = [value] if isinstance(value, str) else list_of(value)
        parsed: list[Any] = []
        for index, text in enumerate(listed):
            where = path if isinstance(value, str) else [*path, index]
            if not isinstance(text, str) or self.no_nul(where, text) is None:
                continue
            try:
                parsed.append(parse_string(text, item=item))
            except ReferenceSyntaxError as error:
                if item in SCOPES and re.search(rf"\$\{{{item}[}}.]", text):
                    self.fail(
                        where,
                        f"`${{{item}}}` is the `{item}` scope of references, not the `foreach` "
                        f"item `as: {item}` names",
                        f"give the item another name with `as:` (e.g. `as: {item}_item`)",
                    )
                    continue
                self.fail(where, str(error), self._hint(error))
        return tuple(parsed)

    def _hint(self, error: ReferenceSyntaxError) -> str | None:
        """A reference's hint; for one without its scope (`${load}`) that names a step or a
        param of this config, that reference written out (`${steps.load}`)."""
        first = error.unscoped.partition(".")[0]
        data = self.document.data if isinstance(self.document.data, Mapping) else {}
        meant = [
            f"`${{{scope}.{error.unscoped}}}`, {what} `{first}`"
            for scope, what in (("steps", "the value of step"), ("params", "the param"))
            if first and isinstance(names := data.get(scope), Mapping) and first in names
        ]
        return f"did you mean {', or '.join(meant)}?" if meant else error.hint

    def duration(self, path: list[str | int], value: Any, default: float | None) -> float | None:
        if value is None:
            return default
        try:
            seconds = parse_duration(value)
        except (ValueError, TypeError) as error:
            self.fail(path, str(error))
            return default
        out_of_bounds = _bounds_problem(str(path[-1]), value, seconds)
        if out_of_bounds:
            self.fail(path, *out_of_bounds)
            return default
        return seconds

    def backoff(self, path: list[str | int], value: Any, default: float) -> float:
        """`retry_backoff`, a finite factor (the schema reports one below 1, or no number)."""
        factor = number_or(value, default)
        if math.isfinite(factor):
            return factor
        self.fail(
            path,
            f"`retry_backoff` must be a finite number, got {value!r}",
            "write the factor each delay grows by, e.g. `2` for 1s, 2s, 4s, ...",
        )
        return default

    def late(self, path: list[str | int], timeout: float | None, retry: RetryPolicy) -> bool:
        """Report (at `path`) a timeout shorter than the delay before a retry; True if so."""
        if timeout is None or retry.retries <= 0 or timeout >= retry.delay:
            return False
        self.fail(
            path,
            f"the timeout ({format_duration(timeout)}) is shorter than the delay "
            f"between retries ({format_duration(retry.delay)})",
            "a step that times out that fast would wait longer than it runs; raise "
            "`timeout` or lower `retry_delay`",
        )
        return True

    def build(self) -> Pipeline:
        data = self.document.data if isinstance(self.document.data, Mapping) else {}
        source = Path(self.document.file).resolve()
        defaults = mapping_of(data.get("defaults"))
        default_retry = RetryPolicy(
            retries=int_or(defaults.get("retries"), 0),
            delay=self.duration(["defaults", "retry_delay"], defaults.get("retry_delay"), 1.0)
            or 0.0,
            backoff=self.backoff(["defaults", "retry_backoff"], defaults.get("retry_backoff"), 1.0),
        )
        default_timeout = self.duration(["defaults", "timeout"], defaults.get("timeout"), None)
        # Reported once, where `defaults:` says it, not at each step that takes both values.
        self._defaults_late = self.late(["defaults", "timeout"], default_timeout, default_retry)
        default_cache = defaults.get("cache", True) is not False
        steps: dict[str, Step] = {}
        for name, raw in mapping_of(data.get("steps")).items():
            if isinstance(raw, Mapping):
                steps[str(name)] = self.step(
                    str(name), raw, default_retry, default_timeout, default_cache
                )
        results = mapping_of(data.get("results"))
        executor = mapping_of(data.get("executor"))
        return Pipeline(
            name=str(data.get("name") or source.stem),
            description=text_of(data.get("description")),
            steps=steps,
            source=str(source),
            project_dir=str(source.parent),
            params=self.parsed(["params"], mapping_of(data.get("params"))),
            params_schema=mapping_of(data.get("params_schema")) or None,
            results=ResultsConfig(
                root=self.parsed(
                    ["results", "root"],
                    self.no_nul(["results", "root"], results.get("root", _ROOT), _ROOT),
                ),
                storage_options=self.parsed(
                    ["results", "storage_options"], mapping_of(results.get("storage_options"))
                ),
                persist=results.get("persist", True) is not False,
            ),
            executor=ExecutorConfig(
                type=str(executor.get("type", "sequential")),
                workers=int_or_none(executor.get("workers")),
                address=text_of(executor.get("address")),
                threads_per_worker=int_or_none(executor.get("threads_per_worker")),
                shared_filesystem=executor.get("shared_filesystem") is True,
                cluster=_cluster(executor.get("cluster")),
            ),
            schedules=tuple(self.schedules(data.get("schedules"))),
            allow_imports=tuple(str(x) for x in list_of(data.get("allow_imports"))),
            outputs=self.parsed(["outputs"], mapping_of(data.get("outputs"))),
            config_hash=self._config_hash(source),
        )

    def _config_hash(self, source: Path) -> str:
        """The hash of the bytes the document was read from; for a document read from a text,
        of its file as it is now ("" for none)."""
        if self.document.file_hash is not None:
            return self.document.file_hash
        return file_hash(source.read_bytes()) if source.is_file() else ""

    def step(
        self,
        name: str,
        raw: Mapping[str, Any],
        default_retry: RetryPolicy,
        default_timeout: float | None,
        default_cache: bool,
    ) -> Step:
        path: list[str | int] = ["steps", name]
        result = raw.get("result")
        if result is False:
            spec = ResultSpec(persist=False)
        elif result is None and self._plain_result is not None:
            spec = self._plain_result  # most steps: one frozen spec shared, nothing to parse
        else:
            result = mapping_of(result)
            spec = ResultSpec(
                persist=True,
                target=text_of(result.get("target")),
                format=text_of(result.get("format")),
                root=self.parsed(
                    [*path, "result", "root"],
                    self.no_nul([*path, "result", "root"], result["root"]),
                )
                if "root" in result
                else None,
                storage_options=self.parsed(
                    [*path, "result", "storage_options"], mapping_of(result.get("storage_options"))
                ),
            )
            if raw.get("result") is None:
                self._plain_result = spec
        item = (text_of(raw.get("as")) or "item") if "foreach" in raw else None
        if "retries" in raw or "retry_delay" in raw or "retry_backoff" in raw:
            retry = RetryPolicy(
                retries=int_or(raw.get("retries"), default_retry.retries),
                delay=self.duration(
                    [*path, "retry_delay"], raw.get("retry_delay"), default_retry.delay
                )
                or 0.0,
                backoff=self.backoff(
                    [*path, "retry_backoff"], raw.get("retry_backoff"), default_retry.backoff
                ),
            )
        else:
            retry = default_retry  # frozen: every step without its own retry settings shares it
        timeout = (
            self.duration([*path, "timeout"], raw["timeout"], None)
            if "timeout" in raw
            else default_timeout
        )
        # At the key of the step that makes the pair: its own `timeout`, else its own retry
        # settings (a pair both from `defaults:` was reported there).
        if "timeout" in raw:
            self.late([*path, "timeout"], timeout, retry)
        elif "retry_delay" in raw or ("retries" in raw and not self._defaults_late):
            self.late([*path, "retry_delay" if "retry_delay" in raw else "retries"], timeout, retry)
        # Absent values are skipped rather than built and parsed (most steps have few keys).
        get = raw.get
        inputs, foreach, when, params = (
            get(key) for key in ("inputs", "foreach", "when", "params")
        )
        item = (text_of(get("as")) or "item") if foreach is not None else None
        return Step(
            name=name,
            run=text_of(get("run")),
            pipeline=text_of(self.no_nul([*path, "pipeline"], get("pipeline"))),
            inputs=self.parsed([*path, "inputs"], mapping_of(inputs), item) if inputs else {},
            after=tuple(str(x) for x in list_of(get("after"))) if "after" in raw else (),
            outputs=tuple(str(x) for x in list_of(get("outputs"))) if "outputs" in raw else (),
            result=spec,
            cache=get("cache", default_cache) is not False,
            retry=retry,
            timeout=timeout,
            foreach=self.parsed([*path, "foreach"], foreach) if foreach is not None else None,
            item_name=text_of(get("as")),
            when=self.parsed([*path, "when"], when) if when is not None else None,
            params=self.parsed([*path, "params"], mapping_of(params)) if params else {},
            code_version=text_of(get("code_version")),
            description=text_of(get("description")),
            tags=tuple(str(x) for x in list_of(get("tags"))) if "tags" in raw else (),
            reads=self.paths([*path, "reads"], get("reads"), item) if "reads" in raw else (),
            writes=self.paths([*path, "writes"], get("writes"), item) if "writes" in raw else (),
        )

    def schedules(self, raw: Any) -> list[Schedule]:
        found: list[Schedule] = []
        for index, item in enumerate(list_of(raw)):
            if not isinstance(item, Mapping):
                continue
            interval = None
            if "interval" in item:
                interval = self.duration(["schedules", index, "interval"], item["interval"], None)
            found.append(
                Schedule(
                    cron=text_of(item.get("cron")),
                    timezone=text_of(item.get("timezone")),
                    interval=interval,
                    params=mapping_of(item.get("params")),
                    start=text_of(item.get("start")),
                    end=text_of(item.get("end")),
                    catch_up=item.get("catch_up") is True,
                )
            )
        return found


_ROOT = "data/processed"  # `results.root` when the config gives none
_NO_LIMIT = "remove `timeout` (or write `null`) for no limit"


def _bounds_problem(field: str, value: Any, seconds: float) -> tuple[str, str] | None:
    """(message, hint) when a config's duration is out of what pipeflow accepts, or None."""
    at_most = f"write at most `{LONGEST_TEXT}`" + (
        " (or `null` for no limit)" if field == "timeout" else ""
    )
    if math.isnan(seconds):
        return f"`{field}` must be a duration, got {value!r}", f"e.g. `30s`, `1h`; {at_most}"
    if seconds > LONGEST:
        return f"`{field}` must be at most {LONGEST_TEXT}, got {value!r}", at_most
    if field == "timeout" and seconds <= 0:
        return (
            "a timeout must be longer than zero",
            "remove `timeout` (or write `null`) for no limit",
        )
    if field == "interval" and seconds < SHORTEST_INTERVAL:
        return (
            f"an interval must be at least {SHORTEST_INTERVAL:g}s, got {value!r}",
            "write `1s` or longer, e.g. `30s`, `15m`, `1h`",
        )
    return None


def _names_item(text: str, item: str) -> bool:
    """Whether `text` parses once `${ITEM}` names a `foreach` item (so that is its fault)."""
    try:
        parse_string(text, item=item)
    except ReferenceSyntaxError:
        return False
    return True


def _parsed(value: Any) -> Any:
    """References in a value parsed; raises ReferenceSyntaxError at the first bad one."""
    kind = type(value)
    if kind is str:
        return parse_string(value) if "$" in value else value
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {k: _parsed(v) for k, v in value.items()}
    if kind is list or isinstance(value, list):
        return [_parsed(v) for v in value]
    if isinstance(value, str):
        return parse_string(value)
    return value


def _cluster(value: Any) -> ClusterConfig | None:
    """`executor.cluster`, when it has a class (the schema reports the rest)."""
    if not isinstance(value, dict) or not isinstance(value.get("class"), str):
        return None
    return ClusterConfig(
        class_path=value["class"],
        options=mapping_of(value.get("options")),
        scale=int_or_none(value.get("scale")),
    )
