"""The checks use tiny tensors: one torch thread is faster, and immune to a busy machine's oversubscription."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch with one intra-op thread inside the block, restoring the caller's setting after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def in_one_thread(function: F) -> F:
    """``function`` run inside :func:`one_thread` (the public check functions)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_thread():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
