"""How deep pipeflow walks into a value: a step may return a list nested thousands of levels
deep (valid JSON and pickle data), deeper than Python's recursion limit.

Every walk over a step's value or inputs (the paths in it, the files it names, the Remotes
to fill, the copies that isolate it) goes DEEPEST levels at most, and takes what lies deeper
as it is: opaque, as `cache.fingerprint.plain_data` does. Config values never get near it
(`config.limits.MAX_DEPTH` refuses them sooner), so only a step's own value does.
"""

from __future__ import annotations

DEEPEST = 100  # levels of lists, tuples and dicts a walk looks into; far fewer than recursion
