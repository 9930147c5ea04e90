"""The ONNX graph being built: named values, nodes, initializers, and where the batch axis is."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from npnn._tensor import Tensor
from npnn.errors import OnnxExportError

__all__ = ["Graph", "OnnxExportError"]


class Graph:
    """Values are named by the array that holds them while tracing: the inputs,
    the parameters and buffers under their state_dict names, each op's output under a fresh
    name. `batch_axis[name]` is the axis that holds the batch (None: none), so that ops that
    fix a shape (reshape) can leave it free."""

    def __init__(self, named_arrays: dict[int, tuple[str, Any]], opset: int, reserved: set[str]) -> None:
        self.opset = opset
        self._reserved = reserved  # state_dict, input and output names: no node output takes one
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, onnx.TensorProto] = {}
        self.batch_axis: dict[str, int | None] = {}
        self._named = named_arrays  # id(parameter's or buffer's array) -> (state_dict name, array)
        self._values: dict[int, str] = {}
        self._kept: list[Any] = []  # what the ids above belong to, alive until the graph is done
        self._count: dict[str, int] = {}

    def fresh(self, hint: str) -> str:
        while True:
            number = self._count.get(hint, 0)
            self._count[hint] = number + 1
            if f"{hint}_{number}" not in self._reserved:
                return f"{hint}_{number}"

    def bind(self, array: Any, name: str) -> None:
        """Name the value `array` holds from now on (a traced input, an op's output, or an array
        an in-place update wrote into)."""
        self._values[id(array)] = name
        self._kept.append(array)

    def name_of(self, array: Any) -> str | None:
        return self._values.get(id(array))

    def value(self, item: Any, like: Any = None) -> str:
        """The name of an op's input: a traced value, a parameter or buffer, else a constant
        (a number takes the dtype of `like`, the op's output, as npnn's promotion gives it)."""
        array = item.array if isinstance(item, Tensor) else item
        if id(array) in self._values:
            return self._values[id(array)]
        if id(array) in self._named:
            name, stored = self._named[id(array)]
            if name not in self.initializers:
                self.initializers[name] = numpy_helper.from_array(np.ascontiguousarray(_host(stored)), name)
                self.batch_axis[name] = None
            return name
        if not hasattr(array, "dtype"):  # a Python number, in the op's dtype as apply promoted it
            array = np.asarray(item, dtype=getattr(like, "dtype", None))
        return self.constant(_host(array))

    def constant(self, array: Any, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.initializers[name] = numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.batch_axis[name] = None
        return name

    def ints(self, values: Any, hint: str = "shape") -> str:
        return self.constant(np.asarray(values, dtype=np.int64), hint)

    def node(self, op_type: str, inputs: list[str], hint: str, batch_axis: int | None = None,
             **attributes: Any) -> str:
        """Add one node; its single output's name."""
        output = self.fresh(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=self.fresh(op_type),
                                           **attributes))
        self.batch_axis[output] = batch_axis
        return output

    def drop_unused(self, outputs: list[str]) -> None:
        """Remove the nodes and initializers no result depends on (a Pad folded into a Conv)."""
        live, kept = set(outputs), []
        for node in reversed(self.nodes):
            if live.intersection(node.output):
                kept.append(node)
                live.update(node.input)
        self.nodes[:] = kept[::-1]
        self.initializers = {name: value for name, value in self.initializers.items() if name in live}


def _host(array: Any) -> np.ndarray:
    """A NumPy copy of a NumPy or CuPy array."""
    get = getattr(array, "get", None)
    return get() if callable(get) and not isinstance(array, np.ndarray) else np.asarray(array)
