"""Differentiable primitives and the composites built from them."""

from npnn.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from npnn.ops.activation_more import (
    celu,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    selu,
    softmin,
    softsign,
    tanhshrink,
    threshold,
)
from npnn.ops.conv import conv2d, max_pool2d
from npnn.ops.dropout import dropout, dropout2d
from npnn.ops.elementwise import (
    abs,
    add,
    cast,
    clone,
    div,
    exp,
    floor_divide,
    log,
    log1p,
    mul,
    neg,
    pow,
    remainder,
    sqrt,
    square,
    sub,
    to_device,
)
from npnn.ops.embedding import embedding
from npnn.ops.inplace import update_
from npnn.ops.linalg import linear, matmul
from npnn.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    nll_loss,
    smoothed_nll_loss,
)
from npnn.ops.loss_more import huber_loss, kl_div, smooth_l1_loss
from npnn.ops.mse_loss import mse_loss
from npnn.ops.normalization import batch_norm
from npnn.ops.pooling import adaptive_avg_pool2d, avg_pool2d
from npnn.ops.reduction import (
    amax,
    amin,
    argmax,
    argmin,
    max,
    mean,
    min,
    norm,
    std,
    sum,
    sum_of_squares,
    var,
)
from npnn.ops.scatter import scatter
from npnn.ops.selection import clamp, clip, masked_fill, maximum, minimum, where
from npnn.ops.shape import (
    cat,
    chunk,
    concatenate,
    expand,
    flatten,
    gather,
    getitem,
    pad,
    permute,
    reshape,
    shape_arg,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from npnn.ops.sorting import repeat, sort, topk, unbind

__all__ = [
    "abs", "adaptive_avg_pool2d", "add", "amax", "amin", "argmax", "argmin", "avg_pool2d",
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cast", "cat", "celu",
    "chunk", "clamp", "clip", "clone", "concatenate", "conv2d", "cross_entropy", "div", "dropout",
    "dropout2d", "elu", "embedding", "exp", "expand", "flatten", "floor_divide", "gather", "gelu",
    "getitem", "glu", "hardsigmoid", "hardswish", "hardtanh", "huber_loss", "kl_div", "l1_loss",
    "leaky_relu", "linear", "log", "log1p", "log_softmax", "logsigmoid", "masked_fill", "matmul",
    "max", "max_pool2d", "maximum", "mean", "min", "minimum", "mish", "mse_loss", "mul", "neg",
    "nll_loss", "norm", "pad", "permute", "pow", "prelu", "relu", "relu6", "remainder", "repeat",
    "reshape", "scatter", "selu", "shape_arg", "sigmoid", "smooth_l1_loss", "smoothed_nll_loss",
    "softmax", "softmin", "softplus", "softsign", "sort", "split", "sqrt", "square", "squeeze",
    "stack", "std", "sub", "sum", "sum_of_squares", "tanh", "tanhshrink", "threshold", "to_device",
    "topk", "transpose", "unbind", "unsqueeze", "update_", "var", "where",
]
