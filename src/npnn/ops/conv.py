"""2-D convolution and max pooling over (N, C, H, W) arrays, as torch.nn.functional's.

Both see the input through strided windows of the padded image (a view; convolution pads into
one channels-last copy). Convolution copies the windows once into columns (im2col) so that forward
and both weight and input gradients are matrix products; gradients are summed back onto the input
kernel position by kernel position (kH·kW strided adds over the batch), not pixel by pixel. On
NumPy, the copies and sums are split over threads by rows of the batch (npnn.parallel).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from npnn import backend, parallel
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.layout import empty_in_layout, is_channels_last

Pair = int | tuple[int, int]


def as_pair(value: Pair, name: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= minimum for v in pair):
        raise ValueError(f"{name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return pair  # type: ignore[return-value]


def _output_shape(size: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                  padding: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """(Ho, Wo) for an input of spatial `size` (H, W); below 1 where the kernel does not fit."""
    reach = [dilation[axis] * (kernel[axis] - 1) + 1 for axis in (0, 1)]  # a window's extent
    return tuple((size[axis] + 2 * padding[axis] - reach[axis]) // stride[axis] + 1
                 for axis in (0, 1))  # type: ignore[return-value]


def _windows(padded: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
             out: tuple[int, int]) -> Any:
    """(N, C, Ho, Wo, kH, kW) view of `padded`: window (i, j) starts at (i·sH, j·sW)."""
    n, c = padded.shape[:2]
    sn, sc, sh, sw = padded.strides
    shape = (n, c, out[0], out[1], kernel[0], kernel[1])
    strides = (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1])
    return _as_strided(padded, shape, strides)


def _pad(x: Any, padding: tuple[int, int], value: float = 0.0) -> Any:
    if padding == (0, 0):
        return x
    xp = backend.get_array_module(x)
    widths = ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2)
    return xp.pad(x, widths, constant_values=value)


def _scatter_windows(piece: Callable[[int, int, slice], Any], like: Any, padded_shape: tuple[int, ...],
                     padding: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                     kernel: tuple[int, int]) -> Any:
    """Sum window gradients back onto the (unpadded) input: `piece(i, j, part)` is the (N, C, Ho, Wo)
    gradient of every window's element (i, j), rows `part` of its first axis, added at that
    element's pixels. On NumPy, parts of the first axis are summed in threads of their own."""
    xp = backend.get_array_module(like)
    grad = xp.zeros(padded_shape, dtype=like.dtype)
    out_h, out_w = like.shape[-2:]

    def add_rows(part: slice) -> None:
        for i in range(kernel[0]):
            top = i * dilation[0]
            rows = slice(top, top + stride[0] * (out_h - 1) + 1, stride[0])
            for j in range(kernel[1]):
                left = j * dilation[1]
                grad[part, :, rows, left:left + stride[1] * (out_w - 1) + 1:stride[1]] += piece(i, j, part)

    parallel.over_rows(add_rows, padded_shape[0], like.size * kernel[0] * kernel[1], split=xp is np)
    height, width = padded_shape[2:]
    return grad[:, :, padding[0]:height - padding[0], padding[1]:width - padding[1]]


def _copy(view: Any, axis: int) -> Any:
    """A contiguous copy of `view`, split over threads along `axis` on NumPy."""
    if backend.get_array_module(view) is np:
        return parallel.contiguous_copy(view, axis)
    return backend.get_array_module(view).ascontiguousarray(view)


class _Windowed(Function):
    """Strided (N, C, Ho, Wo, kH, kW) windows of the padded input in forward, and gradients summed
    back through the same windows in backward (max pooling's; Conv2d keeps its windows
    channels-last)."""

    def _windows_of(self, x: Any, kernel: tuple[int, int], stride: tuple[int, int],
                    padding: tuple[int, int], dilation: tuple[int, int], fill: float = 0.0) -> Any:
        """The (N, C, Ho, Wo, kH, kW) windows of `x` padded with `fill`; keeps the settings."""
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        padded = _pad(x, padding, fill)
        self.padded_shape = padded.shape
        out = _output_shape(x.shape[2:], kernel, stride, padding, dilation)
        return _windows(padded, kernel, stride, dilation, out)

    def _scatter(self, piece: Callable[[int, int, slice], Any], like: Any) -> Any:
        """`_scatter_windows` with this call's settings."""
        return _scatter_windows(piece, like, self.padded_shape, self.padding, self.stride, self.dilation,
                                self.kernel)


class Conv2d(Function):
    """Channels-last inside, as oneDNN's convolutions: the padded input is copied once into (N, H,
    W, C) order, where a window's row of kW·C values is contiguous, so that the im2col copy runs
    along rows of kW·C values instead of Wo pixels (with fewer than 8 values per row, e.g. an
    image's one channel, along Wo pixels still: BLAS reads those columns transposed just as
    fast); one 2-D product (N·Ho·Wo, kH·kW·C) @ (kH·kW·C, O) then gives the output in (N, Ho,
    Wo, O) order, returned as an (N, O, Ho, Wo) view of it (PyTorch's channels_last memory
    format): no transposing copy, and the next ReLU, pooling and convolution read it as it lies.
    A single large sgemm runs near the BLAS's peak; the per-image products it replaced (N small
    products) measured 2-3x slower."""

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
        n = x.shape[0]
        out_channels, _, k_h, k_w = weight.shape
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.columns, self.padded_shape, (out_h, out_w) = channels_last_columns(
            x, (k_h, k_w), stride, padding, dilation)
        self.matrix = weight.transpose(0, 2, 3, 1).reshape(out_channels, -1)  # (O, kH·kW·C)
        self.weight_shape = weight.shape
        result = self.columns @ self.matrix.T  # (N·Ho·Wo, O)
        if bias is not None:
            result += bias
        return result.reshape(n, out_h, out_w, out_channels).transpose(0, 3, 1, 2)

    def backward(self, grad_output):
        n, out_channels, out_h, out_w = grad_output.shape
        grad = grad_output.transpose(0, 2, 3, 1)  # (N, Ho, Wo, O): the forward's product's layout
        if not grad.flags.c_contiguous:
            grad = _copy(grad, axis=0)
        grad = grad.reshape(-1, out_channels)
        grad_x = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            grad_columns = (grad @ self.matrix).reshape(n, out_h, out_w, *self.weight_shape[2:], -1)
            grad_x = scatter_columns(grad_columns, self.padded_shape, self.stride, self.dilation,
                                     self.padding)
        if self.needs_input_grad[1]:
            # (K, M) @ (M, O), transposed: with few rows (C_in = 1), the other order measured 7x
            # slower in OpenBLAS, which splits that product badly over its long inner axis
            grad_matrix = (self.columns.T @ grad).T  # (O, kH·kW·C)
            out_channels, channels, k_h, k_w = self.weight_shape
            grad_weight = grad_matrix.reshape(out_channels, k_h, k_w, channels).transpose(0, 3, 1, 2)
            grad_weight = backend.get_array_module(grad).ascontiguousarray(grad_weight)
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_weight
        if self.needs_input_grad[2]:
            grad_bias = grad.sum(axis=0)
        return grad_x, grad_weight, grad_bias



def channels_last_columns(x: Any, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
                          dilation: tuple[int, int], out: tuple[int, int] | None = None
                          ) -> tuple[Any, tuple[int, ...], tuple[int, int]]:
    """im2col of x (N, C, H, W): the (N·Ho·Wo, kH·kW·C) columns, the padded channels-last input's
    shape and (Ho, Wo); `out` takes the first Ho, Wo windows only (a transposed convolution's
    output padding can leave one more)."""
    n, channels = x.shape[:2]
    k_h, k_w = kernel
    padded = _channels_last_padded(x, padding)
    out_h, out_w = out or _output_shape(x.shape[2:], kernel, stride, padding, dilation)
    sn, sh, sw, sc = padded.strides
    windows = _as_strided(padded, (n, out_h, out_w, k_h, k_w, channels),
                          (sn, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1], sc))
    if channels * k_w >= 8:  # (N·Ho·Wo, kH·kW·C), copied along rows of kW·C values
        columns = _copy(windows, axis=0).reshape(n * out_h * out_w, -1)
    else:  # few channels (an image's): copied along output rows instead, into (kH·kW·C, N·Ho·Wo)
        columns = _copy(windows.transpose(3, 4, 5, 0, 1, 2), axis=3)
        columns = columns.reshape(-1, n * out_h * out_w).T  # the same (N·Ho·Wo, kH·kW·C), a view
    return columns, padded.shape, (out_h, out_w)


def scatter_columns(grad_columns: Any, padded_shape: tuple[int, ...], stride: tuple[int, int],
                    dilation: tuple[int, int], padding: tuple[int, int]) -> Any:
    """col2im: sum the (N, Ho, Wo, kH, kW, C) column gradients back onto a zero padded (N, H, W, C)
    array of `padded_shape`, kernel position by kernel position (kH·kW strided adds along rows of
    C values); the unpadded part, as an (N, C, H, W) view."""
    xp = backend.get_array_module(grad_columns)
    n, out_h, out_w, k_h, k_w = grad_columns.shape[:5]
    (s_h, s_w), (d_h, d_w), (p_h, p_w) = stride, dilation, padding
    grad = xp.zeros(padded_shape, dtype=grad_columns.dtype)

    def add_rows(part: slice) -> None:
        for i in range(k_h):
            rows = slice(i * d_h, i * d_h + s_h * (out_h - 1) + 1, s_h)
            for j in range(k_w):
                cols = slice(j * d_w, j * d_w + s_w * (out_w - 1) + 1, s_w)
                grad[part, rows, cols] += grad_columns[part, :, :, i, j]

    parallel.over_rows(add_rows, n, grad_columns.size, split=xp is np)
    height, width = padded_shape[1:3]
    return grad[:, p_h:height - p_h, p_w:width - p_w].transpose(0, 3, 1, 2)


def _channels_last_padded(x: Any, padding: tuple[int, int]) -> Any:
    """x (N, C, H, W) as a contiguous (N, H + 2·pH, W + 2·pW, C) array with zeros around: one
    copy (none for a channels-last input without padding)."""
    xp = backend.get_array_module(x)
    n, channels, height, width = x.shape
    source = x.transpose(0, 2, 3, 1)
    if padding == (0, 0) and source.flags.c_contiguous:
        return source
    p_h, p_w = padding
    padded = xp.empty((n, height + 2 * p_h, width + 2 * p_w, channels), dtype=x.dtype)

    def copy_rows(part: slice) -> None:
        rows = padded[part]
        rows[:, :p_h] = 0
        rows[:, p_h + height:] = 0
        rows[:, p_h:p_h + height, :p_w] = 0
        rows[:, p_h:p_h + height, p_w + width:] = 0
        rows[:, p_h:p_h + height, p_w:p_w + width] = source[part]

    parallel.over_rows(copy_rows, n, padded.size, split=xp is np)
    return padded


def _as_strided(array: Any, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    """A view of `array`'s memory; read-only on NumPy, so that nothing writes through windows
    that overlap."""
    xp = backend.get_array_module(array)
    if xp is np:
        return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(array, shape, strides)  # CuPy has no `writeable`


class MaxPool2d(_Windowed):
    """The running maximum over the kernel's positions, each a strided view of the input: no copy
    of the windows, and kH·kW passes over the output's size."""

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1)):
        windows = self._windows_of(x, kernel, stride, padding, dilation, -np.inf)
        xp = backend.get_array_module(x)
        # in the input's memory layout (a convolution's output is channels-last), so that the
        # passes below read and write in the same order; an int8 argmax where it fits
        best = empty_in_layout(windows, windows.shape[:4], x.dtype)
        small = kernel[0] * kernel[1] < 128
        self.argmax = empty_in_layout(windows, best.shape, np.int8 if small else np.int64)

        def rows(part: slice, nan_wins: bool = False) -> None:
            _running_max(windows[part], best[part], self.argmax[part], xp, nan_wins)

        parallel.over_rows(rows, x.shape[0], windows.size, split=xp is np)
        if xp.isnan(best).any():  # rare: redo it, letting a NaN take over as PyTorch's does
            rows(slice(None), nan_wins=True)
        return best

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        exact = bool(xp.isnan(grad_output).any())  # NaN * 0 would spread a NaN over the window
        if self.stride == self.kernel and self.padding == (0, 0) and self.dilation == (1, 1):
            return self._disjoint_backward(grad_output, xp, exact)

        def piece(i: int, j: int, part: slice) -> Any:  # the gradient goes where the maximum was
            chosen, grad = self.argmax[part] == i * self.kernel[1] + j, grad_output[part]
            return xp.where(chosen, grad, grad.dtype.type(0)) if exact else grad * chosen

        return self._scatter(piece, grad_output)

    def _disjoint_backward(self, grad_output: Any, xp: Any, exact: bool) -> Any:
        """Windows that neither overlap nor leave gaps (stride = kernel, the usual pooling): each
        window position's gradient is written once, no sum, into the one array returned. The
        general case's kH·kW strided adds of full-size products measured 3x slower, and each
        large temporary costs page faults (fresh memory from the OS) on every call."""
        (k_h, k_w), (out_h, out_w) = self.kernel, grad_output.shape[2:]
        covered = (out_h * k_h, out_w * k_w)
        grad = empty_in_layout(self.argmax, self.padded_shape, grad_output.dtype)
        if self.padded_shape[2:] != covered:  # rows and columns that no window covers get 0
            grad[...] = 0
        # (N, C, Ho, kH, Wo, kW) view of the covered part: window (i, j)'s element (a, b)
        n, channels = grad.shape[:2]
        if is_channels_last(grad):
            blocks = grad.transpose(0, 2, 3, 1)[:, :covered[0], :covered[1]].reshape(
                n, out_h, k_h, out_w, k_w, channels).transpose(0, 5, 1, 2, 3, 4)
        else:
            blocks = grad[:, :, :covered[0], :covered[1]].reshape(n, channels, out_h, k_h, out_w, k_w)
        zero = grad_output.dtype.type(0)

        def rows(part: slice) -> None:
            for position in range(k_h * k_w):
                chosen, piece = self.argmax[part] == position, grad_output[part]
                # where=: NaN * 0 would put a NaN where the maximum was not
                blocks[part, :, :, position // k_w, :, position % k_w] = (
                    xp.where(chosen, piece, zero) if exact else piece * chosen)

        parallel.over_rows(rows, grad_output.shape[0], grad.size, split=xp is np)
        return grad


def _running_max(windows: Any, best: Any, argmax: Any, xp: Any, nan_wins: bool) -> None:
    """Write each (kH, kW) window's maximum into `best` and its position into `argmax`: the first
    maximum in row-major order, as PyTorch's; with `nan_wins`, also a NaN takes over (PyTorch's
    rule; a comparison misses it).

    The argmax is in arithmetic on one integer dtype: masked copies (copyto with where=,
    np.where) measured ten times slower on these strided views, and products of bool and int
    arrays go through slow casting buffers. A position takes over only from smaller ones, so
    argmax = max(argmax, takes_over · position)."""
    kernel = windows.shape[-2:]
    best[...] = windows[..., 0, 0]
    argmax[...] = 0
    for position in range(1, kernel[0] * kernel[1]):
        candidate = windows[..., position // kernel[1], position % kernel[1]]
        takes_over = candidate > best
        if nan_wins:
            takes_over |= xp.isnan(candidate)
        xp.maximum(best, candidate, out=best)  # NaN wins here
        step = takes_over.view(np.int8) if argmax.dtype == np.int8 else takes_over.astype(np.int64)
        step *= argmax.dtype.type(position)
        xp.maximum(argmax, step, out=argmax)


def _check_input(x: Tensor, name: str) -> None:
    if x.ndim != 4:
        raise RuntimeError(f"{name}: expected input of shape (N, C, H, W), got {x.shape}; "
                           "add a batch dimension with x.unsqueeze(0) for a single image")


def max_pool2d(input: Any, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
               dilation: Pair = 1, ceil_mode: bool = False) -> Tensor:
    """The maximum of each kernel_size window, stepping by stride (default: kernel_size)."""
    x = to_tensor(input)
    _check_input(x, "max_pool2d")
    if ceil_mode:
        raise NotImplementedError("max_pool2d: ceil_mode=True is not implemented; use ceil_mode=False")
    kernel = as_pair(kernel_size, "kernel_size", 1)
    stride_ = kernel if stride is None else as_pair(stride, "stride", 1)
    padding_, dilation_ = as_pair(padding, "padding", 0), as_pair(dilation, "dilation", 1)
    if any(2 * p > k for p, k in zip(padding_, kernel, strict=True)):
        raise ValueError(f"max_pool2d: padding {padding_} must be at most half of kernel_size {kernel}")
    if min(_output_shape(x.shape[2:], kernel, stride_, padding_, dilation_)) < 1:
        raise RuntimeError(f"max_pool2d: kernel {kernel} is larger than the input {x.shape[2:]}")
    return MaxPool2d.apply(x, kernel=kernel, stride=stride_, padding=padding_, dilation=dilation_)
