"""Where step results live: formats, target templates, manifests and the fsspec ResultStore."""

from __future__ import annotations

from pipeflow.storage.formats import (
    FORMAT_NAMES,
    Format,
    format_for_extension,
    format_for_value,
    get_format,
)
from pipeflow.storage.manifest import Manifest, PartRecord
from pipeflow.storage.refusals import CorruptResult, ResultWarning, UntrustedResult
from pipeflow.storage.store import ResultStore
from pipeflow.storage.templates import (
    TargetFields,
    TemplateError,
    render_target,
    template_fields,
    template_params,
)

__all__ = [
    "FORMAT_NAMES",
    "CorruptResult",
    "Format",
    "Manifest",
    "PartRecord",
    "ResultStore",
    "ResultWarning",
    "TargetFields",
    "TemplateError",
    "UntrustedResult",
    "format_for_extension",
    "format_for_value",
    "get_format",
    "render_target",
    "template_fields",
    "template_params",
]
