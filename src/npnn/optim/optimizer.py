"""`Optimizer`: param groups, per-parameter state and the state_dict format shared by all optimizers.

Subclasses write only the per-parameter update (`_update`) and the hyperparameter
checks (`_check_group`); everything else (groups, state, zero_grad, state_dict) lives here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import enable_grad, no_grad
from npnn.optim.flat import FlatGroup

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]

# Parameters up to this size are updated together (optim/flat.py): for them the NumPy calls of a
# per-parameter update cost more than its arithmetic. Larger ones are updated one by one, which
# spares the copy of their gradient into the flat buffer.
FLAT_MAX_ELEMENTS = 1 << 14

_SET_ORDER_MESSAGE = ("params must be an ordered collection such as a list, not a set: set order "
                      "changes between runs, and state_dict matches parameters by position")


class Optimizer:
    """Base class: holds `param_groups` and `state[param]`, and loops over parameters with a grad.

    Differs from PyTorch: no hooks, no foreach/fused/differentiable flags, no named
    parameters; a parameter listed twice is an error (PyTorch only warns); `state_dict`
    returns copies of the state arrays as NumPy arrays and leaves out empty states.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or dicts, got a single Tensor; "
                "pass [tensor] or model.parameters()"
            )
        if isinstance(params, set):
            raise TypeError(_SET_ORDER_MESSAGE)
        self._check_group(defaults)
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._scratch_buffers: dict[tuple[Any, ...], Any] = {}
        self._scratch_views: dict[tuple[Any, ...], Any] = {}
        self._flat_groups: dict[int, FlatGroup] = {}
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list: the model has no parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        """For copy.deepcopy and pickling: without the flat buffers and scratch arrays (a copy's
        state arrays are copies, no longer views of them; its first step builds its own)."""
        return {**self.__dict__, "_flat_groups": {}, "_scratch_buffers": {}, "_scratch_views": {}}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join([*lines, ")"])

    # ----- groups -----
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a group; hyperparameters it leaves out take the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a param group needs a 'params' entry with its tensors")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError(_SET_ORDER_MESSAGE)
        params = [params] if isinstance(params, Tensor) else list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor: optimize the leaf it came from")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group lists the same parameter twice")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError for invalid hyperparameters; subclasses override."""

    # ----- stepping -----
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's grad: None (default, skips the param next step) or zeros in place."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad.array[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a grad; `closure` recomputes and returns the loss.

        Where the optimizer has a flat update (`_flat_names`), a group's small parameters with a
        grad (FLAT_MAX_ELEMENTS) that share a dtype and array type are updated together."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for index, group in enumerate(self.param_groups):
                params = [param for param in group["params"] if param.grad is not None]
                states = [self.state.setdefault(param, {}) for param in params]
                small = [i for i, param in enumerate(params) if param.array.size <= FLAT_MAX_ELEMENTS]
                small_states = [states[i] for i in small]
                flat = self._flat_group(index, group, [params[i] for i in small], small_states)
                together = set(small) if flat is not None else set()
                if flat is not None:
                    self._update_flat(flat, small_states, group)
                for i, (param, state) in enumerate(zip(params, states, strict=True)):
                    if i not in together:
                        self._update(param.array, param.grad.array, state, group)
                    param._bump_version()  # a graph that saved the old values refuses backward
        return loss

    def _update(self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update the array `param` in place from `grad`; subclasses implement it."""
        raise NotImplementedError

    def _flat_names(self, group: dict[str, Any], params: list[Tensor],
                    states: list[dict[str, Any]]) -> tuple[str, ...] | None:
        """The state arrays a flat update of `params` (one dtype) keeps, or None where this
        optimizer (or this step: e.g. parameters at different step counts) updates them one by one."""
        return None

    def _update_flat(self, flat: FlatGroup, states: list[dict[str, Any]], group: dict[str, Any]) -> None:
        """Update all of `flat.params` at once; subclasses with `_flat_names` implement it."""
        raise NotImplementedError

    def _flat_group(self, index: int, group: dict[str, Any], params: list[Tensor],
                    states: list[dict[str, Any]]) -> FlatGroup | None:
        """The group's FlatGroup for these parameters (kept between steps), or None where they
        are updated one by one: fewer than two, mixed dtypes or array types, or no flat update."""
        if len(params) < 2:
            return None
        first = params[0].array
        for param in params:
            if param.array.dtype != first.dtype or type(param.array) is not type(first):
                return None
        names = self._flat_names(group, params, states)
        if names is None:
            return None
        flat = self._flat_groups.get(index)
        if flat is None or tuple(flat.views) != names or not flat.holds(params, states):
            flat = FlatGroup.build(params, states, names)
            if flat is None:
                self._flat_groups.pop(index, None)
                return None
            self._flat_groups[index] = flat
        return flat

    def _scratch(self, like: Any, slot: int = 0) -> Any:
        """A reused uninitialized array shaped like `like`, so a step allocates nothing.

        One flat buffer per (slot, dtype, array type) grows to the largest parameter; the
        view of it for each shape is kept too, as the step asks for it every parameter.
        """
        key = (slot, like.shape, like.dtype, type(like))
        view = self._scratch_views.get(key)
        if view is not None:
            return view
        buffer_key = (slot, like.dtype, type(like))
        buffer = self._scratch_buffers.get(buffer_key)
        if buffer is None or buffer.size < like.size:
            buffer = backend.get_array_module(like).empty(like.size, dtype=like.dtype)
            self._scratch_buffers[buffer_key] = buffer
            self._scratch_views.clear()  # some were views of the old buffer
        view = self._scratch_views[key] = buffer[: like.size].reshape(like.shape)
        return view

    # ----- state_dict -----
    def _index_of_params(self) -> dict[int, int]:
        params = [p for group in self.param_groups for p in group["params"]]
        return {id(p): i for i, p in enumerate(params)}

    def state_dict(self) -> dict[str, Any]:
        """`{"state": {index: {name: array | number}}, "param_groups": [{..., "params": [index]}]}`.

        Parameters are numbered in group order, so the dict holds no tensors; arrays are
        NumPy copies (safe to save while training goes on).
        """
        index = self._index_of_params()
        group_of = {id(p): group for group in self.param_groups for p in group["params"]}
        groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for param, param_state in self.state.items():
            if param_state:
                group = group_of[id(param)]
                state[index[id(param)]] = {
                    key: self._saved_value(key, value, group) for key, value in param_state.items()
                }
        return {"state": state, "param_groups": groups}

    def _saved_value(self, name: str, value: Any, group: dict[str, Any]) -> Any:
        """How state `name` is saved: a NumPy copy (subclasses may convert, as Adam does)."""
        return _to_saved(value)

    def _loaded_value(self, name: str, value: Any, param: Tensor, saved_group: dict[str, Any]) -> Any:
        """The inverse of `_saved_value`, before the value is cast like its parameter."""
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict`, matching parameters by index."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups but this optimizer "
                f"has {len(self.param_groups)}; build the optimizer with the same groups"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"parameter group {i} has {len(group['params'])} parameters but the loaded "
                    f"state dict's group {i} has {len(saved['params'])}; the model must match"
                )
        # the saved hyperparameters are checked before any state is converted with them (Adam
        # divides by 1 - beta: a saved beta of 1 was a division by zero, then an error)
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            new_group = {key: copy.deepcopy(value) for key, value in saved.items() if key != "params"}
            new_group["params"] = group["params"]
            self._check_group(new_group)
            new_groups.append(new_group)
        params = {
            saved_id: (param, saved)
            for group, saved in zip(self.param_groups, saved_groups, strict=True)
            for saved_id, param in zip(saved["params"], group["params"], strict=True)
        }
        state: dict[Tensor, dict[str, Any]] = {}
        for key, param_state in state_dict["state"].items():
            saved_id = int(key)  # JSON turns integer keys into strings
            if saved_id not in params:
                raise ValueError(f"loaded state dict has state for parameter {saved_id}, "
                                 "which no parameter group lists")
            param, saved_group = params[saved_id]
            state[param] = {
                name: _to_param_like(self._loaded_value(name, value, param, saved_group), param,
                                     saved_id, name)
                for name, value in param_state.items()
            }
        self.param_groups = new_groups
        self.state = state


def _to_saved(value: Any) -> Any:
    """A plain NumPy copy of a state array; numbers pass through."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and getattr(value, "ndim", 0) > 0:
        return np.array(backend.to_numpy(value), copy=True)
    return copy.deepcopy(value)


def _to_param_like(value: Any, param: Tensor, index: int, name: str) -> Any:
    """A fresh state array on the parameter's device and of its dtype (as PyTorch casts state)."""
    if not (hasattr(value, "shape") and getattr(value, "ndim", 0) > 0):
        return copy.deepcopy(value)
    if tuple(value.shape) != param.shape:
        raise ValueError(
            f"state {name!r} of parameter {index} has shape {tuple(value.shape)} but the parameter "
            f"has shape {param.shape}; the model must match the one the state was saved from"
        )
    xp = backend.get_array_module(param.array)
    array = backend.to_device(backend.to_numpy(value), param.device) if xp is not np else value
    return xp.array(array, dtype=param.dtype, copy=True)
