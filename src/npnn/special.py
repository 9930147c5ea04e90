"""`npnn.special`: torch.special's functions that npnn computes, with gradients (those npnn
already had are the same functions). erfinv, gammaln, digamma, ndtri and i0 are not here:
npnn (NumPy only) has no formula for them; refused by name, use scipy.special on `.numpy()`."""

from __future__ import annotations

from typing import Any

from npnn.ops.activation import log_softmax, sigmoid, softmax
from npnn.ops.elementwise import exp, log1p
from npnn.ops.elementwise_extra import xlogy
from npnn.ops.elementwise_more import erf, erfc
from npnn.ops.reduction_more import logsumexp
from npnn.ops.special_more import entr, exp2, expm1, logit, ndtr, sinc, xlog1py

expit = sigmoid

__all__ = ["entr", "erf", "erfc", "exp", "exp2", "expit", "expm1", "log1p", "log_softmax", "logit",
           "logsumexp", "ndtr", "sinc", "softmax", "xlog1py", "xlogy"]

_MISSING = ("erfinv", "gammaln", "digamma", "psi", "polygamma", "multigammaln", "ndtri", "log_ndtr",
            "i0", "i0e", "i1", "i1e", "bessel_j0", "bessel_j1", "zeta", "erfcx")


def __getattr__(name: str) -> Any:
    if name in _MISSING:
        raise AttributeError(f"npnn.special.{name} is not implemented (npnn has no formula for it): "
                             f"use scipy.special.{name} on x.numpy()")
    raise AttributeError(f"module 'npnn.special' has no attribute {name!r}")
