"""Tensor factories with PyTorch's names: tensor, zeros, ones, randn, rand, arange, *_like.

Each takes PyTorch's `device=` keyword ("cpu", "cuda", an `npnn.device`): the data is made
with NumPy and moved, so "cuda" needs CuPy and a GPU (see `npnn.cuda.is_available()`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend, random
from npnn._tensor import Tensor
from npnn.ops.shape import shape_arg


def _on(result: Tensor, device: Any) -> Tensor:
    """`result` moved to `device` (None: where it is); a leaf stays a leaf."""
    if device is not None and backend.device_name(device) != backend.device_of(result.array):
        result.array = backend.to_device(result.array, device)
    return result


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None) -> Tensor:
    """A new tensor with a copy of `data` (floats -> float32, ints -> int64, arrays keep dtype)."""
    data = data.array if isinstance(data, Tensor) else data
    source = data.copy() if hasattr(data, "copy") and not np.isscalar(data) else data
    return _on(Tensor(source, dtype=dtype, requires_grad=requires_grad), device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Wrap `data` without copying where possible."""
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype) and (
            device is None or backend.device_name(device) == data.device):
        return data
    if isinstance(data, Tensor) and device is not None:
        return data.to(device, dtype)
    return _on(Tensor(data, dtype=dtype), device)


def from_numpy(array: np.ndarray) -> Tensor:
    """Share memory with a NumPy array."""
    return Tensor(array)


def _shape(sizes: tuple[Any, ...], size: Any) -> tuple[int, ...]:
    """The shape of zeros(2, 3), zeros((2, 3)) or torch's keyword form zeros(size=(2, 3))."""
    if size is None:
        return shape_arg(sizes)
    if sizes:
        raise TypeError("give the shape either as positional sizes or as size=, not both")
    return shape_arg((size,))


def zeros(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    dtype = backend.resolve_float_dtype(dtype)
    return _on(Tensor(np.zeros(_shape(sizes, size), dtype=dtype), requires_grad=requires_grad), device)


def ones(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    dtype = backend.resolve_float_dtype(dtype)
    return _on(Tensor(np.ones(_shape(sizes, size), dtype=dtype), requires_grad=requires_grad), device)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor filled with `fill_value`; its dtype follows the value (bool, int64 or float)."""
    if dtype is None and isinstance(fill_value, (bool, int, np.bool_, np.integer)):
        dtype = np.bool_ if isinstance(fill_value, (bool, np.bool_)) else np.int64
    return _on(Tensor(np.full(shape_arg((size,)), fill_value, dtype=backend.resolve_float_dtype(dtype)),
                      requires_grad=requires_grad), device)


def empty(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    return zeros(*sizes, size=size, dtype=dtype, requires_grad=requires_grad, device=device)


def randn(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          generator: random.Generator | None = None, device: Any = None) -> Tensor:
    """Standard normal samples from the global (or given) generator."""
    rng = random.resolve(generator)
    data = rng.standard_normal(_shape(sizes, size)).astype(backend.resolve_float_dtype(dtype))
    return _on(Tensor(data, requires_grad=requires_grad), device)


def rand(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
         generator: random.Generator | None = None, device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from the global (or given) generator."""
    rng = random.resolve(generator)
    data = rng.random(_shape(sizes, size)).astype(backend.resolve_float_dtype(dtype))
    return _on(Tensor(data, requires_grad=requires_grad), device)


def randint(*args: Any, size: Any = None, generator: random.Generator | None = None,
            dtype: Any = None, device: Any = None) -> Tensor:
    """Integers in [low, high) as int64: `randint(high, size)` or `randint(low, high, size)`,
    as torch.randint (low defaults to 0)."""
    if size is None and len(args) in (2, 3):
        *bounds, size = args
    else:
        bounds = list(args)
    if size is None or len(bounds) not in (1, 2):
        raise TypeError("randint takes (high, size) or (low, high, size), "
                        f"got {len(args)} positional arguments and size={size!r}")
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    values = random.resolve(generator).integers(low, high, size=shape_arg((size,)), dtype=np.int64)
    return _on(Tensor(values if dtype is None else values.astype(dtype)), device)


def randperm(n: int, generator: random.Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    values = random.resolve(generator).permutation(n).astype(np.int64 if dtype is None else dtype)
    return _on(Tensor(values), device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Like torch.arange: int64 for integer arguments, else the default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else backend.get_default_dtype()
    return _on(Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad), device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    data = np.linspace(start, end, steps, dtype=backend.resolve_float_dtype(dtype))
    return _on(Tensor(data, requires_grad=requires_grad), device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """`steps` values from base**start to base**end, evenly spaced in the exponent."""
    data = np.logspace(start, end, steps, base=base).astype(backend.resolve_float_dtype(dtype))
    return _on(Tensor(data, requires_grad=requires_grad), device)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """`obj` as a tensor, sharing memory where it can unless copy=True (copy=False refuses a copy)."""
    if copy:
        return tensor(obj, dtype=dtype, requires_grad=requires_grad, device=device)
    result = as_tensor(obj, dtype=dtype, device=device)
    if copy is False and isinstance(obj, (Tensor, np.ndarray)) and not backend.may_share_memory(
            result.array, obj.array if isinstance(obj, Tensor) else obj):
        raise ValueError("asarray(copy=False): the data cannot be used without a copy "
                         "(another dtype or device)")
    return result.requires_grad_(True) if requires_grad else result


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """The n x m identity (m defaults to n)."""
    data = np.eye(n, m, dtype=backend.resolve_float_dtype(dtype))
    return _on(Tensor(data, requires_grad=requires_grad), device)


def _like(input: Tensor, fill: Any, dtype: Any, requires_grad: bool, device: Any = None) -> Tensor:
    xp = backend.get_array_module(input.array)
    dtype = input.dtype if dtype is None else np.dtype(dtype)
    return _on(Tensor(fill(xp, input.shape, dtype), requires_grad=requires_grad), device)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """A tensor shaped like `input` (zero-filled: NumPy's uninitialized memory buys little)."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad, device=device)


def is_tensor(obj: Any) -> bool:
    """True for an npnn Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of `input`."""
    return input.numel()


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    return _like(input, lambda xp, s, d: xp.zeros(s, dtype=d), dtype, requires_grad, device)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    return _like(input, lambda xp, s, d: xp.ones(s, dtype=d), dtype, requires_grad, device)


def full_like(input: Tensor, fill_value: float, dtype: Any = None,
              requires_grad: bool = False, device: Any = None) -> Tensor:
    return _like(input, lambda xp, s, d: xp.full(s, fill_value, dtype=d), dtype, requires_grad, device)


def randn_like(input: Tensor, dtype: Any = None, requires_grad: bool = False,
               generator: random.Generator | None = None, device: Any = None) -> Tensor:
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 generator=generator, device=input.device if device is None else device)


def rand_like(input: Tensor, dtype: Any = None, requires_grad: bool = False,
              generator: random.Generator | None = None, device: Any = None) -> Tensor:
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                generator=generator, device=input.device if device is None else device)
