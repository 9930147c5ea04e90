"""Reverse-mode sweep: iterative topological order, one reverse pass, free as we go."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from npnn.autograd import anomaly, hooks
from npnn.autograd.function import detached_tensor, saved_inputs

if TYPE_CHECKING:
    from npnn._tensor import Tensor
    from npnn.autograd.function import Function


def topological_order(*roots: Function) -> list[Function]:
    """Nodes reachable from `roots`, each after all nodes that consume it (no recursion)."""
    post_order: list[Function] = []
    visited: set[Function] = set()  # nodes hash by identity
    stack: list[tuple[Function, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            post_order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        if node.inputs is None:
            saved_inputs(node, "backward")  # raises: freed by an earlier backward
        for parent in node.parents:
            if parent is not None and parent not in visited:
                stack.append((parent, False))
    post_order.reverse()
    return post_order


def unbroadcast(grad: Any, shape: tuple[int, ...], op_name: str) -> Any:
    """Sum `grad` over the axes broadcasting added, so it matches an input of `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        _shape_error(grad.shape, shape, op_name)
    axes = list(range(extra))
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis + extra] != 1:
            axes.append(axis + extra)
    reduced = grad.sum(axis=tuple(axes), keepdims=True) if axes else grad
    if extra:
        reduced = reduced.reshape(reduced.shape[extra:])
    if reduced.shape != shape:
        _shape_error(grad.shape, shape, op_name)
    return reduced


def _shape_error(grad_shape: tuple[int, ...], shape: tuple[int, ...], op_name: str) -> None:
    raise RuntimeError(
        f"{op_name}.backward returned a gradient of shape {grad_shape} for an input of shape "
        f"{shape}; the shapes do not broadcast back (a bug in {op_name}.backward)"
    )


def run_backward(root: Tensor, grad_output: Any, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) · grad_output into every leaf that requires grad."""
    borrowed: list[Tensor] = []

    def on_leaf(leaf: Tensor, grad: Any) -> None:
        _accumulate(leaf, grad, borrowed)

    held: dict[int, Any] = {}
    if hooks.live_leaf_hooks:  # leaves with hooks: their summed gradient, after the sweep
        on_leaf = hooks.holding(held, on_leaf)
    if root.grad_fn is None:  # a leaf: the sweep's cast below does not apply
        on_leaf(root, grad_output.astype(root.array.dtype, copy=False))
    else:
        _sweep(topological_order(root.grad_fn), {root.grad_fn: grad_output}, retain_graph, on_leaf)
    if held:
        hooks.release_held(held, lambda leaf, grad: _accumulate(leaf, grad, borrowed))
    _unshare(borrowed)


def run_grad(roots: list[Tensor], grad_outputs: list[Any], inputs: list[Tensor],
             retain_graph: bool = False) -> list[Any]:
    """sum_i d(roots[i])/d(input) · grad_outputs[i] for each input (None where unreached),
    without writing any `.grad`. As PyTorch's, only the nodes between the roots and the inputs
    run (and are freed): the graph below a non-leaf input is left as it was."""
    wanted_leaves = {id(t) for t in inputs if t.grad_fn is None}
    wanted_nodes = {t.grad_fn for t in inputs if t.grad_fn is not None}
    sums: dict[Any, Any] = {}  # id(leaf) or node -> the gradient summed so far

    def add(key: Any, grad: Any) -> None:
        earlier = sums.get(key)
        sums[key] = grad if earlier is None else earlier + grad

    pending: dict[Function, Any] = {}
    for root, grad_output in zip(roots, grad_outputs, strict=True):
        node = root.grad_fn
        if node is not None:
            earlier = pending.get(node)
            pending[node] = grad_output if earlier is None else earlier + grad_output
        elif id(root) in wanted_leaves:
            add(id(root), grad_output.astype(root.array.dtype, copy=False))
    for node, grad in pending.items():  # a wanted node's gradient: all that reaches it
        if node in wanted_nodes:
            add(node, grad)
    order = topological_order(*pending)

    def on_leaf(leaf: Tensor, grad: Any) -> None:
        if id(leaf) in wanted_leaves:
            add(id(leaf), grad)

    _sweep(order, pending, retain_graph, on_leaf, _leading_to(order, wanted_leaves, wanted_nodes),
           lambda node, grad: add(node, grad) if node in wanted_nodes else None)
    return [sums.get(id(t)) if t.grad_fn is None else sums.get(t.grad_fn) for t in inputs]


def _leading_to(order: list[Function], leaves: set[int], nodes: set[Function]) -> set[Function]:
    """The nodes of `order` from which a wanted leaf or below a wanted node can be reached:
    the only ones a `grad` runs. A freed node counts as leading there, so that running it
    says the graph was freed."""
    leading: set[Function] = set()
    for node in reversed(order):  # each node before the nodes that consume it
        if node.inputs is None:
            leading.add(node)
            continue
        for tensor, parent in zip(node.inputs, node.parents, strict=True):
            if (parent is None and id(tensor) in leaves) or (
                    parent is not None and (parent in nodes or parent in leading)):
                leading.add(node)
                break
    return leading


def _sweep(order: list[Function], pending: dict[Function, Any], retain_graph: bool,
           on_leaf: Any, only: set[Function] | None = None, on_edge: Any = None) -> None:
    """The reverse sweep: each node of `order` (of `only`, if given) passes its summed
    gradient through its backward to its inputs: `on_leaf(leaf, grad)` for a leaf, summed into
    `pending` for a node (after `on_edge(parent, grad)`, if given); then it is freed unless
    `retain_graph`."""
    for node in order:
        if only is not None and node not in only:
            continue
        grad = pending.pop(node, None)
        inputs = node.inputs if node.inputs is not None else saved_inputs(node, "backward")  # raises
        if grad is not None:
            node.check_versions()
            input_grads = node.backward(grad)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if anomaly.state[0]:
                anomaly.check(node, input_grads)
            if len(input_grads) != len(inputs):
                raise RuntimeError(
                    f"{node.name}.backward returned {len(input_grads)} gradients for "
                    f"{len(inputs)} inputs; it must return one per input (None where not "
                    f"needed) — a bug in {node.name}.backward"
                )
            for tensor, parent, needed, input_grad in zip(
                inputs, node.parents, node.needs_input_grad, input_grads, strict=True
            ):
                if not needed or input_grad is None:
                    continue
                # shape and dtype read from the array, not the Tensor properties: this loop
                # runs for every edge of every step
                data = tensor.array
                input_grad = unbroadcast(input_grad, data.shape, node.name)
                if input_grad.dtype != data.dtype:
                    input_grad = input_grad.astype(data.dtype)
                if parent is None:
                    on_leaf(tensor, input_grad)
                else:
                    if on_edge is not None:
                        on_edge(parent, input_grad)
                    earlier = pending.get(parent)
                    pending[parent] = input_grad if earlier is None else earlier + input_grad
        if not retain_graph:
            node.release()


def _accumulate(leaf: Tensor, grad: Any, borrowed: list[Tensor]) -> None:
    """Write or add `grad` into `leaf.grad`, a Tensor made at the first backward.

    A first gradient that is a fresh array is taken as it is (no copy: a backward's result
    belongs to nobody else); views and read-only arrays are copied. Later ones are added out
    of place into the same Tensor, since a taken array may still be pending for another node
    of this sweep. `grad` already has the leaf's dtype.
    """
    if not leaf._requires_grad:
        return
    if leaf._grad is None:
        if grad.base is not None or not getattr(grad.flags, "writeable", True):
            grad = grad.copy()
        else:
            borrowed.append(leaf)
        leaf._grad = detached_tensor(grad)
    else:
        leaf._grad.array = leaf._grad.array + grad


def _unshare(borrowed: list[Tensor]) -> None:
    """Give each leaf its own array where one backward result went to several leaves (x + y)."""
    seen: set[int] = set()
    for leaf in borrowed:
        grad = leaf._grad
        if id(grad.array) in seen:
            grad.array = grad.array.copy()
        seen.add(id(grad.array))
