"""Where step results live: formats, target templates, manifests and the fsspec ResultStore.

The names below are imported from their module on first use (PEP 562), so that importing one
light module of this package (templates, formats, boundaries: what `pipeflow validate` needs)
does not import the store, its filesystems and the blobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeflow.model.lazy import lazy_exports

if TYPE_CHECKING:
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
        template_problems,
    )

_HOMES = {
    "FORMAT_NAMES": "formats",
    "Format": "formats",
    "format_for_extension": "formats",
    "format_for_value": "formats",
    "get_format": "formats",
    "Manifest": "manifest",
    "PartRecord": "manifest",
    "CorruptResult": "refusals",
    "ResultWarning": "refusals",
    "UntrustedResult": "refusals",
    "ResultStore": "store",
    "TargetFields": "templates",
    "TemplateError": "templates",
    "render_target": "templates",
    "template_fields": "templates",
    "template_params": "templates",
    "template_problems": "templates",
}

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
    "template_problems",
]

__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
