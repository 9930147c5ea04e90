"""Autograd: Function base, the backward engine, grad(), grad mode and gradient checking."""

from npnn.autograd.function import Function
from npnn.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from npnn.autograd.gradients import grad

__all__ = ["Function", "enable_grad", "grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]
