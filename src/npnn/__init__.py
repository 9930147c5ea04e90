"""npnn: a NumPy neural-network library with exact reverse-mode autograd.

The public API mirrors PyTorch's paths and names: `npnn.tensor`, `npnn.nn`,
`npnn.optim`, `npnn.no_grad`, `npnn.manual_seed`, ...
"""

# first, before anything loads NumPy: how long OpenBLAS's idle threads spin
from npnn import _blas_threads  # noqa: F401  # isort: skip
from importlib import import_module as _import_module
from types import ModuleType as _ModuleType

from npnn import accelerator, backends, cuda, linalg, nn, optim, utils
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from npnn.backend import (
    bool_,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    set_default_dtype,
)
from npnn.comparison import all, allclose, any, equal
from npnn.creation import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    logspace,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from npnn.determinism import (
    are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled,
    use_deterministic_algorithms,
)
from npnn.device import device
from npnn.dtypes import finfo, iinfo
from npnn.ops import (
    abs,
    add,
    addmm,
    addmv,
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    baddbmm,
    bernoulli,
    bmm,
    broadcast_tensors,
    broadcast_to,
    cat,
    cdist,
    chunk,
    clamp,
    clip,
    concatenate,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    diag,
    diagonal,
    diff,
    div,
    dot,
    einsum,
    erf,
    erfc,
    exp,
    fix,
    flatten,
    flip,
    floor_divide,
    fmod,
    frac,
    gather,
    index_select,
    isclose,
    lerp,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    median,
    meshgrid,
    min,
    minimum,
    mm,
    movedim,
    mul,
    multinomial,
    mv,
    nansum,
    narrow,
    nonzero,
    norm,
    normal,
    outer,
    permute,
    pow,
    prod,
    relu,
    remainder,
    repeat,
    repeat_interleave,
    reshape,
    roll,
    scatter,
    scatter_add,
    sgn,
    sigmoid,
    sign,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    std_mean,
    sub,
    sum,
    swapaxes,
    take_along_dim,
    tanh,
    tensor_split,
    tile,
    topk,
    transpose,
    tril,
    triu,
    true_divide,
    trunc,
    unbind,
    unflatten,
    unique,
    unsqueeze,
    var,
    var_mean,
    where,
)
from npnn.parallel import get_num_threads, set_num_threads
from npnn.random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from npnn.save_load import load, save
from npnn.size import Size
from npnn.tensor_conversions import set_printoptions

__version__ = "0.1.0"

long = int64
double = float64
float = float32
bool = bool_
moveaxis = movedim
swapdims = swapaxes
ger = outer

__all__ = [
    "abs", "accelerator", "add", "addmm", "addmv", "all", "allclose", "amax", "amin", "any", "arange",
    "argmax", "argmin", "argsort", "as_tensor", "asarray", "atleast_1d", "atleast_2d", "atleast_3d",
    "backends", "baddbmm", "bernoulli", "bmm", "bool", "bool_", "broadcast_tensors", "broadcast_to",
    "cat", "cdist", "chunk", "clamp", "clip", "concatenate", "count_nonzero", "cuda", "cummax",
    "cummin", "cumprod", "cumsum", "device", "diag", "diagonal", "diff", "div", "dot", "double",
    "einsum", "empty", "empty_like", "enable_grad", "equal", "erf", "erfc", "exp", "eye", "finfo", "ger",
    "fix", "flatten", "flip", "float", "float16", "float32", "float64", "floor_divide", "fmod",
    "frac", "from_numpy", "full", "full_like", "gather", "Generator", "get_default_dtype",
    "get_num_threads", "get_rng_state", "iinfo", "index_select", "inference_mode", "int32", "int64",
    "is_grad_enabled", "is_tensor", "isclose", "lerp", "linalg", "linspace", "load", "log", "log1p",
    "log_softmax", "logical_and", "logical_not", "logical_or", "logical_xor", "logspace",
    "logsumexp", "long", "manual_seed", "masked_fill", "matmul", "max", "maximum", "mean", "median",
    "meshgrid", "min", "minimum", "mm", "moveaxis", "movedim", "mul", "multinomial", "mv", "nansum",
    "narrow", "nn", "no_grad", "nonzero", "norm", "normal", "numel", "ones", "ones_like", "optim",
    "outer", "permute", "pow", "prod", "rand", "rand_like", "randint", "randn", "randn_like",
    "randperm", "relu", "remainder", "repeat", "repeat_interleave", "reshape", "roll", "save",
    "scatter", "scatter_add", "set_default_dtype", "set_grad_enabled", "set_num_threads", "set_printoptions",
    "set_rng_state", "sgn", "sigmoid", "sign", "Size", "softmax", "sort", "split", "sqrt", "square",
    "squeeze", "stack", "std", "std_mean", "sub", "sum", "swapaxes", "swapdims", "take_along_dim",
    "tanh", "tensor", "Tensor", "tensor_split", "tile", "topk", "transpose", "tril", "triu",
    "true_divide", "trunc", "unbind", "unflatten", "unique", "unsqueeze", "utils", "var",
    "var_mean", "where", "zeros", "zeros_like",
    "are_deterministic_algorithms_enabled", "initial_seed", "is_deterministic_algorithms_warn_only_enabled",
    "seed", "use_deterministic_algorithms",
]


def __getattr__(name: str) -> _ModuleType:
    """`npnn.onnx` on first use, as torch.onnx after `import torch`: it loads the onnx package,
    which `import npnn` does not (the one lazy import of the optional exporter)."""
    if name == "onnx":
        return _import_module("npnn.onnx")
    raise AttributeError(f"module 'npnn' has no attribute {name!r}")
