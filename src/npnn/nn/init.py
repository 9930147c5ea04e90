"""Weight initializers with PyTorch's names and formulas; all work in place, without a graph.

Each takes an optional `generator` (npnn.Generator or numpy.random.Generator);
without one they draw from the global generator that `npnn.manual_seed` seeds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from npnn import backend, random
from npnn._tensor import Tensor
from npnn.ops.special import erf

Generator = random.Generator | np.random.Generator | None


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended std gain for a nonlinearity (as torch.nn.init.calculate_gain)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}: use one of "
                     f"{', '.join((*linear, 'tanh', 'relu', 'leaky_relu', 'selu'))}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in/out need a tensor with at least 2 dims, got shape {tensor.shape}"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    xp = backend.get_array_module(tensor.array)
    tensor.array[...] = xp.asarray(values, dtype=tensor.dtype)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator = None) -> Tensor:
    """Fill with U(a, b)."""
    return _fill(tensor, random.resolve(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator = None) -> Tensor:
    """Fill with N(mean, std²)."""
    return _fill(tensor, random.resolve(generator).normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    tensor.array[...] = val
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
    """U(-a, a) with a = gain · sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
    """N(0, std²) with std = gain · sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Generator = None) -> Tensor:
    """U(-b, b) with b = gain · sqrt(3 / fan) (He et al., 2015)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Generator = None) -> Tensor:
    """N(0, std²) with std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def layer_default_(weight: Tensor, bias: Tensor | None = None, generator: Generator = None) -> None:
    """PyTorch's default for Linear and Conv layers: kaiming_uniform_ with a=√5 for the weight
    (the bound 1/√fan_in, its long-standing default) and U(-1/√fan_in, 1/√fan_in) for the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, generator=generator)


def _erfinv(y: np.ndarray) -> np.ndarray:
    """The inverse error function on (-1, 1): Giles' (2010) starting guess, then Newton's steps
    on npnn's erf (NumPy has no erfinv)."""
    w = -np.log((1.0 - y) * (1.0 + y))
    central = w < 5.0
    t = np.where(central, w - 2.5, np.sqrt(np.maximum(w, 5.0)) - 3.0)
    inner = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
             -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
    outer = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
             -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
    p_in, p_out = np.zeros_like(t), np.zeros_like(t)
    for c_in, c_out in zip(inner, outer, strict=True):
        p_in, p_out = p_in * t + c_in, p_out * t + c_out
    x = np.where(central, p_in, p_out) * y
    for _ in range(2):
        x = x - (erf(x) - y) / (2.0 / math.sqrt(math.pi) * np.exp(-x * x))
    return x


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator = None) -> Tensor:
    """N(mean, std²) truncated to [a, b] (absolute bounds, not in stds, as PyTorch), drawn by
    PyTorch's inverse-CDF method: U(2Φ(α) - 1, 2Φ(β) - 1) through √2·erfinv, then clamped."""
    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    u = random.resolve(generator).uniform(2 * low - 1, 2 * high - 1, tensor.shape)
    values = _erfinv(np.clip(u, -1 + 1e-16, 1 - 1e-16)) * (std * math.sqrt(2.0)) + mean
    return _fill(tensor, np.clip(values, a, b))


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (ones on the diagonal of a 2-D tensor), for Linear layers."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """A conv kernel (3, 4 or 5 dims) that passes its input through: a 1 at the centre tap of
    channel d -> d in each of `groups` groups, zeros elsewhere."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(n // 2 for n in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            values[(g * out_per_group + d, d, *centre)] = 1.0
    return _fill(tensor, values)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator = None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw (Saxe et al.,
    2013), times `gain`; dims after the first are flattened."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = random.resolve(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # makes the decomposition unique, so Q is uniform
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator = None) -> Tensor:
    """N(0, std²) with ceil(sparsity · rows) entries of each column set to zero (Martens, 2010)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    rng = random.resolve(generator)
    values = rng.normal(0.0, std, (rows, cols))
    num_zeros = math.ceil(sparsity * rows)
    for col in range(cols):
        values[rng.permutation(rows)[:num_zeros], col] = 0.0
    return _fill(tensor, values)


def _deprecated(method: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """PyTorch's old names without the underscore: they warn and call the new one."""
    old = method.__name__[:-1]

    def deprecated(*args: object, **kwargs: object) -> Tensor:
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{method.__name__}`.",
                      FutureWarning, stacklevel=2)
        return method(*args, **kwargs)

    deprecated.__name__ = deprecated.__qualname__ = old
    deprecated.__doc__ = f"Deprecated: use {method.__name__}."
    return deprecated


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
