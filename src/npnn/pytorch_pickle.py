"""A pickle reader for PyTorch checkpoints that never imports or calls anything from the file.

Python's pickle calls whatever a pickle names (GLOBAL os.system + REDUCE runs a command). This
reader is its own interpreter of the opcodes a state_dict needs, as torch's weights_only
unpickler is: a global is looked up by name in a short table of stand-ins written here
(OrderedDict, the tensor and parameter rebuild functions, storage types, torch.Size, dtypes,
torch.device, set), never imported; any other name, and every opcode that builds objects
otherwise (NEWOBJ, INST, OBJ, the copyreg extension registry, BUILD on anything but an
OrderedDict's `_metadata`), is refused by name before anything runs. The value it gives is
checked too: dicts, OrderedDicts, lists, tuples and sets of numbers, strings, bytes, None and the
arrays `rebuild_tensor` returns, nested at most MAX_DEPTH deep and never containing itself.
Unlike torch.load, a dtype comes back as its name ("float32", which np.dtype takes for the
dtypes NumPy has) and a device as its string ("cpu", "cuda:1"): torch's objects are never made.
"""

from __future__ import annotations

import struct
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
LEAVES = (type(None), bool, int, float, str, bytes, np.ndarray)
_LEAF_TYPES = frozenset(LEAVES)
_CONTAINERS = frozenset((dict, OrderedDict, list, tuple, set))
MAX_DEPTH = 64  # containers in containers; a checkpoint needs about 6
CHARGE_EVERY = 1 << 20  # bytes of objects counted before `charge` is called


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


def unpickle(data: bytes, persistent_load: Callable[[Any], Any],
             rebuild_tensor: Callable[[Any, Any, Any, Any], Any], charge: Callable[[int], None]) -> Any:
    """The value pickled in `data`; RefusedError, or ValueError for a pickle that is damaged.
    `charge(nbytes)` is told, every CHARGE_EVERY bytes, about the memory of the objects made so
    far (tens of bytes each, _OBJECT_BYTES), so it can stop a pickle whose bytes each make a
    container (2 MB of EMPTY_DICT opcodes made two million dicts: 446 MB)."""
    try:
        value = _Machine(data, persistent_load, _globals(rebuild_tensor), charge).run()
    except (IndexError, KeyError, TypeError, struct.error, UnicodeDecodeError, OverflowError) as error:
        raise ValueError(f"damaged pickle ({type(error).__name__}: {error})") from None
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """Refuse a value holding anything but containers of LEAVES (a stand-in of the table, a bare
    storage), nested deeper than MAX_DEPTH or containing itself (code that walks it would
    recurse without end). Without recursion: depth-first, with the height of each container;
    leaves are checked in their container's pass, so a million empty dicts take a second."""
    heights: dict[int, int] = {}
    on_path: set[int] = set()
    pending: list[tuple[Any, list[Any] | None]] = [(value, None)]
    while pending:
        item, nested = pending.pop()
        key = id(item)
        if nested is not None:  # its children are done
            on_path.discard(key)
            heights[key] = 1 + max(heights[id(child)] for child in nested)
            if heights[key] > MAX_DEPTH:
                raise ValueError(f"containers nested more than {MAX_DEPTH} levels deep")
        elif type(item) not in _CONTAINERS:
            if not isinstance(item, LEAVES):
                raise RefusedError(f"holds {describe(item)} itself, not a tensor or a plain value")
        elif key in on_path:
            raise ValueError("a container that contains itself")
        elif key not in heights:
            nested = [child for child in _children(item) if type(child) not in _LEAF_TYPES]
            if not nested:
                heights[key] = 1
                continue
            on_path.add(key)
            pending.append((item, nested))
            pending.extend((child, None) for child in nested)


def _children(item: Any) -> list[Any]:
    if isinstance(item, dict):
        extra = [item._metadata] if hasattr(item, "_metadata") else []
        return [*item.keys(), *item.values(), *extra]
    return list(item)


def _globals(rebuild_tensor: Callable[[Any, Any, Any, Any], Any]) -> dict[str, Any]:
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


class _Machine:
    """The pickle virtual machine, restricted: one method per opcode a state_dict uses."""

    def __init__(self, data: bytes, persistent_load: Callable[[Any], Any], allowed: dict[str, Any],
                 charge: Callable[[int], None]):
        self.data, self.position = data, 0
        self.persistent_load, self.allowed, self.charge = persistent_load, allowed, charge
        self.stack: list[Any] = []
        self.marks: list[list[Any]] = []
        self.memo: dict[int, Any] = {}

    def read(self, count: int) -> bytes:
        chunk = self.data[self.position:self.position + count]
        if count < 0 or len(chunk) < count:
            raise ValueError("the pickle ends early (truncated)")
        self.position += count
        return chunk

    def unpack(self, form: str) -> Any:
        return struct.unpack(form, self.read(struct.calcsize(form)))[0]

    def readline(self) -> str:
        end = self.data.find(b"\n", self.position)
        if end < 0:
            raise ValueError("the pickle ends early (truncated)")
        line, self.position = self.data[self.position:end], end + 1
        return line.decode("ascii")

    def run(self) -> Any:
        spent = 0  # bytes of objects made since the last charge
        while True:
            code = self.read(1)
            if code == b".":  # STOP
                if len(self.stack) != 1 or self.marks:
                    raise ValueError("the pickle stops with a wrong stack")
                self.charge(spent)
                return self.stack.pop()
            handler = _OPCODES.get(code)
            if handler is None:
                what = _REFUSED_OPCODES.get(code)
                if what is not None:
                    raise RefusedError(what + NEVER_RUNS)
                raise ValueError(f"unknown or unsupported pickle opcode {code!r}")
            handler(self)
            spent += _OBJECT_BYTES.get(code, 0)
            if spent >= CHARGE_EVERY:
                self.charge(spent)
                spent = 0

    def push(self, value: Any) -> None:
        self.stack.append(value)

    def mark(self) -> None:
        self.marks.append(self.stack)
        self.stack = []

    def dict_from_mark(self) -> None:
        items = self.pop_mark()
        self.stack.append({})
        self.set_items(items)

    def pop_mark(self) -> list[Any]:
        items, self.stack = self.stack, self.marks.pop()
        return items

    def push_global(self, module: str, name: str) -> None:
        """Find class, refusing anything off the table by name before it is imported."""
        full = f"{module}.{name}"
        if full not in self.allowed:
            raise RefusedError(f"calls {full}{NEVER_RUNS}")
        self.stack.append(self.allowed[full])

    def reduce(self) -> None:
        args, func = self.stack.pop(), self.stack[-1]
        if not isinstance(func, StandIn):
            raise RefusedError(f"calls {describe(func)}{NEVER_RUNS}")
        if not isinstance(args, tuple):
            raise ValueError("REDUCE with arguments that are not a tuple")
        self.stack[-1] = func.call(*args)

    def build(self) -> None:
        state, target = self.stack.pop(), self.stack[-1]
        if type(target) is not OrderedDict or not isinstance(state, dict) or set(state) - {"_metadata"}:
            raise RefusedError(f"sets the state of {describe(target)} (BUILD){NEVER_RUNS}")
        if "_metadata" in state:
            target._metadata = state["_metadata"]  # as torch: state_dict versions per module

    def set_items(self, items: list[Any]) -> None:
        target = self.stack[-1]
        if type(target) not in (dict, OrderedDict) or len(items) % 2:
            raise ValueError(f"SETITEM on {describe(target)}")
        for index in range(0, len(items), 2):
            target[items[index]] = items[index + 1]

    def add_items(self) -> None:
        items = self.pop_mark()
        if type(self.stack[-1]) is not set:
            raise ValueError(f"ADDITEMS to {describe(self.stack[-1])}")
        self.stack[-1].update(items)

    def extend(self, items: list[Any]) -> None:
        if type(self.stack[-1]) is not list:
            raise ValueError(f"APPEND to {describe(self.stack[-1])}")
        self.stack[-1].extend(items)

    def binpersid(self) -> None:
        self.stack.append(self.persistent_load(self.stack.pop()))

    def put(self, index: int) -> None:
        self.memo[index] = self.stack[-1]

    def proto(self) -> None:
        if not 2 <= self.read(1)[0] <= 5:
            raise ValueError("a pickle protocol torch.save does not write")

    def stack_global(self) -> None:
        name, module = self.stack.pop(), self.stack.pop()
        if not isinstance(module, str) or not isinstance(name, str):
            raise ValueError("STACK_GLOBAL of something other than names")
        self.push_global(module, name)


def describe(value: Any) -> str:
    """How an error names a value from the pickle, without calling anything of it."""
    if isinstance(value, (StandIn, StorageType)):
        return value.name
    if isinstance(value, Storage):
        return "a storage"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'AEIOUaeiou' else 'a'} {kind}"


def _string(machine: _Machine, length: int) -> None:
    machine.stack.append(machine.read(length).decode("utf-8", "surrogatepass"))


def _push(value: Any) -> Callable[[_Machine], None]:
    return lambda machine: machine.stack.append(value() if callable(value) else value)


_OPCODES: dict[bytes, Callable[[_Machine], None]] = {
    b"\x80": _Machine.proto,
    b"\x95": lambda m: m.read(8),  # FRAME: a length hint only
    b"(": _Machine.mark,
    b"0": lambda m: m.stack.pop(),  # POP
    b"1": lambda m: m.pop_mark(),  # POP_MARK
    b"N": _push(None), b"\x88": _push(True), b"\x89": _push(False),
    b")": _push(()), b"]": _push(list), b"}": _push(dict), b"\x8f": _push(set),  # EMPTY_SET
    b"J": lambda m: m.stack.append(m.unpack("<i")),  # BININT
    b"K": lambda m: m.stack.append(m.read(1)[0]),  # BININT1
    b"M": lambda m: m.stack.append(m.unpack("<H")),  # BININT2
    b"\x8a": lambda m: m.stack.append(int.from_bytes(m.read(m.read(1)[0]), "little", signed=True)),
    b"\x8b": lambda m: m.stack.append(int.from_bytes(m.read(m.unpack("<i")), "little", signed=True)),
    b"G": lambda m: m.stack.append(m.unpack(">d")),  # BINFLOAT
    b"X": lambda m: _string(m, m.unpack("<I")),  # BINUNICODE
    b"\x8c": lambda m: _string(m, m.read(1)[0]),  # SHORT_BINUNICODE
    b"\x8d": lambda m: _string(m, m.unpack("<Q")),  # BINUNICODE8
    b"C": lambda m: m.stack.append(m.read(m.read(1)[0])),  # SHORT_BINBYTES
    b"B": lambda m: m.stack.append(m.read(m.unpack("<I"))),  # BINBYTES
    b"t": lambda m: m.push(tuple(m.pop_mark())),  # TUPLE (pop_mark first: it swaps the stack)
    b"\x85": lambda m: m.stack.append((m.stack.pop(),)),  # TUPLE1
    b"\x86": lambda m: m.stack.append(tuple(reversed([m.stack.pop(), m.stack.pop()]))),
    b"\x87": lambda m: m.stack.append(tuple(reversed([m.stack.pop(), m.stack.pop(), m.stack.pop()]))),
    b"l": lambda m: m.push(m.pop_mark()),  # LIST
    b"d": _Machine.dict_from_mark,
    b"a": lambda m: m.extend([m.stack.pop()]),  # APPEND
    b"e": lambda m: m.extend(m.pop_mark()),  # APPENDS
    b"\x90": _Machine.add_items,  # ADDITEMS
    b"s": lambda m: m.set_items(list(reversed([m.stack.pop(), m.stack.pop()]))),  # SETITEM
    b"u": lambda m: m.set_items(m.pop_mark()),  # SETITEMS
    b"q": lambda m: m.put(m.read(1)[0]),  # BINPUT
    b"r": lambda m: m.put(m.unpack("<I")),  # LONG_BINPUT
    b"\x94": lambda m: m.put(len(m.memo)),  # MEMOIZE
    b"h": lambda m: m.stack.append(m.memo[m.read(1)[0]]),  # BINGET
    b"j": lambda m: m.stack.append(m.memo[m.unpack("<I")]),  # LONG_BINGET
    b"c": lambda m: m.push_global(m.readline(), m.readline()),  # GLOBAL
    b"\x93": _Machine.stack_global,
    b"R": _Machine.reduce,
    b"b": _Machine.build,
    b"Q": _Machine.binpersid,
}

# the memory an opcode's new object takes, with the check_value's bookkeeping for a container:
# each object costs tens of bytes for a few bytes of pickle (a dict 64 for its 1-byte opcode)
_CONTAINER, _MEMO, _TEXT, _NUMBER = 128, 64, 64, 32
_OBJECT_BYTES = {
    **dict.fromkeys([b"(", b"}", b"]", b"\x8f", b"d", b"l", b"t", b"\x85", b"\x86", b"\x87", b"R", b"Q"],
                    _CONTAINER),
    **dict.fromkeys([b"q", b"r", b"\x94"], _MEMO),
    **dict.fromkeys([b"X", b"\x8c", b"\x8d", b"C", b"B"], _TEXT),
    **dict.fromkeys([b"J", b"M", b"G", b"\x8a", b"\x8b"], _NUMBER),
}

_REFUSED_OPCODES = {
    b"\x81": "creates an object with NEWOBJ", b"\x92": "creates an object with NEWOBJ_EX",
    b"i": "creates an object with INST", b"o": "creates an object with OBJ",
    b"\x82": "calls a function from the copyreg extension registry (EXT1)",
    b"\x83": "calls a function from the copyreg extension registry (EXT2)",
    b"\x84": "calls a function from the copyreg extension registry (EXT4)",
    b"P": "uses a text persistent id (PERSID)",
}
