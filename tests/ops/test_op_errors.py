"""Misuse gives an error of the right type whose message names the op and the shapes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

import npnn
from npnn import ops


def _t(*shape: int) -> npnn.Tensor:
    return npnn.zeros(*shape)


def _labels(*values: int) -> npnn.Tensor:
    return npnn.tensor(list(values))


# (id, call, exception, fragments the message must contain)
ERRORS: list[tuple[str, Callable[[], Any], type[Exception], tuple[str, ...]]] = [
    ("matmul_inner", lambda: _t(2, 3) @ _t(4, 5), RuntimeError, ("matmul", "(2, 3)", "(4, 5)")),
    ("matmul_vector", lambda: ops.matmul(_t(3), _t(4)), RuntimeError, ("matmul", "(3,)", "(4,)")),
    ("matmul_batch", lambda: _t(2, 3, 4) @ _t(3, 4, 5), RuntimeError,
     ("matmul", "(2, 3, 4)", "(3, 4, 5)")),
    ("matmul_0d", lambda: ops.matmul(_t(), _t(3)), RuntimeError, ("matmul", "()", "(3,)")),
    ("linear", lambda: ops.linear(_t(4, 3), _t(5, 2)), RuntimeError, ("linear", "(4, 3)", "(5, 2)")),
    ("mse_loss_shapes", lambda: ops.mse_loss(_t(3), _t(3, 1)), ValueError,
     ("mse_loss", "(3,)", "(3, 1)")),
    ("l1_loss_shapes", lambda: ops.l1_loss(_t(2, 3), _t(3, 2)), ValueError,
     ("l1_loss", "(2, 3)", "(3, 2)")),
    ("bce_shapes", lambda: ops.binary_cross_entropy(_t(4), _t(4, 1)), ValueError,
     ("binary_cross_entropy", "(4,)", "(4, 1)")),
    ("bce_logits_shapes", lambda: ops.binary_cross_entropy_with_logits(_t(2, 2), _t(4)),
     ValueError, ("binary_cross_entropy_with_logits", "(2, 2)", "(4,)")),
    ("cross_entropy_target_shape", lambda: ops.cross_entropy(_t(4, 3), _labels(0, 1)),
     ValueError, ("cross_entropy", "(4, 3)", "(2,)")),
    ("cross_entropy_prob_shape", lambda: ops.cross_entropy(_t(4, 3), _t(4, 2)), ValueError,
     ("cross_entropy", "(4, 3)", "(4, 2)")),
    ("nll_loss_target_shape", lambda: ops.nll_loss(_t(2, 3), _labels(0, 1, 2)), ValueError,
     ("nll_loss", "(2, 3)", "(3,)")),
    ("cross_entropy_target_too_big", lambda: ops.cross_entropy(_t(2, 5), _labels(1, 5)),
     IndexError, ("target 5", "5 classes")),
    ("cross_entropy_target_negative", lambda: ops.cross_entropy(_t(2, 5), _labels(-1, 0)),
     IndexError, ("target -1", "5 classes")),
    ("nll_loss_target_too_big", lambda: ops.nll_loss(_t(3, 4), _labels(0, 7, 1)), IndexError,
     ("target 7", "4 classes")),
    ("nll_loss_float_target", lambda: ops.nll_loss(_t(3, 4), _t(3)), TypeError, ("nll_loss",)),
    ("cross_entropy_0d_input", lambda: ops.cross_entropy(_t(), _labels(0)), ValueError,
     ("cross_entropy", "0-d")),
    ("reduction", lambda: ops.mse_loss(_t(2), _t(2), reduction="avg"), ValueError,
     ("mse_loss", "'avg'")),
    ("label_smoothing", lambda: ops.cross_entropy(_t(2, 3), _labels(0, 1), label_smoothing=1.5),
     ValueError, ("label_smoothing", "1.5")),
    ("bce_not_probabilities", lambda: ops.binary_cross_entropy(npnn.tensor([1.5]),
                                                               npnn.tensor([1.0])),
     ValueError, ("binary_cross_entropy", "with_logits")),
    ("reshape_count", lambda: _t(2, 3).reshape(4, 2), RuntimeError, ("reshape", "(4, 2)", "(2, 3)")),
    ("reshape_two_unknown", lambda: _t(2, 3).reshape(-1, -1), RuntimeError,
     ("reshape", "(-1, -1)", "(2, 3)")),
    ("reshape_indivisible", lambda: _t(2, 3).reshape(-1, 4), RuntimeError,
     ("reshape", "(-1, 4)", "(2, 3)")),
    ("permute_not_permutation", lambda: _t(2, 3).permute(0, 0), RuntimeError, ("permute",)),
    ("permute_out_of_range", lambda: _t(2, 3, 4).permute(0, 1, 5), IndexError,
     ("permute", "dim 5")),
    ("transpose_out_of_range", lambda: _t(2, 3).transpose(0, -3), IndexError,
     ("transpose", "dim -3")),
    ("squeeze_out_of_range", lambda: _t(2, 1, 4).squeeze(4), IndexError, ("squeeze", "dim 4")),
    ("unsqueeze_out_of_range", lambda: _t(2, 3).unsqueeze(4), IndexError, ("unsqueeze", "dim 4")),
    ("flatten_out_of_range", lambda: _t(2, 3).flatten(2), IndexError, ("flatten", "dim 2")),
    ("cat_out_of_range", lambda: ops.cat([_t(2, 3), _t(2, 3)], 2), IndexError, ("cat", "dim 2")),
    ("stack_out_of_range", lambda: ops.stack([_t(2), _t(2)], -3), IndexError, ("stack", "dim -3")),
    ("cat_shapes", lambda: ops.cat([_t(2, 3), _t(2, 4)]), RuntimeError, ("cat", "(2, 3)", "(2, 4)")),
    ("stack_shapes", lambda: ops.stack([_t(2, 3), _t(3, 2)]), RuntimeError,
     ("stack", "(2, 3)", "(3, 2)")),
    ("expand_new_dim_minus1", lambda: _t(3).expand(-1, 3), RuntimeError,
     ("expand", "(3,)", "(-1, 3)")),
    ("expand_fewer_dims", lambda: _t(2, 3).expand(3), RuntimeError, ("expand", "(2, 3)", "(3,)")),
    ("expand_incompatible", lambda: _t(2, 3).expand(4, 3), RuntimeError,
     ("expand", "(2, 3)", "(4, 3)")),
    ("cat_empty", lambda: ops.cat([]), ValueError, ("cat",)),
    ("pad_odd", lambda: ops.pad(_t(2, 3), (1, 2, 3)), RuntimeError, ("divisible by 2", "(1, 2, 3)")),
    ("clamp_no_bounds", lambda: ops.clamp(_t(2)), ValueError, ("clamp", "min", "max")),
    ("gelu_approximate", lambda: ops.gelu(_t(2), approximate="fast"), ValueError,
     ("gelu", "'fast'")),
    ("dropout_p", lambda: ops.dropout(_t(2), 1.5), ValueError, ("dropout", "1.5")),
    # float operands of different dtypes: PyTorch raises rather than silently upcast
    ("linear_dtypes", lambda: ops.linear(_t(2, 3).double(), _t(4, 3), _t(4)), RuntimeError,
     ("linear", "float64", "float32", ".float()", ".double()")),
    ("linear_module_dtypes", lambda: npnn.nn.Linear(3, 4)(_t(2, 3).double()), RuntimeError,
     ("linear", "float64", "float32")),
    ("matmul_dtypes", lambda: _t(2, 3) @ _t(3, 4).double(), RuntimeError,
     ("matmul", "float32", "float64", ".float()")),
    ("matmul_int_float", lambda: npnn.ones(2, 3, dtype=npnn.int64) @ _t(3, 2), RuntimeError,
     ("matmul", "int64", "float32")),
    ("gather_index_dims", lambda: _t(2, 3).gather(1, _labels(0, 1)), RuntimeError,
     ("gather", "(2,)", "(2, 3)")),
    ("split_sizes", lambda: _t(4).split([1, 2]), RuntimeError, ("split", "[1, 2]", "4")),
    ("norm_p", lambda: _t(3).norm(-2), ValueError, ("norm", "-2")),
    ("masked_fill_value_shape", lambda: _t(3).masked_fill(_t(3) > 0, _t(3)), RuntimeError,
     ("masked_fill", "(3,)")),
    ("t_3d", lambda: _t(2, 3, 4).t(), RuntimeError, ("t()", "3")),
]


@pytest.mark.parametrize(("call", "error", "fragments"), [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_error_names_op_and_shapes(call: Callable[[], Any], error: type[Exception],
                                   fragments: tuple[str, ...]) -> None:
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert re.search(re.escape(fragment), message), f"{fragment!r} not in {message!r}"
