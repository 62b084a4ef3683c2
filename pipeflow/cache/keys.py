"""Cache keys: what a step's result depends on, hashed; and, when it changed, what changed.

A key is the hash of two halves:

1. the step's own fingerprint, known before the run: its code (see `code.py`), the values
   of the params and literals it consumes, the content of files its inputs name, and its
   result settings;
2. the data versions of the steps it takes values from: the checksums of their stored
   results (or, for a value that is never stored, that step's key).

Using upstream *data* rather than upstream keys means a step whose upstream re-ran but
produced the same bytes is still cached, and `pipeflow accept` can re-stamp one step without
re-running everything after it. Every part is kept by name in the manifest, so a later run
can say "param test_data_ratio changed (0.2 -> 0.3)" rather than "the key changed".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeflow.cache.code import CodeFingerprinter
from pipeflow.cache.files import FileFingerprints
from pipeflow.model.pipeline import Pipeline, Step
from pipeflow.model.refs import Ref, resolve
from pipeflow.model.secrets import NO_SECRETS, Secrets
from pipeflow.storage import Manifest
from pipeflow.storage.remote import fingerprint_url

KEY_LENGTH = 24  # hex digits of sha256 kept: collisions stay negligible, paths stay short


def digest(*parts: str) -> str:
    """A short, stable hash of some strings."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()[:KEY_LENGTH]


def canonical_json(value: Any) -> str:
    """A value as JSON with sorted keys; what JSON cannot hold is written by its repr."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_fallback)


@dataclass(frozen=True)
class StepValue:
    """Stands for another step's value in a fingerprint: that value enters the key through the
    step's data version, so here only its reference counts, written as its text.

    Not a string, so it is never taken for a file name (`${steps.x}` "has an extension").
    """

    text: str  # `${steps.NAME}` or `${steps.NAME.PART}`

    def __str__(self) -> str:  # inside a template: the reference's text, as before
        return self.text


def _fallback(value: Any) -> Any:
    if isinstance(value, StepValue):
        return value.text  # the JSON is the same as when the reference was the text itself
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    return repr(value)


def data_version(manifest: Manifest) -> str:
    """What downstream keys see of a stored result: the checksums of its parts."""
    return digest(*(f"{name}={part.checksum}" for name, part in sorted(manifest.parts.items())))


@dataclass(frozen=True)
class Fingerprint:
    """The half of a step's key that does not depend on other steps, part by part."""

    code: Mapping[str, str]
    values: Mapping[str, str]  # "inputs.x", "foreach", ... -> hash of the resolved value
    params: Mapping[str, Any]  # consumed param -> value as shown (secrets masked)
    files: Mapping[str, str]  # path as written (secrets masked) -> content fingerprint
    settings: str
    # For a step inlined from a sub-pipeline: upstream step names as the sub-pipeline calls
    # them, so its key is the same whether the sub-pipeline runs alone or inside another.
    upstream_names: Mapping[str, str] = field(default_factory=dict)

    def key(self, upstream: Mapping[str, str]) -> str:
        """The cache key, given the data version of each step this one takes values from."""
        return digest(canonical_json(self.components(upstream)))

    def item_key(self, upstream: Mapping[str, str], item: Any) -> str:
        """The key of one item of a `foreach` step: the other items do not count."""
        return digest(canonical_json(self.item_components(upstream, item)))

    def item_components(self, upstream: Mapping[str, str], item: Any) -> dict[str, Any]:
        components = self.components(upstream)
        components["values"] = {k: v for k, v in self.values.items() if k != "foreach"}
        components["item"] = digest(canonical_json(item))
        return components

    def components(self, upstream: Mapping[str, str]) -> dict[str, Any]:
        """Everything the key is made of, JSON-able; stored in the manifest."""
        return {
            "code": dict(self.code),
            "values": dict(self.values),
            "files": dict(self.files),
            "settings": self.settings,
            "upstream": dict(
                sorted((self.upstream_names.get(k, k), v) for k, v in upstream.items())
            ),
        }


@dataclass
class Fingerprinter:
    """Computes the fingerprints of a pipeline's steps; shares parsed code and file hashes."""

    pipeline: Pipeline
    files: FileFingerprints
    secrets: Secrets = NO_SECRETS  # never part of a manifest: what is shown of a key's parts
    code: CodeFingerprinter = field(init=False)

    def __post_init__(self) -> None:
        self.code = CodeFingerprinter(self.pipeline.project_dir)
        self._codes: dict[str, Mapping[str, str]] = {}

    def fingerprint(self, step: Step, lookup: Callable[[Ref], Any]) -> Fingerprint:
        """`lookup` resolves params, env and run references; step references stay as text."""

        origin = step.origin

        def consumed(ref: Ref) -> Any:
            # A step's value enters the key through its data version, not here.
            if ref.scope != "steps":
                return lookup(ref)
            if origin is not None:  # named as in the sub-pipeline: the same key as run alone
                ref = Ref("steps", (origin.local(ref.step), *ref.path[1:]))
            return StepValue(ref.text)

        values: dict[str, str] = {}
        paths: dict[str, str] = {}
        for name, value in step.inputs.items():
            resolved = resolve(value, consumed)
            values[f"inputs.{name}"] = digest(canonical_json(resolved))
            paths.update(self._files(resolved, lookup))
        if step.foreach is not None:
            values["foreach"] = digest(canonical_json(resolve(step.foreach, consumed)))
            values["as"] = step.item_name or "item"
        if step.params:
            values["params"] = digest(canonical_json(resolve(dict(step.params), consumed)))
        params = self.secrets.redact(
            {".".join(ref.path): lookup(ref) for ref in step.references() if ref.scope == "params"}
        )
        settings = digest(
            canonical_json(
                {
                    "outputs": list(step.outputs),
                    "format": step.result.format,
                    "target": step.result.target,
                }
            )
        )
        return Fingerprint(
            code=self._code(step),
            values=values,
            params=params,
            files=self._shown(paths),
            settings=settings,
            upstream_names={name: origin.local(name) for name in step.value_upstream()}
            if origin is not None
            else {},
        )

    def _shown(self, paths: Mapping[str, str]) -> dict[str, str]:
        """File fingerprints by path with secrets masked (they are stored in the manifest).
        Paths that only differ in a secret share one entry, which fingerprints them all:
        the key still changes when any of the files does."""
        files: dict[str, str] = {}
        for path, fingerprint in sorted(paths.items()):
            shown = self.secrets.mask(path)
            files[shown] = fingerprint if shown not in files else digest(files[shown], fingerprint)
        return files

    def _code(self, step: Step) -> Mapping[str, str]:
        if step.code_version is not None:
            return {"code_version": step.code_version}
        if step.run is None:
            return {"pipeline": str(step.pipeline)}
        if step.run not in self._codes:
            self._codes[step.run] = self.code.fingerprint(step.run).parts
        return self._codes[step.run]

    def _files(self, value: Any, lookup: Callable[[Ref], Any]) -> dict[str, str]:
        found: dict[str, str] = {}
        for text in _strings(value):
            if "://" in text:
                remote = fingerprint_url(text, self._options_for(text, lookup))
                if remote is not None:
                    found[text] = remote
                continue
            path = local_path(text, self.pipeline.project_dir)
            if path is not None:
                fingerprint = self.files.fingerprint(path)
                if fingerprint is not None:
                    found[text] = fingerprint
        return found

    def _options_for(self, url: str, lookup: Callable[[Ref], Any]) -> dict[str, Any]:
        """The results store's options serve input URLs of the same protocol."""
        root = str(resolve(self.pipeline.results.root, lookup))
        if root.split("://")[0] != url.split("://")[0]:
            return {}
        options: dict[str, Any] = resolve(dict(self.pipeline.results.storage_options), lookup)
        return options


def local_path(text: str, project_dir: str) -> Path | None:
    """The existing file or folder a string names, relative paths against the project.

    Only strings that look like paths count (a separator, or a name with an extension), so
    a label such as `data` is not taken for the folder of that name.
    """
    if not text or len(text) > 4096 or "\n" in text or "\0" in text or text in (".", ".."):
        return None
    if "/" not in text and "\\" not in text and not Path(text).suffix:
        return None
    candidate = Path(text)
    if not candidate.is_absolute():
        candidate = Path(project_dir) / candidate
    try:
        return candidate if candidate.exists() else None
    except OSError:
        return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def explain(
    now: Mapping[str, Any],
    before: Manifest,
    params_now: Mapping[str, Any],
) -> str:
    """Why a step must run again, compared with its last stored result."""
    then = before.components
    reasons: list[str] = []
    code_now, code_then = now.get("code", {}), then.get("code", {})
    changed = sorted(
        {name for name in {*code_now, *code_then} if code_now.get(name) != code_then.get(name)}
    )
    for name in changed:
        reasons.append(_describe_code(name, code_now, code_then))
    for name, value in params_now.items():
        if name not in before.params:
            reasons.append(f"param {name} is new")
        elif before.params[name] != value:
            if value == "***":
                reasons.append(f"param {name} changed")
            else:
                reasons.append(f"param {name} changed ({before.params[name]!r} -> {value!r})")
    values_now, values_then = now.get("values", {}), then.get("values", {})
    for name in sorted({*values_now, *values_then}):
        if values_now.get(name) != values_then.get(name) and not _is_param_change(name, reasons):
            reasons.append(f"{name.replace('inputs.', 'input ')} changed")
    files_now, files_then = now.get("files", {}), then.get("files", {})
    for name in sorted({*files_now, *files_then}):
        if files_now.get(name) != files_then.get(name):
            reasons.append(f"input file {name} changed")
    upstream_now, upstream_then = now.get("upstream", {}), then.get("upstream", {})
    for name in sorted({*upstream_now, *upstream_then}):
        if upstream_now.get(name) != upstream_then.get(name):
            reasons.append(f"the result of `{name}` changed")
    if now.get("settings") != then.get("settings"):
        reasons.append("its result settings changed")
    if not reasons:
        return "no stored result for its current inputs"
    shown = "; ".join(reasons[:3])
    return shown + (f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else "")


def _describe_code(name: str, now: Mapping[str, str], then: Mapping[str, str]) -> str:
    if name == "code_version":
        return f"code_version changed ({then.get(name)!r} -> {now.get(name)!r})"
    if name.startswith("package:"):
        package = name.removeprefix("package:")
        if name not in then:
            return f"it now uses package {package}"
        if name not in now:
            return f"it no longer uses package {package}"
        return f"package {package} changed ({then[name]} -> {now[name]})"
    where = name.split("::")[0]
    if "::" in name:
        function = name.split("::")[1]
        if name not in then:
            return f"it now uses `{function}` of {where}"
        return f"code of {where} changed (`{function}`)"
    return f"code of {where} changed"


def _is_param_change(name: str, reasons: list[str]) -> bool:
    """Whether a changed value is already explained by a param change."""
    return any(reason.startswith("param ") for reason in reasons) and name.startswith("inputs.")


def fan_out_version(item_versions: list[str]) -> str:
    """The data version of a `foreach` step: its items' versions, in order."""
    return digest("foreach", *item_versions)
