"""Load torch's state_dict into the same npnn layer, then compare outputs and every gradient."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import npnn

TORCH_DTYPE = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype: Any, what: str) -> None:
    """Equal dtype and shape, values to the dtype's rtol (atol scaled by the largest value)."""
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} vs {expected.dtype}"
    rtol = RTOL[np.dtype(dtype)]
    finite = expected[np.isfinite(expected)]
    scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def pair(ours_class: Callable[..., Any], theirs_class: Callable[..., Any], dtype: np.dtype, *args: Any,
         **kwargs: Any) -> tuple[Any, Any]:
    """The same layer from torch and npnn, npnn's loaded from torch's state_dict (same keys)."""
    theirs = theirs_class(*args, **kwargs, dtype=TORCH_DTYPE[np.dtype(dtype)])
    ours = ours_class(*args, **kwargs, dtype=dtype)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def flat(result: Any) -> list[Any]:
    """A layer's result (a tensor, or tuples of them, None skipped) as a flat list."""
    if result is None:
        return []
    if not isinstance(result, tuple):
        return [result]
    return [leaf for item in result for leaf in flat(item)]


def compare(ours: Any, theirs: Any, arrays: Sequence[np.ndarray], dtype: Any,
            call: Callable[[Any, list[Any]], Any], constants: Sequence[np.ndarray] = ()) -> None:
    """call(layer, tensors + constants) on both sides (the float `arrays` require grad, the
    `constants`, masks, do not); backward a random weighting of every output; compare outputs,
    the arrays' gradients and every parameter's gradient."""
    ours_in = [npnn.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    results = flat(call(ours, ours_in + [npnn.tensor(c) for c in constants]))
    expected = flat(call(theirs, theirs_in + [torch.tensor(c) for c in constants]))
    assert len(results) == len(expected)
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(tuple(r.shape)).astype(dtype) for r in expected]
    for i, (r, t) in enumerate(zip(results, expected, strict=True)):
        assert_close(r.numpy(), t.detach().numpy(), dtype, f"output {i}")
    total = npnn.tensor(0.0, dtype=dtype)
    for r, w in zip(results, weights, strict=True):
        total = total + (r * npnn.tensor(w)).sum()
    total.backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(expected, weights, strict=True)).backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in, strict=True)):
        assert_close(a.grad.numpy(), b.grad.numpy(), dtype, f"grad of input {i}")
    if isinstance(theirs, torch.nn.Module):
        their_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            assert_close(p.grad.numpy(), their_params[name].grad.numpy(), dtype, f"grad of {name}")


def keyword_call(constants: dict[str, Any]) -> tuple[Callable[[Any, list[Any]], Any], list[np.ndarray]]:
    """For compare(): a call(layer, [two inputs, *masks]) that passes the masks by keyword, and
    the mask arrays; entries named *is_causal are passed as they are (the causal hints)."""
    names = [k for k in constants if not k.endswith("is_causal")]
    hints = {k: v for k, v in constants.items() if k.endswith("is_causal")}

    def call(layer: Any, args: list[Any]) -> Any:
        return layer(args[0], args[1], **dict(zip(names, args[2:], strict=True)), **hints)

    return call, [constants[k] for k in names]
