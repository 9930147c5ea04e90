"""Tensor hooks and retain_grad, as PyTorch's `Tensor.register_hook` / `retain_grad`.

A hook gets the tensor's gradient (a Tensor) during backward and may return a replacement.
On a non-leaf the hooks sit on the node that made the tensor: its `backward` is wrapped once,
so nodes without hooks cost the engine nothing. On a leaf they run once, on the leaf's summed
gradient, before it is added into `.grad`; the engine looks for them only while some leaf has
a hook (`live_leaf_hooks`), once per backward. npnn only: `autograd.grad` runs the hooks of
non-leaves (and fills retained `.grad`s) but not those of leaves.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from npnn.autograd.function import detached_tensor

if TYPE_CHECKING:
    from npnn._tensor import Tensor

Hook = Callable[[Any], Any]
OnLeaf = Callable[[Any, Any], None]
live_leaf_hooks = 0  # hooks registered on leaves and not removed
_keys = itertools.count()


class RemovableHandle:
    """What register_hook returns: `handle.remove()` unregisters the hook."""

    def __init__(self, hooks: dict[int, Hook], key: int, on_leaf: bool) -> None:
        self._hooks, self.id, self._on_leaf = hooks, key, on_leaf

    def remove(self) -> None:
        _drop(self._hooks, self.id, self._on_leaf)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


def register_hook(tensor: Tensor, hook: Hook) -> RemovableHandle:
    """Call `hook(grad)` with the tensor's gradient in every backward; a Tensor it returns
    replaces the gradient."""
    global live_leaf_hooks
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key = next(_keys)
    node = tensor.grad_fn
    if node is None:
        if getattr(tensor, "_hooks", None) is None:
            tensor._hooks = {}
        tensor._hooks[key] = hook
        live_leaf_hooks += 1
        weakref.finalize(tensor, _drop, tensor._hooks, key, True)  # a leaf that dies unhooks
        return RemovableHandle(tensor._hooks, key, on_leaf=True)
    _wrap(node)
    node.tensor_hooks[key] = hook
    return RemovableHandle(node.tensor_hooks, key, on_leaf=False)


def _drop(hooks: dict[int, Hook], key: int, on_leaf: bool) -> None:
    global live_leaf_hooks
    if hooks.pop(key, None) is not None and on_leaf:
        live_leaf_hooks -= 1


def retain_grad(tensor: Tensor) -> None:
    """Keep a non-leaf tensor's gradient in its `.grad` (accumulated as a leaf's); a no-op on a leaf."""
    if not tensor.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    node = tensor.grad_fn
    if node is None or retains_grad(tensor):
        return
    _wrap(node)
    node.retained = weakref.ref(tensor)


def retains_grad(tensor: Tensor) -> bool:
    node = tensor.grad_fn
    retained = getattr(node, "retained", None) if node is not None else None
    return retained is not None and retained() is tensor


def _wrap(node: Any) -> None:
    """Run the node's tensor hooks (then retain the gradient) before its own backward."""
    if "tensor_hooks" in vars(node):
        return
    node.tensor_hooks = {}
    node.retained = None
    original = node.backward

    def backward(grad_output: Any) -> Any:
        grad_output = run_hooks(node.tensor_hooks, grad_output)
        tensor = node.retained() if node.retained is not None else None
        if tensor is not None:
            keep(tensor, grad_output)
        return original(grad_output)

    node.backward = backward


def run_hooks(hooks: dict[int, Hook], grad: Any) -> Any:
    """`grad` (an array) passed through each hook in order of registration."""
    for hook in list(hooks.values()):
        result = hook(detached_tensor(grad))
        if result is not None:
            replacement = result.array if hasattr(result, "array") else result
            if replacement.shape != grad.shape:
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the size of "
                                   f"value: expected {list(grad.shape)}, got {list(replacement.shape)}")
            grad = replacement.astype(grad.dtype)  # a copy: the hook's result may be kept elsewhere
    return grad


def keep(tensor: Tensor, grad: Any) -> None:
    """Add `grad` into a retained non-leaf's `.grad` (a copy: the sweep still uses `grad`); the
    sum is a new tensor, so a `.grad` read after an earlier backward keeps its value, as PyTorch."""
    if tensor._grad is None:
        tensor._grad = detached_tensor(grad.copy())
    else:
        tensor._grad = detached_tensor(tensor._grad.array + grad)


def holding(held: dict[int, tuple[Any, Any]], on_leaf: OnLeaf) -> OnLeaf:
    """An `on_leaf` that sums the gradients of leaves with hooks into `held` (for
    `release_held` after the sweep) and passes the others on at once."""

    def hold(leaf: Any, grad: Any) -> None:
        if not getattr(leaf, "_hooks", None):
            on_leaf(leaf, grad)
            return
        earlier = held.get(id(leaf))
        held[id(leaf)] = (leaf, grad if earlier is None else earlier[1] + grad)

    return hold


def release_held(held: dict[int, tuple[Any, Any]], on_leaf: OnLeaf) -> None:
    """Each held leaf's summed gradient through its hooks, then on to `on_leaf`."""
    for leaf, grad in held.values():
        on_leaf(leaf, run_hooks(leaf._hooks, grad))
