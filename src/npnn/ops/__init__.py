"""Differentiable primitives and the composites built from them."""

from npnn.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from npnn.ops.dropout import dropout
from npnn.ops.elementwise import (
    abs,
    add,
    cast,
    clamp,
    clip,
    clone,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from npnn.ops.linalg import linear, matmul
from npnn.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from npnn.ops.reduction import amax, amin, argmax, argmin, max, mean, min, std, sum, var
from npnn.ops.shape import (
    cat,
    concatenate,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

__all__ = [
    "abs", "add", "amax", "amin", "argmax", "argmin", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cast", "cat", "clamp", "clip", "clone", "concatenate",
    "cross_entropy", "div", "dropout", "elu", "exp", "expand", "flatten", "gelu", "getitem",
    "l1_loss", "leaky_relu", "linear", "log", "log_softmax", "matmul", "max", "maximum", "mean",
    "min", "minimum", "mse_loss", "mul", "neg", "nll_loss", "pad", "permute", "pow", "relu",
    "reshape", "sigmoid", "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "tanh",
    "transpose", "unsqueeze", "var", "where",
]
