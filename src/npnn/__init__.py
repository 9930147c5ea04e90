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
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
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
from npnn.device import device
from npnn.ops import (
    abs,
    add,
    amax,
    amin,
    argmax,
    argmin,
    cat,
    chunk,
    clamp,
    clip,
    concatenate,
    div,
    exp,
    flatten,
    floor_divide,
    gather,
    log,
    log1p,
    log_softmax,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    norm,
    permute,
    pow,
    relu,
    remainder,
    repeat,
    reshape,
    scatter,
    sigmoid,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    topk,
    transpose,
    unbind,
    unsqueeze,
    var,
    where,
)
from npnn.parallel import get_num_threads, set_num_threads
from npnn.random import Generator, get_rng_state, manual_seed, set_rng_state
from npnn.save_load import load, save
from npnn.size import Size

__version__ = "0.1.0"

long = int64
double = float64
float = float32
bool = bool_

__all__ = [
    "abs", "accelerator", "add", "all", "allclose", "amax", "amin", "any", "arange", "argmax",
    "argmin", "as_tensor", "backends", "bool", "bool_", "cat", "chunk", "clamp", "clip",
    "concatenate", "cuda", "device", "div", "double", "empty", "empty_like", "enable_grad", "equal",
    "exp", "eye", "flatten", "float", "float16", "float32", "float64", "floor_divide", "from_numpy",
    "full", "full_like", "gather", "Generator", "get_default_dtype", "get_num_threads", "get_rng_state",
    "inference_mode", "int32", "int64", "is_grad_enabled", "is_tensor", "linalg", "linspace",
    "load", "log", "log1p", "log_softmax", "long", "manual_seed", "masked_fill", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "nn", "no_grad", "norm", "ones", "ones_like",
    "optim", "permute", "pow", "rand", "rand_like", "randint", "randn", "randn_like", "randperm",
    "relu", "remainder", "repeat", "reshape", "save", "scatter", "set_default_dtype", "set_num_threads",
    "set_grad_enabled", "set_rng_state", "sigmoid", "Size", "softmax", "sort", "split", "sqrt",
    "square", "squeeze", "stack", "std", "sub", "sum", "tanh", "Tensor", "tensor", "topk",
    "transpose", "unbind", "unsqueeze", "utils", "var", "where", "zeros", "zeros_like",
]


def __getattr__(name: str) -> _ModuleType:
    """`npnn.onnx` on first use, as torch.onnx after `import torch`: it loads the onnx package,
    which `import npnn` does not (the one lazy import of the optional exporter)."""
    if name == "onnx":
        return _import_module("npnn.onnx")
    raise AttributeError(f"module 'npnn' has no attribute {name!r}")
