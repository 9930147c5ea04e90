"""The names a PyTorch checkpoint's pickle may call, and the stand-ins npnn runs for them.

`allowed_globals` is the whole table the reader (pytorch_pickle) consults: each name maps to
npnn's own function that checks its arguments (a stand-in), a storage type, or a dtype's name;
nothing is ever imported from the name a pickle gives.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# the storage type a checkpoint names (torch.FloatStorage...): NumPy's dtype of its elements
STORAGE_DTYPES = {
    "torch.FloatStorage": "f4", "torch.DoubleStorage": "f8", "torch.HalfStorage": "f2",
    "torch.BFloat16Storage": "bfloat16", "torch.LongStorage": "i8", "torch.IntStorage": "i4",
    "torch.ShortStorage": "i2", "torch.CharStorage": "i1", "torch.ByteStorage": "u1",
    "torch.BoolStorage": "b1", "torch.ComplexFloatStorage": "c8", "torch.ComplexDoubleStorage": "c16",
    "torch.storage.UntypedStorage": "u1",
}
# torch's dtypes (the pickle names torch.float32): NumPy's dtype of the elements, as in
# STORAGE_DTYPES; NO_NUMPY_DTYPES have no NumPy type, and their tensors are refused by name
TORCH_DTYPES = {
    "float32": "f4", "float64": "f8", "float16": "f2", "bfloat16": "bfloat16", "int64": "i8",
    "int32": "i4", "int16": "i2", "int8": "i1", "uint8": "u1", "bool": "b1", "complex64": "c8",
    "complex128": "c16", "uint16": "u2", "uint32": "u4", "uint64": "u8",
}
NO_NUMPY_DTYPES = (
    "complex32", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
    "float4_e2m1fn_x2", "bits16", "bits1x8", "bits2x4", "bits4x2", "bits8", "qint32", "qint8",
    "quint2x4", "quint4x2", "quint8", *(f"int{bits}" for bits in range(1, 8)),
    *(f"uint{bits}" for bits in range(1, 8)),
)
NEVER_RUNS = ", which npnn.load never runs"


class RefusedError(Exception):
    """The pickle asks for something npnn never runs; the message says what ("calls os.system")."""


class UnsupportedError(Exception):
    """The pickle holds something harmless that npnn cannot represent (a float8 tensor)."""


@dataclass(frozen=True)
class StorageType:
    """Stand-in for a storage class named by the pickle (never callable)."""
    name: str
    dtype: str


@dataclass(frozen=True)
class Storage:
    """What `persistent_load` gives for a storage: its bytes, the dtype of its elements
    ("bfloat16" for torch.bfloat16) and how many there are."""
    data: bytes
    dtype: str
    numel: int


@dataclass(frozen=True)
class StandIn:
    """Stand-in for an allowed function: `call` is npnn's own code that checks the arguments."""
    name: str
    call: Callable[..., Any]

def allowed_globals(rebuild_tensor: Callable[[Any, Any, Any, Any], Any]) -> dict[str, Any]:
    def tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
        _plain(requires_grad, hooks, metadata, "_rebuild_tensor_v2")
        return rebuild_tensor(storage, offset, size, stride)

    def tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
        """torch.save's tensors of the dtypes that have no storage class (uint16, float8...):
        the storage is untyped bytes, read as `dtype`'s elements."""
        _plain(requires_grad, hooks, metadata, "_rebuild_tensor_v3")
        element = TORCH_DTYPES.get(dtype) if isinstance(dtype, str) else None
        if element is None:
            what = f"torch.{dtype}" if dtype in NO_NUMPY_DTYPES else f"{str(dtype)[:40]!r}"
            raise UnsupportedError(f"holds a tensor of dtype {what}, which npnn does not support (NumPy has "
                                   "no such type): convert it in PyTorch to a dtype NumPy has first "
                                   "(e.g. tensor.float())")
        itemsize = 2 if element == "bfloat16" else np.dtype(element).itemsize
        if not isinstance(storage, Storage) or storage.dtype != "u1" or len(storage.data) % itemsize:
            raise ValueError(f"_rebuild_tensor_v3 of {describe(storage)} that is no untyped storage")
        typed = Storage(storage.data, element, len(storage.data) // itemsize)
        return rebuild_tensor(typed, offset, size, stride)

    def parameter(data, requires_grad, hooks, state=None):
        _plain(requires_grad, hooks, state, "_rebuild_parameter")
        if not isinstance(data, np.ndarray):
            raise ValueError(f"a Parameter of a {type(data).__name__}, not of a tensor")
        return data

    def size(dims=()):
        if not isinstance(dims, tuple) or not all(type(d) is int for d in dims):
            raise ValueError("torch.Size of something other than integers")
        return dims

    def encode(text, encoding="latin1"):  # protocol 2's way to pickle bytes
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise ValueError("_codecs.encode with arguments pickle never writes")
        return text.encode("latin1")

    def device(kind, index=None):
        if not isinstance(kind, str) or not (index is None or type(index) is int):
            raise ValueError("torch.device with arguments pickle never writes")
        return kind if index is None else f"{kind}:{index}"

    def make_set(items=()):
        if not isinstance(items, list):
            raise ValueError("set of something other than a list")
        return set(items)

    def ordered_dict(*args):
        if args:
            raise ValueError("OrderedDict with arguments pickle never writes")
        return OrderedDict()

    table = {
        "collections.OrderedDict": ordered_dict,
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": tensor_v2,
        "torch._utils._rebuild_tensor_v3": tensor_v3,
        "torch.device": device,
        "builtins.set": make_set,
        "__builtin__.set": make_set,  # protocol 2's name
        "torch._utils._rebuild_parameter": parameter,
        "torch._utils._rebuild_parameter_with_state": parameter,
        "torch.Size": size,
        "_codecs.encode": encode,
    }
    found: dict[str, Any] = {name: StandIn(name, call) for name, call in table.items()}
    found.update({name: StorageType(name, dtype) for name, dtype in STORAGE_DTYPES.items()})
    found.update({f"torch.{name}": name for name in [*TORCH_DTYPES, *NO_NUMPY_DTYPES]})  # a dtype: its name
    return found


def _plain(requires_grad: Any, hooks: Any, state: Any, name: str) -> None:
    """A tensor with no hooks and no Python attributes: the only kind a state_dict holds."""
    if not isinstance(requires_grad, bool):
        raise ValueError(f"{name} with requires_grad={requires_grad!r}")
    if hooks:
        raise RefusedError("holds a tensor with backward hooks, which are functions")
    if state and not (isinstance(state, tuple) and not any(state)):
        raise RefusedError("holds a tensor with extra state (a subclass, Python attributes or metadata)")

def describe(value: Any) -> str:
    """How an error names a value from the pickle, without calling anything of it."""
    if isinstance(value, (StandIn, StorageType)):
        return value.name
    if isinstance(value, Storage):
        return "a storage"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'AEIOUaeiou' else 'a'} {kind}"
