"""Where a config's results root is, as a store URL (config checks and the planner both ask)."""

from __future__ import annotations

import os
from typing import Any


def store_url(root: Any, base_dir: str) -> str:
    """A results root as a store URL: relative local paths resolve against `base_dir`."""
    text = str(root)
    if "://" in text or os.path.isabs(text):
        return text
    return os.path.normpath(os.path.join(base_dir, text))


def same_kind(url: str, other: str) -> bool:
    """Whether two store URLs are stores of one kind (`s3://a/x` and `s3://b/y`, two local
    folders): the options to reach one (an endpoint, a profile) are meant for the other too."""
    return _protocols(url) == _protocols(other)


def _protocols(url: str) -> tuple[str, ...]:
    """`simplecache::s3://b/x` -> ("simplecache", "s3"); a local path -> ("file",)."""
    if "://" not in url:
        return ("file",)
    chain = url.partition("://")[0].lower().split("::")
    return tuple("file" if protocol == "local" else protocol for protocol in chain)
