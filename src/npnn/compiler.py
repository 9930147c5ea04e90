"""`npnn.compile`: PyTorch's `torch.compile`, which npnn answers by returning what it is given.

npnn runs eagerly, op by op on NumPy (or CuPy); there is no graph compiler, so
`model = npnn.compile(model)` keeps the model itself and the options are accepted and unused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def compile(model: Callable[..., Any] | None = None, *, fullgraph: bool = False,
            dynamic: bool | None = None, backend: Any = None, mode: str | None = None,
            options: dict[str, Any] | None = None, name: str | None = None, disable: bool = False,
            **kwargs: Any) -> Any:
    """The model (or function) unchanged; used as `@npnn.compile(...)`, a decorator that returns
    the function unchanged. npnn runs eagerly: nothing is compiled."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("torch.compile: model must be callable (a Module or a function)")
    return model
