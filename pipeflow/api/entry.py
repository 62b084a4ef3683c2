"""What every method of the API does around its work: a keyword it does not take is a
TypeError naming the one meant, and a PipeflowError leaving it has the pipeline's secrets
masked in its message."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from pipeflow.model.options import keywords_checked

Method = TypeVar("Method", bound=Callable[..., Any])


def entry(name: str) -> Callable[[Method], Method]:
    """The method of the API called `name` (`Pipeline.run()`), its first argument the
    `Pipeline`: its keywords checked before the call, its errors' secrets masked."""

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        def masking(self: Any, *args: Any, **kwargs: Any) -> Any:
            with self.loaded.secrets.masking():
                return method(self, *args, **kwargs)

        return keywords_checked(name)(cast(Method, masking))

    return decorate
