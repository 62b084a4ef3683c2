"""What every method of the API does around its work: a PipeflowError leaving it has the
pipeline's secrets masked in its message."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

Method = TypeVar("Method", bound=Callable[..., Any])


def masked(method: Method) -> Method:
    """A PipeflowError leaving the method has the pipeline's secrets masked in its message
    (the method's first argument is the `Pipeline`)."""

    @functools.wraps(method)
    def masking(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self.loaded.secrets.masking():
            return method(self, *args, **kwargs)

    return cast(Method, masking)
