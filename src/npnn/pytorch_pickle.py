"""A pickle reader for PyTorch checkpoints that never imports or calls anything from the file.

Python's pickle calls whatever a pickle names (GLOBAL os.system + REDUCE runs a command). This
reader is its own interpreter of the opcodes a state_dict needs, as torch's weights_only
unpickler is: a global is looked up by name in a short table of stand-ins (pytorch_pickle_names:
OrderedDict, the tensor and parameter rebuild functions, storage types, torch.Size, dtypes,
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
from typing import Any

import numpy as np

from npnn.pytorch_pickle_names import (
    NEVER_RUNS,
    RefusedError,
    StandIn,
    allowed_globals,
    describe,
)

LEAVES = (type(None), bool, int, float, str, bytes, np.ndarray)
_LEAF_TYPES = frozenset(LEAVES)
_CONTAINERS = frozenset((dict, OrderedDict, list, tuple, set))
MAX_DEPTH = 64  # containers in containers; a checkpoint needs about 6
CHARGE_EVERY = 1 << 20  # bytes of objects counted before `charge` is called


def unpickle(data: bytes, persistent_load: Callable[[Any], Any],
             rebuild_tensor: Callable[[Any, Any, Any, Any], Any], charge: Callable[[int], None]) -> Any:
    """The value pickled in `data`; RefusedError, or ValueError for a pickle that is damaged.
    `charge(nbytes)` is told, every CHARGE_EVERY bytes, about the memory of the objects made so
    far (tens of bytes each, _OBJECT_BYTES), so it can stop a pickle whose bytes each make a
    container (2 MB of EMPTY_DICT opcodes made two million dicts: 446 MB)."""
    try:
        value = _Machine(data, persistent_load, allowed_globals(rebuild_tensor), charge).run()
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
