"""The format a result's target names by its extension: the template's own (`d.json`), or,
where a field gives the extension (`{params.out}`, `data.{params.kind}`), the extension of
the target as the fields render it. A target ending in `.{ext}` names none: the format
chosen for the value gives its extension."""

from __future__ import annotations

import posixpath

from pipeflow.storage.formats import Format, format_for_extension
from pipeflow.storage.templates import (
    TargetFields,
    TemplateError,
    render_target,
    template_fields,
    template_params,
)


def target_format(template: str, fields: TargetFields) -> Format | None:
    """The format `template`'s extension names once rendered with `fields`, or None: no
    known extension, `{ext}` in it, or a field it cannot render (reported elsewhere)."""
    named = format_for_extension(template)
    if named is not None:
        return named
    try:
        if "ext" in template_fields(template):
            return None
        return format_for_extension(render_target(template, fields))
    except TemplateError:
        return None


def extension_params(template: str) -> list[str]:
    """The params (dotted) in the last part of `template`'s path, which may give it its
    extension: `["out"]` for `{params.out}`; [] for a malformed template."""
    try:
        return sorted(template_params(posixpath.basename(template)))
    except TemplateError:
        return []
