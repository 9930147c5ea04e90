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
from npnn.ops.adaptive_max_pool import adaptive_max_pool1d, adaptive_max_pool2d
from npnn.ops.combining import (
    cartesian_prod,
    combinations,
    cross,
    fliplr,
    flipud,
    kron,
    rot90,
    trace,
)
from npnn.ops.conv import max_pool2d
from npnn.ops.conv1d import avg_pool1d, conv1d, max_pool1d
from npnn.ops.conv_groups import conv2d
from npnn.ops.conv_transpose import conv_transpose2d
from npnn.ops.counting import (
    bincount,
    bucketize,
    histc,
    histogram,
    searchsorted,
)
from npnn.ops.ctc import ctc_loss
from npnn.ops.cumulative import (
    cummax,
    cummin,
    cumprod,
    cumsum,
    diff,
)
from npnn.ops.dropout import dropout, dropout2d
from npnn.ops.einsum import (
    einsum,
)
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
from npnn.ops.elementwise_extra import (
    clamp_max,
    clamp_min,
    deg2rad,
    heaviside,
    hypot,
    logaddexp,
    nan_to_num,
    rad2deg,
    signbit,
    xlogy,
)
from npnn.ops.elementwise_more import (
    erf,
    erfc,
    fix,
    fmod,
    frac,
    isclose,
    lerp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    sgn,
    sign,
    true_divide,
    trunc,
)
from npnn.ops.elementwise_trig import (
    addcdiv,
    addcmul,
    ceil,
    cos,
    floor,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    reciprocal,
    round,
    rsqrt,
    sin,
    tan,
)
from npnn.ops.embedding import embedding
from npnn.ops.grid_sample import affine_grid, grid_sample
from npnn.ops.group_norm import group_norm, instance_norm
from npnn.ops.indexing import (
    argsort,
    count_nonzero,
    index_select,
    nonzero,
    repeat_interleave,
    scatter_add,
    take_along_dim,
    unique,
)
from npnn.ops.indexing_more import (
    index_add,
    index_copy,
    index_fill,
    masked_scatter,
    masked_select,
)
from npnn.ops.inplace import update_
from npnn.ops.interpolate import interpolate
from npnn.ops.linalg import linear, matmul
from npnn.ops.linalg_aliases import cholesky, det, inverse, logdet, matrix_power, pinverse, qr, svd
from npnn.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    nll_loss,
    smoothed_nll_loss,
)
from npnn.ops.loss_likelihood import (
    gaussian_nll_loss,
    poisson_nll_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from npnn.ops.loss_margin import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from npnn.ops.loss_more import huber_loss, kl_div, smooth_l1_loss
from npnn.ops.mse_loss import mse_loss
from npnn.ops.normalization import batch_norm
from npnn.ops.padding import pad
from npnn.ops.pixel_shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle
from npnn.ops.pooling import adaptive_avg_pool2d, avg_pool2d
from npnn.ops.products import (
    addmm,
    addmv,
    baddbmm,
    bmm,
    cdist,
    dot,
    mm,
    mv,
    outer,
)
from npnn.ops.random_draws import (
    bernoulli,
    bernoulli_values,
    multinomial,
    normal,
    normal_values,
    uniform_values,
)
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
from npnn.ops.reduction_more import (
    logsumexp,
    median,
    nansum,
    prod,
    std_mean,
    var_mean,
)
from npnn.ops.reorder import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_tensors,
    broadcast_to,
    flip,
    meshgrid,
    movedim,
    narrow,
    roll,
    swapaxes,
    tensor_split,
    tile,
    unflatten,
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
from npnn.ops.triangular import (
    diag,
    diagonal,
    tril,
    triu,
)

__all__ = [
    "abs", "adaptive_avg_pool2d", "add", "addmm", "addmv", "affine_grid", "amax", "amin", "argmax", "argmin",
    "argsort", "atleast_1d", "atleast_2d", "atleast_3d", "avg_pool1d", "avg_pool2d", "baddbmm",
    "batch_norm", "bernoulli", "bernoulli_values", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "bmm", "broadcast_tensors", "broadcast_to", "cast", "cat",
    "cdist", "celu", "chunk", "clamp", "clip", "clone", "concatenate", "conv1d", "conv2d",
    "conv_transpose2d", "cosine_embedding_loss", "count_nonzero", "cross_entropy", "ctc_loss",
    "cummax", "cummin", "cumprod", "cumsum", "diag", "diagonal", "diff", "div", "dot", "dropout",
    "dropout2d", "einsum", "elu", "embedding", "erf", "erfc", "exp", "expand", "fix", "flatten",
    "flip", "floor_divide", "fmod", "frac", "gather", "gaussian_nll_loss", "gelu", "getitem", "glu",
    "grid_sample", "group_norm", "hardsigmoid", "hardswish", "hardtanh", "hinge_embedding_loss",
    "huber_loss", "index_select", "instance_norm", "interpolate", "isclose", "kl_div", "l1_loss",
    "leaky_relu", "lerp", "linear", "log", "log1p", "log_softmax", "logical_and", "logical_not",
    "logical_or", "logical_xor", "logsigmoid", "logsumexp", "margin_ranking_loss", "masked_fill",
    "matmul", "max", "max_pool1d", "max_pool2d", "maximum", "mean", "median", "meshgrid", "min",
    "minimum", "mish", "mm", "movedim", "mse_loss", "mul", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "multinomial", "mv", "nansum",
    "narrow", "neg", "nll_loss", "nonzero", "norm", "normal", "normal_values", "outer", "pad",
    "permute", "poisson_nll_loss", "pow", "prelu", "prod", "relu", "relu6", "remainder", "repeat",
    "repeat_interleave", "reshape", "roll", "scatter", "scatter_add", "selu", "sgn", "shape_arg",
    "sigmoid", "sign", "smooth_l1_loss", "smoothed_nll_loss", "soft_margin_loss", "softmax",
    "softmin", "softplus", "softsign", "sort", "split", "sqrt", "square", "squeeze", "stack", "std",
    "std_mean", "sub", "sum", "sum_of_squares", "swapaxes", "take_along_dim", "tanh", "tanhshrink",
    "tensor_split", "threshold", "tile", "to_device", "topk", "transpose", "tril",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "triu", "true_divide", "trunc",
    "unbind", "unflatten",
    "uniform_values", "unique", "unsqueeze", "update_", "var", "var_mean", "where",
    "addcdiv", "addcmul", "ceil", "cos", "floor", "isfinite", "isinf", "isnan", "isneginf",
    "isposinf", "isreal",
    "reciprocal", "round", "rsqrt", "sin", "tan",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "bincount", "bucketize", "cartesian_prod",
    "channel_shuffle", "clamp_max", "clamp_min", "combinations", "cross", "deg2rad", "fliplr",
    "flipud", "heaviside", "histc", "histogram", "hypot", "index_add", "index_copy", "index_fill",
    "kron", "logaddexp", "masked_scatter", "masked_select", "nan_to_num", "pixel_shuffle",
    "pixel_unshuffle", "rad2deg", "rot90", "searchsorted", "signbit", "trace", "xlogy",
    "cholesky", "det", "inverse", "logdet", "matrix_power", "pinverse", "qr", "svd",
]
