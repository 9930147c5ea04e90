"""F.pad in PyTorch's four modes: 'constant' (negative widths crop), 'reflect', 'replicate' and
'circular', with PyTorch's rules for which ranks each mode pads and how wide.

The three border modes read every output element from one input element: along each padded dim
an index map (output position -> input position) is taken, and the backward sums each output's
gradient back onto the element it was copied from (the border's copies add up, as PyTorch's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.function import Function

MODES = ("constant", "reflect", "replicate", "circular")
_KERNEL = {"reflect": "reflection_pad", "replicate": "replication_pad"}


class Pad(Function):
    """Constant padding; a negative width crops that side (PyTorch's constant_pad_nd)."""

    def forward(self, a, widths=(), value=0.0):
        self.crops = tuple(slice(max(-before, 0), size - max(-after, 0))
                           for (before, after), size in zip(widths, a.shape, strict=True))
        self.grown = tuple((max(before, 0), max(after, 0)) for before, after in widths)
        self.cut = tuple((max(-before, 0), max(-after, 0)) for before, after in widths)
        self.slices = tuple(slice(before, before + crop.stop - crop.start)
                            for (before, _), crop in zip(self.grown, self.crops, strict=True))
        return backend.get_array_module(a).pad(a[self.crops], self.grown, constant_values=value)

    def backward(self, grad_output):
        inner = grad_output[self.slices]
        if not any(before or after for before, after in self.cut):
            return inner
        return backend.get_array_module(inner).pad(inner, self.cut)


class BorderPad(Function):
    """'reflect', 'replicate' or 'circular' padding: `maps[axis]` is the input position of each
    output position along that axis (None: not padded); `widths` PyTorch's (before, after)."""

    def forward(self, a, maps=(), widths=(), mode="reflect"):
        self.shape, self.maps, self.widths = a.shape, maps, widths
        xp = backend.get_array_module(a)
        for axis, positions in enumerate(maps):
            if positions is not None:
                a = xp.take(a, xp.asarray(positions), axis=axis)
        return a

    def backward(self, grad_output):
        grad = grad_output
        for axis in reversed(range(len(self.maps))):
            if self.maps[axis] is not None:
                grad = _sum_back(grad, self.maps[axis], self.widths[axis][0], self.shape[axis], axis)
        return grad


def _sum_back(grad: Any, positions: np.ndarray, before: int, size: int, axis: int) -> Any:
    """The gradient along `axis` summed onto the `size` input positions it was copied from: the
    run copied unchanged (output o from input o - before, in every mode) in one slice, each border
    position added after it; in the gradient's own layout (no transposed copy)."""
    xp = backend.get_array_module(grad)
    shape = list(grad.shape)
    shape[axis] = size

    def at(index: int | slice) -> tuple[Any, ...]:
        return (slice(None),) * axis + (index,)

    out = np.arange(len(positions))
    same = np.flatnonzero(positions == out - before)
    border = out
    if len(same):
        start, stop = int(same[0]), int(same[-1]) + 1
        first = int(positions[start])
        if stop - start == size:  # every input position is in the run: a copy, then the adds
            result = grad[at(slice(start, stop))].copy()  # never a view: the adds below write into it
        else:
            result = xp.zeros(shape, dtype=grad.dtype)
            result[at(slice(first, first + stop - start))] = grad[at(slice(start, stop))]
        border = np.concatenate([out[:start], out[stop:]])
    else:
        result = xp.zeros(shape, dtype=grad.dtype)
    for position in border:
        result[at(int(positions[position]))] += grad[at(int(position))]
    return result


def _positions(mode: str, size: int, before: int, after: int) -> np.ndarray:
    """The input position of each output position along one dim padded by (before, after)."""
    if mode == "circular":  # PyTorch crops first, then wraps what is left
        start, stop = max(-before, 0), size - max(-after, 0)
        kept = stop - start
        span = np.arange(-max(before, 0), kept + max(after, 0))
        return span % kept + start if kept else span
    span = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(span, 0, size - 1)
    span = np.abs(span)  # reflect about the first element, then about the last
    return np.where(span > size - 1, 2 * (size - 1) - span, span)


def _check_border(input: Tensor, pad: Sequence[int], mode: str) -> None:
    """PyTorch's rules for the border modes: 1-3 padded dims, each with 1 or 2 dims in front."""
    pairs, ndim, shape = len(pad) // 2, input.ndim, input.shape
    if pairs not in (1, 2, 3) or ndim not in (pairs + 1, pairs + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {ndim}D input tensor. Mode {mode!r} pads "
            f"the last 1, 2 or 3 dims of a tensor with 1 or 2 more dims in front (e.g. (N, C, H, W) "
            f"for 4 padding values); reshape the input or use mode='constant'")
    padded = range(ndim - pairs, ndim)
    if mode == "circular":
        _check_circular(pad, shape, padded)
        return
    if input.dtype == np.bool_:
        raise NotImplementedError(f"\"{_KERNEL[mode]}{pairs}d\" not implemented for 'Bool'; "
                                  "convert the input with .float() or .int() first")
    batch = 1 if ndim == pairs + 2 else 0
    if 0 in shape[batch:]:
        raise RuntimeError(
            f"Expected {pairs + 1}D or {pairs + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {list(shape)}")
    for i, dim in enumerate(reversed(padded)):
        before, after = pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and not (before < shape[dim] and after < shape[dim]):
            raise RuntimeError(
                f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({before}, {after}) at dimension {dim} of input "
                f"{list(shape)}; reflection repeats no border element, so pad by at most "
                f"{shape[dim] - 1} there, or use mode='replicate' or 'circular'")
    sizes = [shape[dim] + pad[2 * (ndim - 1 - dim)] + pad[2 * (ndim - 1 - dim) + 1] for dim in padded]
    if max(sizes) < 1 or min(sizes) < 0:  # PyTorch's kernels refuse only when every size is below 1
        letters = "DHW"[3 - pairs:]
        given = ", ".join(f"{a}: {shape[dim]}" for a, dim in zip(letters, padded, strict=True))
        out = " ".join(f"{a}: {size}" for a, size in zip(letters, sizes, strict=True))
        raise RuntimeError(f"input ({given}) is too small. Calculated output {out}; crop less (negative "
                           "padding) so that the output keeps an element")


def _check_circular(pad: Sequence[int], shape: tuple[int, ...], padded: range) -> None:
    """PyTorch's two checks; then, where one side crops, the other wraps at most what is left
    (PyTorch reads memory it never wrote there)."""
    for i, dim in enumerate(reversed(padded)):
        before, after, size = pad[2 * i], pad[2 * i + 1], shape[dim]
        kept = size - max(-before, 0) - max(-after, 0)
        if before > size or after > size:
            raise RuntimeError(f"Padding value causes wrapping around more than once (padding ({before}, "
                               f"{after}) of size {size} at dimension {dim}); pad by at most the size there, "
                               "or pad twice")
        if size + before + after < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension "
                               f"(padding ({before}, {after}) of size {size} at dimension {dim})")
        if kept < 0 or before > kept or after > kept:
            raise RuntimeError(f"Padding value causes wrapping around more than once: padding ({before}, "
                               f"{after}) at dimension {dim} wraps more than the {max(kept, 0)} elements its "
                               "crop leaves; crop and pad in two calls")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad with PyTorch's spec: (left, right) of the last dim, then the dim before, ... Modes:
    'constant' (`value`; negative widths crop), 'reflect' (mirror without repeating the border
    element, width below the size), 'replicate' (repeat the border element), 'circular' (wrap
    around, width at most the size); the border modes pad 1-3 dims of a tensor with 1 or 2 more
    dims in front, as PyTorch's. npnn differs: a circular pad may wrap at most what a crop of the
    other side leaves (PyTorch returns memory it never wrote there)."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got pad={pad}: give (before, after) "
                           "pairs, last dim first")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {input.ndim}")
    if mode not in MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}; use one of {', '.join(MODES)}")
    if mode == "constant":
        return _constant(input, pad, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument; drop value= "
                           "or use mode='constant'")
    _check_border(input, pad, mode)
    maps: list[np.ndarray | None] = [None] * input.ndim
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        widths[dim] = (pad[2 * i], pad[2 * i + 1])
        if pad[2 * i] or pad[2 * i + 1]:
            maps[dim] = _positions(mode, input.shape[dim], pad[2 * i], pad[2 * i + 1])
    return BorderPad.apply(input, maps=tuple(maps), widths=tuple(widths), mode=mode)


def _constant(input: Tensor, pad: tuple[int, ...], value: float) -> Tensor:
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        widths[dim] = (pad[2 * i], pad[2 * i + 1])
        if input.shape[dim] - max(-pad[2 * i], 0) - max(-pad[2 * i + 1], 0) < 0:  # cropped first
            raise RuntimeError(f"narrow(): length must be non-negative. (pad: padding {widths[dim]} "
                               f"crops more than the size {input.shape[dim]} of dim {dim}; crop less)")
    return Pad.apply(input, widths=tuple(widths), value=value)
