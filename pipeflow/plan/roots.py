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
