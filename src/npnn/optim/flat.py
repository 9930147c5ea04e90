"""`FlatGroup`: the gradients and optimizer state of a group's parameters in one array per kind.

An optimizer step per parameter makes a handful of NumPy calls per parameter, and at small
batches those calls, not the arithmetic, are most of its time. With every state array a view
into one flat array, the same arithmetic runs as a handful of whole-array calls (PyTorch's
foreach/fused optimizers do this with multi-tensor kernels). The values are the same: the
operations are elementwise and run in the same order.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from npnn import backend

if TYPE_CHECKING:
    from npnn._tensor import Tensor


class FlatGroup:
    """Flat state arrays `flat[name]` for `params` (same dtype and array type), with
    `state[param][name]` pointing at views of them, and a flat gradient buffer."""

    def __init__(self, params: list[Tensor], states: list[dict[str, Any]], names: tuple[str, ...]) -> None:
        first = params[0].array
        self.xp = backend.get_array_module(first)
        self.params, self.dtype, self.array_type = params, first.dtype, type(first)
        self.shapes = [p.array.shape for p in params]
        bounds = [0, *itertools.accumulate(p.array.size for p in params)]
        self.slices = [slice(start, stop) for start, stop in itertools.pairwise(bounds)]
        total = bounds[-1]
        self.grad = self.xp.empty(total, dtype=first.dtype)
        self._scratch: Any = None
        self.flat: dict[str, Any] = {}
        self.views: dict[str, list[Any]] = {}
        for name in names:
            flat = self.flat[name] = self.xp.zeros(total, dtype=first.dtype)
            views = self.views[name] = self._views_of(flat)
            for state, view in zip(states, views, strict=True):
                if state.get(name) is not None:  # continue from the state there is (a loaded one)
                    if tuple(state[name].shape) != view.shape:
                        raise ValueError(f"optimizer state {name!r} has shape {tuple(state[name].shape)} but "
                                         f"its parameter has shape {view.shape}")
                    view[...] = state[name]
                    state[name] = view
        self.grad_views = self._views_of(self.grad)

    @staticmethod
    def build(params: list[Tensor], states: list[dict[str, Any]], names: tuple[str, ...]) -> FlatGroup | None:
        """A FlatGroup, or None where some parameters have state `name` and others not yet (a
        None value, as PyTorch's momentum_buffer=None, counts as not yet)."""
        for name in names:
            if len({state.get(name) is not None for state in states}) > 1:
                return None
        return FlatGroup(params, states, names)

    def _views_of(self, flat: Any) -> list[Any]:
        return [flat[part].reshape(shape) for part, shape in zip(self.slices, self.shapes, strict=True)]

    def holds(self, params: list[Tensor], states: list[dict[str, Any]]) -> bool:
        """Whether these are still the group's parameters, of the same shapes, and each state
        array is still this group's view (a load_state_dict or a user's assignment replaces it)."""
        if len(params) != len(self.params):
            return False
        for param, mine, shape in zip(params, self.params, self.shapes, strict=True):
            array = param.array
            if (param is not mine or array.shape != shape or array.dtype != self.dtype
                    or type(array) is not self.array_type):  # e.g. model.half(), or moved to the GPU
                return False
        for name, views in self.views.items():
            values = [state.get(name) for state in states]
            ours = all(value is view for value, view in zip(values, views, strict=True))
            if not ours and any(value is not None for value in values):
                return False
        return True

    def started(self, name: str, states: list[dict[str, Any]]) -> bool:
        """Whether the parameters already have state `name` (all or none do, see `build`)."""
        return states[0].get(name) is not None

    def start(self, states: list[dict[str, Any]]) -> None:
        """Zero every flat state array and give the parameters their views (a first step)."""
        for name, flat in self.flat.items():
            flat.fill(0)
            self.publish(name, states)

    def publish(self, name: str, states: list[dict[str, Any]]) -> None:
        """Make `state[param][name]` the views of flat[name] (after its first step writes it)."""
        for state, view in zip(states, self.views[name], strict=True):
            state[name] = view

    def gather_grads(self) -> Any:
        """The parameters' gradients copied into the flat buffer, which the step may overwrite."""
        return self._gather([p.grad.array for p in self.params], self.grad)

    def gather_params(self) -> Any:
        """The parameters' values copied into the scratch buffer (for an L2 weight decay term)."""
        return self._gather([p.array for p in self.params], self.scratch())

    def scratch(self) -> Any:
        """A second flat buffer of the gradient's size and dtype."""
        if self._scratch is None:
            self._scratch = self.xp.empty_like(self.grad)
        return self._scratch

    def _gather(self, arrays: list[Any], out: Any) -> Any:
        self.xp.concatenate([array.reshape(-1) for array in arrays], out=out)
        return out

    def add_grad_to_params(self) -> None:
        """param += its part of the flat gradient buffer (where the step left its update)."""
        for param, view in zip(self.params, self.grad_views, strict=True):
            param.array += view

    def subtract_grad_from_params(self) -> None:
        """param -= its part of the flat gradient buffer."""
        for param, view in zip(self.params, self.grad_views, strict=True):
            param.array -= view
