"""Autograd: Function base, the backward engine, grad(), grad mode and gradient checking."""

from npnn.autograd.anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from npnn.autograd.backprop import backward
from npnn.autograd.custom import FunctionCtx
from npnn.autograd.function import Function, once_differentiable
from npnn.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from npnn.autograd.gradients import grad

__all__ = ["Function", "FunctionCtx", "backward", "detect_anomaly", "enable_grad", "grad",
           "is_anomaly_enabled", "is_grad_enabled", "no_grad", "once_differentiable",
           "set_detect_anomaly", "set_grad_enabled"]
