"""The op table: one row per op and call pattern, shared by the finite-difference tests
(test_op_gradcheck.py) and the PyTorch comparison (test_op_torch.py).

The machinery (generators, `Arg`, `case`) is in op_case.py; more rows in op_table_more.py and op_table_fns.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from op_case import (
    CASES,
    SAME,
    TF,
    Arg,
    C,
    OpCase,
    away,
    by_name,
    case,
    const,
    distribution,
    ids,
    labels,
    nonzero,
    normal,
    positive,
    probabilities,
    small,
    spaced,
    torch,
)

import npnn
from npnn import ops

__all__ = ["CASES", "OpCase", "by_name", "ids"]


# ----- elementwise arithmetic, with broadcasting, scalars, 0-d and empty inputs -----
case("add", lambda x, y: x + y, Arg((3, 4)), Arg((3, 4)), ref=SAME)
case("add_fn", ops.add, Arg((2, 3)), Arg((2, 3)), ref=lambda x, y: torch.add(x, y))
case("add_bcast_col_row", lambda x, y: x + y, Arg((3, 1)), Arg((1, 4)), ref=SAME)
case("add_bcast_vector", lambda x, y: x + y, Arg((4,)), Arg((3, 4)), ref=SAME)
case("add_bcast_size1", lambda x, y: x + y, Arg((1, 1)), Arg((2, 3)), ref=SAME)
case("add_0d", lambda x, y: x + y, Arg(()), Arg(()), ref=SAME)
case("add_0d_bcast", lambda x, y: x + y, Arg(()), Arg((2, 3)), ref=SAME)
case("add_scalar", lambda x: x + 2.5, Arg((2, 3)), ref=SAME)
case("radd_scalar", lambda x: 2.5 + x, Arg((2, 3)), ref=SAME)
case("add_empty", lambda x, y: x + y, Arg((0, 3)), Arg((3,)), ref=SAME)
case("sub", lambda x, y: x - y, Arg((3, 4)), Arg((3, 4)), ref=SAME)
case("sub_fn", ops.sub, Arg((2, 3)), Arg((3,)), ref=lambda x, y: torch.sub(x, y))
case("sub_bcast_3d", lambda x, y: x - y, Arg((2, 1, 3)), Arg((4, 1)), ref=SAME)
case("rsub_scalar", lambda x: 2 - x, Arg((2, 3)), ref=SAME)
case("sub_only_second_grad", lambda x, y: x - y, Arg((3,), grad=False), Arg((3,)), ref=SAME)
case("mul", lambda x, y: x * y, Arg((3, 4)), Arg((3, 4)), ref=SAME)
case("mul_fn", ops.mul, Arg((2, 3)), Arg((2, 3)), ref=lambda x, y: torch.mul(x, y))
case("mul_scalar", lambda x: x * 0.5, Arg((2, 3)), ref=SAME)
case("rmul_scalar", lambda x: 3 * x, Arg((2, 3)), ref=SAME)
case("mul_bcast", lambda x, y: x * y, Arg((3, 1)), Arg((1, 4)), ref=SAME)
case("mul_self", lambda x: x * x, Arg((5,)), ref=SAME)
case("div", lambda x, y: x / y, Arg((3, 4)), Arg((3, 4), away(0.0, margin=0.5)), ref=SAME)
case("div_fn", ops.div, Arg((2, 3)), Arg((2, 3), positive), ref=lambda x, y: torch.div(x, y))
case("div_bcast", lambda x, y: x / y, Arg((3, 4)), Arg((4,), positive), ref=SAME)
case("div_scalar", lambda x: x / 3, Arg((2, 3)), ref=SAME)
case("rdiv_scalar", lambda x: 2 / x, Arg((2, 3), away(0.0, margin=0.5)), ref=SAME)
case("div_only_denominator_grad", lambda x, y: x / y, Arg((3,), grad=False),
     Arg((3,), positive), ref=SAME)
case("neg", lambda x: -x, Arg((2, 3)), ref=SAME)
case("neg_fn", ops.neg, Arg(()), ref=lambda x: torch.neg(x))
case("pow_int_scalar", lambda x: x**3, Arg((2, 3)), ref=SAME)
case("pow_float_scalar", lambda x: x**2.5, Arg((2, 3), positive), ref=SAME)
case("pow_negative_scalar", lambda x: x**-1.5, Arg((2, 3), positive), ref=SAME)
case("pow_fn", lambda x: ops.pow(x, 2), Arg((4,)), ref=lambda x: torch.pow(x, 2))
case("pow_tensor", lambda x, y: x**y, Arg((3, 4), positive), Arg((3, 4)), ref=SAME)
case("pow_tensor_bcast", lambda x, y: x**y, Arg((3, 1), positive), Arg((1, 4)), ref=SAME)
case("rpow_scalar", lambda x: 2**x, Arg((2, 3)), ref=SAME)
case("rpow_float_scalar", lambda x: 0.7**x, Arg((2, 3)), ref=SAME)
case("exp", ops.exp, Arg((2, 3)), ref=lambda x: torch.exp(x))
case("exp_method_0d", lambda x: x.exp(), Arg(()), ref=SAME)
case("log", ops.log, Arg((2, 3), positive), ref=lambda x: torch.log(x))
case("sqrt", ops.sqrt, Arg((2, 3), positive), ref=lambda x: torch.sqrt(x))
case("abs", ops.abs, Arg((2, 3), nonzero), ref=lambda x: torch.abs(x))
case("abs_builtin", lambda x: abs(x), Arg((4,), nonzero), ref=SAME)
case("clamp_min", lambda x: ops.clamp(x, min=-0.3), Arg((3, 4), away(-0.3)),
     ref=lambda x: torch.clamp(x, min=-0.3))
case("clamp_max", lambda x: ops.clamp(x, max=0.4), Arg((3, 4), away(0.4)),
     ref=lambda x: torch.clamp(x, max=0.4))
case("clamp_both", lambda x: x.clamp(-0.3, 0.4), Arg((3, 4), away(-0.3, 0.4)), ref=SAME)
case("clip_fn", lambda x: ops.clip(x, -0.5, 0.5), Arg((3, 4), away(-0.5, 0.5)),
     ref=lambda x: torch.clip(x, -0.5, 0.5))
case("maximum", ops.maximum, Arg((3, 4), spaced), Arg((3, 4), spaced),
     ref=lambda x, y: torch.maximum(x, y))
case("maximum_bcast", ops.maximum, Arg((3, 1), spaced), Arg((1, 4), spaced),
     ref=lambda x, y: torch.maximum(x, y))
case("maximum_scalar", lambda x: ops.maximum(x, 0.2), Arg((3, 4), away(0.2)),
     ref=lambda x: torch.maximum(x, torch.tensor(0.2, dtype=x.dtype)))
case("maximum_self_tie", lambda x: ops.maximum(x, x), Arg((4,)),
     ref=lambda x: torch.maximum(x, x))
case("minimum", ops.minimum, Arg((3, 4), spaced), Arg((3, 4), spaced),
     ref=lambda x, y: torch.minimum(x, y))
case("minimum_bcast", lambda x, y: x.minimum(y), Arg((2, 3, 1), spaced), Arg((4,), spaced),
     ref=lambda x, y: torch.minimum(x, y))
case("minimum_self_tie", lambda x: ops.minimum(x, x), Arg((2, 2)),
     ref=lambda x: torch.minimum(x, x))
MASK_3x4 = np.array([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 1]], dtype=bool)
case("where", ops.where, C(MASK_3x4), Arg((3, 4)), Arg((3, 4)),
     ref=lambda c, x, y: torch.where(c, x, y))
case("where_bcast", ops.where, C(MASK_3x4[:, :1]), Arg((3, 4)), Arg((4,)),
     ref=lambda c, x, y: torch.where(c, x, y))
case("where_scalar_other", lambda c, x: ops.where(c, x, 0.0), C(MASK_3x4), Arg((3, 4)),
     ref=lambda c, x: torch.where(c, x, 0.0))

# ----- matmul: 1-D and 2-D operands, batched with broadcasting, empty -----
for a_shape, b_shape in [
    ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 3), (3, 4)), ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((3, 4), (2, 4, 5)),
    ((0, 3), (3, 2)), ((1, 1), (1, 1)),
]:
    label = "x".join(map(str, a_shape)) + "@" + "x".join(map(str, b_shape))
    case(f"matmul_{label}", lambda x, y: x @ y, Arg(a_shape), Arg(b_shape), ref=SAME)
case("matmul_fn", ops.matmul, Arg((2, 3)), Arg((3, 2)), ref=lambda x, y: torch.matmul(x, y))
case("matmul_only_right_grad", lambda x, y: x @ y, Arg((2, 3), grad=False), Arg((3, 4)),
     ref=SAME)


# ----- reductions over dim=None / int / negative / tuple, keepdim both ways -----
def _all_dims(x: Any, dim: Any) -> Any:
    return tuple(range(x.ndim)) if dim is None else dim


def _reduction(op: str, dim: Any, keepdim: bool, **kwargs: Any) -> tuple[Callable, Callable]:
    def ours(x: npnn.Tensor) -> npnn.Tensor:
        return getattr(ops, op)(x, dim, keepdim, **kwargs)

    def ref(x: Any) -> Any:
        return getattr(torch, op)(x, _all_dims(x, dim), keepdim=keepdim, **kwargs)

    return ours, ref


for op in ("sum", "mean", "var", "std", "amax", "amin"):
    gen = spaced if op in ("amax", "amin") else normal
    for dim in (None, 1, -1, (0, 2), (-1, 0)):
        for keepdim in (False, True):
            ours, ref = _reduction(op, dim, keepdim)
            dim_label = "all" if dim is None else str(dim).replace(" ", "")
            case(f"{op}_dim{dim_label}_keep{int(keepdim)}", ours, Arg((2, 3, 4), gen), ref=ref)
    case(f"{op}_numpy_axis_keepdims", lambda x, op=op: getattr(x, op)(axis=-1, keepdims=True),
         Arg((2, 3, 4), gen), ref=lambda x, op=op: getattr(x, op)(dim=-1, keepdim=True))
    case(f"{op}_numpy_axis_tuple", lambda x, op=op: getattr(ops, op)(x, axis=(0, 1)),
         Arg((2, 3, 4), gen), ref=lambda x, op=op: getattr(torch, op)(x, dim=(0, 1)))
    if op not in ("var", "std"):  # one sample has no variance: nan, see test_op_numerics
        case(f"{op}_method_size1_axis", lambda x, op=op: getattr(x, op)(1), Arg((3, 1, 2), gen),
             ref=lambda x, op=op: getattr(x, op)(1))
case("sum_0d", ops.sum, Arg(()), ref=lambda x: torch.sum(x))
case("sum_empty_rows", lambda x: x.sum(0), Arg((0, 3)), ref=SAME)
case("sum_empty_all", lambda x: x.sum(), Arg((0, 3)), ref=SAME)
case("mean_empty_rows_dim1", lambda x: x.mean(1), Arg((0, 3)), ref=SAME)
case("var_correction0", lambda x: x.var(1, correction=0), Arg((3, 4)), ref=SAME)
case("var_unbiased_false", lambda x: ops.var(x, unbiased=False), Arg((3, 4)),
     ref=lambda x: torch.var(x, unbiased=False))
case("std_correction0_keepdim", lambda x: x.std(0, True, correction=0), Arg((3, 4)),
     ref=lambda x: x.std(0, keepdim=True, correction=0))
case("amax_0d", ops.amax, Arg(()), ref=lambda x: torch.amax(x, ()))
TIES = [[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]]
case("amax_ties_split", lambda x: ops.amax(x, 1), Arg((2, 3), const(TIES)),
     ref=lambda x: torch.amax(x, 1), smooth=False)
case("amin_ties_split", lambda x: ops.amin(x), Arg((2, 3), const([[1.0, 1.0, 3.0], [1.0, 2.0, 1.0]])),
     ref=lambda x: torch.amin(x, (0, 1)), smooth=False)
for op in ("max", "min"):
    for dim in (1, -1, 0):
        for keepdim in (False, True):
            case(f"{op}_dim{dim}_keep{int(keepdim)}",
                 lambda x, op=op, dim=dim, k=keepdim: getattr(ops, op)(x, dim, k).values,
                 Arg((2, 3, 4), spaced),
                 ref=lambda x, op=op, dim=dim, k=keepdim: getattr(torch, op)(x, dim, k).values)
    case(f"{op}_all", getattr(ops, op), Arg((3, 4), spaced),
         ref=lambda x, op=op: getattr(torch, op)(x))
    case(f"{op}_method_numpy_style", lambda x, op=op: getattr(x, op)(axis=0, keepdims=True)[0],
         Arg((3, 4), spaced), ref=lambda x, op=op: getattr(x, op)(0, True)[0])

# ----- shape ops -----
case("reshape", lambda x: x.reshape(4, 6), Arg((2, 3, 4)), ref=SAME)
case("reshape_tuple_minus1", lambda x: ops.reshape(x, (3, -1)), Arg((2, 3, 4)),
     ref=lambda x: torch.reshape(x, (3, -1)))
case("reshape_flat", lambda x: x.reshape(-1), Arg((2, 3)), ref=SAME)
case("reshape_0d_to_1x1", lambda x: x.reshape(1, 1), Arg(()), ref=SAME)
case("reshape_empty", lambda x: x.reshape(-1, 2), Arg((0, 4)), ref=SAME)
case("view", lambda x: x.view(3, 2, 4), Arg((2, 3, 4)), ref=SAME)
case("transpose", lambda x: x.transpose(0, 2), Arg((2, 3, 4)), ref=SAME)
case("transpose_negative", lambda x: ops.transpose(x, -1, -2), Arg((2, 3, 4)),
     ref=lambda x: torch.transpose(x, -1, -2))
case("permute", lambda x: x.permute(2, 0, 1), Arg((2, 3, 4)), ref=SAME)
case("permute_tuple_negative", lambda x: ops.permute(x, (-1, 0, -2)), Arg((2, 3, 4)),
     ref=lambda x: torch.permute(x, (-1, 0, -2)))
case("T_2d", lambda x: x.T, Arg((2, 3)), ref=SAME)
case("T_3d", lambda x: x.T, Arg((2, 3, 4)), ref=lambda x: x.permute(2, 1, 0))
case("mT", lambda x: x.mT, Arg((2, 3, 4)), ref=SAME)
case("flatten", ops.flatten, Arg((2, 3, 4)), ref=lambda x: torch.flatten(x))
case("flatten_start1", lambda x: x.flatten(1), Arg((2, 3, 4)), ref=SAME)
case("flatten_middle", lambda x: x.flatten(1, 2), Arg((2, 3, 4, 2)), ref=SAME)
case("flatten_0d", lambda x: x.flatten(), Arg(()), ref=SAME)
case("squeeze_all", lambda x: x.squeeze(), Arg((1, 3, 1, 2)), ref=SAME)
case("squeeze_dim", lambda x: ops.squeeze(x, 2), Arg((1, 3, 1, 2)),
     ref=lambda x: torch.squeeze(x, 2))
case("squeeze_dims_tuple", lambda x: x.squeeze((0, -2)), Arg((1, 3, 1, 2)), ref=SAME)
case("squeeze_non1_noop", lambda x: x.squeeze(1), Arg((1, 3, 1, 2)), ref=SAME)
case("unsqueeze_0", lambda x: x.unsqueeze(0), Arg((2, 3)), ref=SAME)
case("unsqueeze_last", lambda x: ops.unsqueeze(x, -1), Arg((2, 3)),
     ref=lambda x: torch.unsqueeze(x, -1))
case("unsqueeze_middle", lambda x: x.unsqueeze(1), Arg((2, 3)), ref=SAME)
case("expand", lambda x: x.expand(3, 4), Arg((3, 1)), ref=SAME)
case("expand_new_dims", lambda x: ops.expand(x, (2, 3, 4)), Arg((4,)),
     ref=lambda x: x.expand(2, 3, 4))
case("expand_minus1", lambda x: x.expand(2, -1, 5), Arg((3, 1)), ref=SAME)
case("getitem_int", lambda x: x[1], Arg((3, 4)), ref=SAME)
case("getitem_int_pair_0d", lambda x: x[1, 2], Arg((3, 4)), ref=SAME)
case("getitem_slices", lambda x: x[-1, 1:3], Arg((2, 3, 4)), ref=SAME)
case("getitem_step_none", lambda x: x[:, None, ::2], Arg((3, 4)), ref=SAME)
case("getitem_ellipsis", lambda x: x[..., 1], Arg((2, 3, 4)), ref=SAME)
case("getitem_ellipsis_none", lambda x: x[1:, ..., None], Arg((2, 3, 4)), ref=SAME)
case("getitem_int_array_repeats", lambda x, i: x[i], Arg((4, 3)), C([0, 2, 2, 3, 0, 2]),
     ref=SAME)
case("getitem_list_repeats", lambda x: x[[1, 1, 0]], Arg((3, 2)), ref=SAME)
case("getitem_int_array_columns", lambda x, i: x[:, i], Arg((3, 4)), C([3, 0, 3]), ref=SAME)
case("getitem_int_array_pair", lambda x, i, j: x[i, j], Arg((3, 4)), C([0, 2, 0, 0]),
     C([1, 3, 1, 1]), ref=SAME)
case("getitem_int_array_2d", lambda x, i: x[i], Arg((4, 2)), C([[0, 1], [1, 1]]), ref=SAME)
case("getitem_bool_mask", lambda x, m: x[m], Arg((3, 4)), C(MASK_3x4), ref=SAME)
case("getitem_bool_rows", lambda x, m: x[m], Arg((3, 4)), C([True, False, True]), ref=SAME)
case("getitem_bool_columns", lambda x, m: x[:, m], Arg((3, 4)), C(MASK_3x4[0]), ref=SAME)
case("getitem_bool_tensor_compare", lambda x: x[x > 0.2], Arg((3, 4), away(0.2)), ref=SAME)
case("getitem_negative_step", lambda x: x[::-1], Arg((3, 2)),
     ref=lambda x: torch.flip(x, (0,)))
case("cat", lambda x, y: ops.cat([x, y]), Arg((2, 3)), Arg((4, 3)),
     ref=lambda x, y: torch.cat([x, y]))
case("cat_last_dim_three", lambda x, y, z: ops.cat([x, y, z], dim=-1), Arg((2, 1)),
     Arg((2, 3)), Arg((2, 2)), ref=lambda x, y, z: torch.cat([x, y, z], dim=-1))
case("cat_same_tensor_twice", lambda x: ops.cat((x, x), 1), Arg((2, 3)),
     ref=lambda x: torch.cat((x, x), 1))
case("cat_with_constant", lambda x, y: ops.cat([x, y], 0), Arg((1, 3)), Arg((2, 3), grad=False),
     ref=lambda x, y: torch.cat([x, y], 0))
case("stack", lambda x, y: ops.stack([x, y]), Arg((2, 3)), Arg((2, 3)),
     ref=lambda x, y: torch.stack([x, y]))
case("stack_last", lambda x, y, z: ops.stack([x, y, z], -1), Arg((2, 3)), Arg((2, 3)),
     Arg((2, 3)), ref=lambda x, y, z: torch.stack([x, y, z], -1))
case("stack_middle_0d_parts", lambda x, y: ops.stack([x, y], 0), Arg(()), Arg(()),
     ref=lambda x, y: torch.stack([x, y], 0))
case("pad_last", lambda x: ops.pad(x, (1, 2)), Arg((2, 3)), ref=lambda x: TF.pad(x, (1, 2)))
case("pad_two_dims_value", lambda x: ops.pad(x, (1, 0, 2, 1), value=0.5), Arg((2, 3, 2)),
     ref=lambda x: TF.pad(x, (1, 0, 2, 1), value=0.5))
case("pad_three_dims", lambda x: ops.pad(x, (0, 1, 1, 0, 1, 1)), Arg((1, 2, 2)),
     ref=lambda x: TF.pad(x, (0, 1, 1, 0, 1, 1)))

# ----- activations -----
case("relu", ops.relu, Arg((3, 4), nonzero), ref=lambda x: torch.relu(x))
case("relu_method_0d", lambda x: x.relu(), Arg((), nonzero), ref=SAME)
case("leaky_relu", ops.leaky_relu, Arg((3, 4), nonzero), ref=lambda x: TF.leaky_relu(x))
case("leaky_relu_slope", lambda x: ops.leaky_relu(x, 0.2), Arg((3, 4), nonzero),
     ref=lambda x: TF.leaky_relu(x, 0.2))
case("elu", ops.elu, Arg((3, 4), nonzero), ref=lambda x: TF.elu(x))
case("elu_alpha", lambda x: ops.elu(x, alpha=0.5), Arg((3, 4), nonzero),
     ref=lambda x: TF.elu(x, alpha=0.5))
case("gelu", ops.gelu, Arg((3, 4)), ref=lambda x: TF.gelu(x))
case("gelu_0d", ops.gelu, Arg(()), ref=lambda x: TF.gelu(x))
case("gelu_tanh", lambda x: ops.gelu(x, approximate="tanh"), Arg((3, 4)),
     ref=lambda x: TF.gelu(x, approximate="tanh"))
case("sigmoid", ops.sigmoid, Arg((3, 4)), ref=lambda x: torch.sigmoid(x))
case("sigmoid_wide", lambda x: (x * 8).sigmoid(), Arg((3, 4)), ref=SAME)
case("tanh", ops.tanh, Arg((3, 4)), ref=lambda x: torch.tanh(x))
case("tanh_method", lambda x: x.tanh(), Arg((5,)), ref=SAME)
for name, fn in (("softmax", ops.softmax), ("log_softmax", ops.log_softmax)):
    for dim in (-1, 0, 1):
        case(f"{name}_dim{dim}", lambda x, fn=fn, dim=dim: fn(x, dim), Arg((2, 3, 4)),
             ref=lambda x, name=name, dim=dim: getattr(torch, name)(x, dim))
    case(f"{name}_1d", lambda x, fn=fn: fn(x, 0), Arg((5,)),
         ref=lambda x, name=name: getattr(torch, name)(x, 0))
    case(f"{name}_size1_dim", lambda x, fn=fn: fn(x, 1), Arg((3, 1)),
         ref=lambda x, name=name: getattr(torch, name)(x, 1))
    case(f"{name}_empty_batch", lambda x, fn=fn: fn(x, 1), Arg((0, 5)),
         ref=lambda x, name=name: getattr(torch, name)(x, 1))
    case(f"{name}_empty_reduced_dim", lambda x, fn=fn: fn(x, 0), Arg((0, 5)),
         ref=lambda x, name=name: getattr(torch, name)(x, 0))
    case(f"{name}_method", lambda x, name=name: getattr(x, name)(-1), Arg((2, 4)), ref=SAME)

# ----- linear -----
case("linear", ops.linear, Arg((4, 3)), Arg((5, 3)), Arg((5,)), ref=lambda x, w, b: TF.linear(x, w, b))
case("linear_no_bias", ops.linear, Arg((4, 3)), Arg((5, 3)), ref=lambda x, w: TF.linear(x, w))
case("linear_1d", ops.linear, Arg((3,)), Arg((2, 3)), Arg((2,)),
     ref=lambda x, w, b: TF.linear(x, w, b))
case("linear_3d", ops.linear, Arg((2, 4, 3)), Arg((5, 3)), Arg((5,)),
     ref=lambda x, w, b: TF.linear(x, w, b))
case("linear_3d_no_bias", ops.linear, Arg((2, 2, 3)), Arg((4, 3)),
     ref=lambda x, w: TF.linear(x, w))
case("linear_empty_batch", ops.linear, Arg((0, 3)), Arg((2, 3)), Arg((2,)),
     ref=lambda x, w, b: TF.linear(x, w, b))
case("linear_constant_input", ops.linear, Arg((4, 3), grad=False), Arg((5, 3)), Arg((5,)),
     ref=lambda x, w, b: TF.linear(x, w, b))


# ----- dropout: reseeded before every call, so finite differences see one mask -----
def _seeded_dropout(p: float) -> Callable[[npnn.Tensor], npnn.Tensor]:
    def fn(x: npnn.Tensor) -> npnn.Tensor:
        npnn.manual_seed(1234)
        return ops.dropout(x, p)

    return fn


case("dropout", _seeded_dropout(0.3), Arg((4, 5)))
case("dropout_half_3d", _seeded_dropout(0.5), Arg((2, 3, 4)))
case("dropout_eval", lambda x: ops.dropout(x, 0.5, training=False), Arg((3,)),
     ref=lambda x: TF.dropout(x, 0.5, training=False))

# ----- losses -----
N, K = 4, 5  # batch, classes
WEIGHT = np.array([0.5, 1.0, 2.0, 1.5, 0.25])
case("cross_entropy", ops.cross_entropy, Arg((N, K)), Arg((N,), labels(K)),
     ref=lambda x, t: TF.cross_entropy(x, t))
for reduction in ("sum", "none"):
    case(f"cross_entropy_{reduction}",
         lambda x, t, r=reduction: ops.cross_entropy(x, t, reduction=r),
         Arg((N, K)), Arg((N,), labels(K)),
         ref=lambda x, t, r=reduction: TF.cross_entropy(x, t, reduction=r))
case("cross_entropy_weight", lambda x, t, w: ops.cross_entropy(x, t, weight=w),
     Arg((N, K)), Arg((N,), labels(K)), C(WEIGHT),
     ref=lambda x, t, w: TF.cross_entropy(x, t, weight=w))
case("cross_entropy_weight_none", lambda x, t, w: ops.cross_entropy(x, t, w, reduction="none"),
     Arg((N, K)), Arg((N,), labels(K)), C(WEIGHT),
     ref=lambda x, t, w: TF.cross_entropy(x, t, w, reduction="none"))
case("cross_entropy_ignore_default", ops.cross_entropy, Arg((N, K)),
     Arg((N,), labels(K, ignore=-100)), ref=lambda x, t: TF.cross_entropy(x, t))
case("cross_entropy_ignore_index",
     lambda x, t, w: ops.cross_entropy(x, t, weight=w, ignore_index=2),
     Arg((6, K)), C([2, 0, 2, 4, 1, 3]), C(WEIGHT),
     ref=lambda x, t, w: TF.cross_entropy(x, t, weight=w, ignore_index=2))
case("cross_entropy_label_smoothing", lambda x, t: ops.cross_entropy(x, t, label_smoothing=0.1),
     Arg((N, K)), Arg((N,), labels(K)),
     ref=lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.1))
case("cross_entropy_smoothing_weight_ignore",
     lambda x, t, w: ops.cross_entropy(x, t, w, ignore_index=-100, label_smoothing=0.2),
     Arg((N, K)), Arg((N,), labels(K, ignore=-100)), C(WEIGHT),
     ref=lambda x, t, w: TF.cross_entropy(x, t, w, label_smoothing=0.2))
case("cross_entropy_smoothing_sum",
     lambda x, t: ops.cross_entropy(x, t, reduction="sum", label_smoothing=0.3),
     Arg((N, K)), Arg((N,), labels(K)),
     ref=lambda x, t: TF.cross_entropy(x, t, reduction="sum", label_smoothing=0.3))
case("cross_entropy_probs", ops.cross_entropy, Arg((N, K)),
     Arg((N, K), distribution(1), grad=False), ref=lambda x, t: TF.cross_entropy(x, t))
case("cross_entropy_probs_weight_smoothing_none",
     lambda x, t, w: ops.cross_entropy(x, t, w, reduction="none", label_smoothing=0.1),
     Arg((N, K)), Arg((N, K), distribution(1), grad=False), C(WEIGHT),
     ref=lambda x, t, w: TF.cross_entropy(x, t, w, reduction="none", label_smoothing=0.1))
case("cross_entropy_probs_sum", lambda x, t: ops.cross_entropy(x, t, reduction="sum"),
     Arg((N, K)), Arg((N, K), distribution(1), grad=False),
     ref=lambda x, t: TF.cross_entropy(x, t, reduction="sum"))
case("cross_entropy_ncd", ops.cross_entropy, Arg((2, K, 3)), Arg((2, 3), labels(K)),
     ref=lambda x, t: TF.cross_entropy(x, t))
case("cross_entropy_ncd_none_weight",
     lambda x, t, w: ops.cross_entropy(x, t, w, reduction="none"),
     Arg((2, K, 3)), Arg((2, 3), labels(K)), C(WEIGHT),
     ref=lambda x, t, w: TF.cross_entropy(x, t, w, reduction="none"))
case("cross_entropy_ncdd_smoothing",
     lambda x, t: ops.cross_entropy(x, t, label_smoothing=0.1),
     Arg((2, 3, 2, 2)), Arg((2, 2, 2), labels(3)),
     ref=lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.1))
case("cross_entropy_ncd_probs", ops.cross_entropy, Arg((2, K, 3)),
     Arg((2, K, 3), distribution(1), grad=False), ref=lambda x, t: TF.cross_entropy(x, t))
case("cross_entropy_1d", ops.cross_entropy, Arg((K,)), C(3),
     ref=lambda x, t: TF.cross_entropy(x, t))
case("cross_entropy_1d_probs", ops.cross_entropy, Arg((K,)),
     Arg((K,), distribution(0), grad=False), ref=lambda x, t: TF.cross_entropy(x, t))
case("cross_entropy_empty_batch_sum", lambda x, t: ops.cross_entropy(x, t, reduction="sum"),
     Arg((0, K)), Arg((0,), labels(K)),
     ref=lambda x, t: TF.cross_entropy(x, t, reduction="sum"))
case("nll_loss", ops.nll_loss, Arg((N, K)), Arg((N,), labels(K)),
     ref=lambda x, t: TF.nll_loss(x, t))
case("nll_loss_of_log_softmax", lambda x, t: ops.nll_loss(ops.log_softmax(x, 1), t),
     Arg((N, K)), Arg((N,), labels(K)), ref=lambda x, t: TF.nll_loss(TF.log_softmax(x, 1), t))
case("nll_loss_weight_ignore",
     lambda x, t, w: ops.nll_loss(x, t, weight=w, ignore_index=1),
     Arg((6, K)), C([1, 0, 4, 1, 2, 3]), C(WEIGHT),
     ref=lambda x, t, w: TF.nll_loss(x, t, weight=w, ignore_index=1))
case("nll_loss_sum", lambda x, t: ops.nll_loss(x, t, reduction="sum"), Arg((N, K)),
     Arg((N,), labels(K)), ref=lambda x, t: TF.nll_loss(x, t, reduction="sum"))
case("smoothed_nll_loss_of_log_softmax",
     lambda x, t: ops.smoothed_nll_loss(ops.log_softmax(x, 1), t, label_smoothing=0.1),
     Arg((N, K)), Arg((N,), labels(K)),
     ref=lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.1))
case("smoothed_nll_loss_sum", lambda x, t: ops.smoothed_nll_loss(x, t, 0.3, reduction="sum"),
     Arg((N, K)), Arg((N,), labels(K)),
     ref=lambda x, t: 0.7 * TF.nll_loss(x, t, reduction="sum") - 0.3 * x.mean(1).sum())
case("nll_loss_ncd_none", lambda x, t: ops.nll_loss(x, t, reduction="none"), Arg((2, K, 3)),
     Arg((2, 3), labels(K)), ref=lambda x, t: TF.nll_loss(x, t, reduction="none"))
for reduction in ("mean", "sum", "none"):
    case(f"mse_loss_{reduction}", lambda x, y, r=reduction: ops.mse_loss(x, y, reduction=r),
         Arg((3, 4)), Arg((3, 4)), ref=lambda x, y, r=reduction: TF.mse_loss(x, y, reduction=r))
    case(f"l1_loss_{reduction}", lambda x, y, r=reduction: ops.l1_loss(x, y, reduction=r),
         Arg((3, 4), nonzero), Arg((3, 4), small),
         ref=lambda x, y, r=reduction: TF.l1_loss(x, y, reduction=r))
case("mse_loss_0d", ops.mse_loss, Arg(()), Arg(()), ref=lambda x, y: TF.mse_loss(x, y))
case("mse_loss_empty_sum", lambda x, y: ops.mse_loss(x, y, reduction="sum"), Arg((0, 3)),
     Arg((0, 3)), ref=lambda x, y: TF.mse_loss(x, y, reduction="sum"))
for reduction in ("mean", "sum", "none"):
    case(f"binary_cross_entropy_{reduction}",
         lambda p, t, r=reduction: ops.binary_cross_entropy(p, t, reduction=r),
         Arg((3, 4), probabilities), Arg((3, 4), probabilities, grad=False),
         ref=lambda p, t, r=reduction: TF.binary_cross_entropy(p, t, reduction=r))
    case(f"bce_with_logits_{reduction}",
         lambda x, t, r=reduction: ops.binary_cross_entropy_with_logits(x, t, reduction=r),
         Arg((3, 4)), Arg((3, 4), probabilities, grad=False),
         ref=lambda x, t, r=reduction: TF.binary_cross_entropy_with_logits(x, t, reduction=r))
case("binary_cross_entropy_weight",
     lambda p, t, w: ops.binary_cross_entropy(p, t, weight=w),
     Arg((3, 4), probabilities), Arg((3, 4), probabilities, grad=False),
     Arg((4,), positive, grad=False),
     ref=lambda p, t, w: TF.binary_cross_entropy(p, t, weight=w))
case("binary_cross_entropy_hard_targets", ops.binary_cross_entropy,
     Arg((2, 3), probabilities), C([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]),
     ref=lambda p, t: TF.binary_cross_entropy(p, t))
case("bce_with_logits_weight",
     lambda x, t, w: ops.binary_cross_entropy_with_logits(x, t, weight=w),
     Arg((3, 4)), Arg((3, 4), probabilities, grad=False), Arg((3, 1), positive, grad=False),
     ref=lambda x, t, w: TF.binary_cross_entropy_with_logits(x, t, weight=w))
case("bce_with_logits_pos_weight",
     lambda x, t, pw: ops.binary_cross_entropy_with_logits(x, t, pos_weight=pw),
     Arg((3, 4)), Arg((3, 4), probabilities, grad=False), Arg((4,), positive, grad=False),
     ref=lambda x, t, pw: TF.binary_cross_entropy_with_logits(x, t, pos_weight=pw))
case("bce_with_logits_weight_pos_weight_sum",
     lambda x, t, w, pw: ops.binary_cross_entropy_with_logits(x, t, w, "sum", pw),
     Arg((3, 4), lambda rng, s: 4 * rng.standard_normal(s)),
     Arg((3, 4), probabilities, grad=False), Arg((3, 4), positive, grad=False),
     Arg((4,), positive, grad=False),
     ref=lambda x, t, w, pw: TF.binary_cross_entropy_with_logits(
         x, t, w, reduction="sum", pos_weight=pw))
case("bce_with_logits_1d_hard_targets", ops.binary_cross_entropy_with_logits,
     Arg((5,)), C([0.0, 1.0, 1.0, 0.0, 1.0]),
     ref=lambda x, t: TF.binary_cross_entropy_with_logits(x, t))

# ----- composites chained, so gradients add up across nodes -----
case("chain_mlp_ce",
     lambda x, w, b, t: ops.cross_entropy(ops.relu(ops.linear(x, w, b)) * 2 - 1, t),
     Arg((4, 3)), Arg((5, 3)), Arg((5,)), Arg((4,), labels(5)),
     ref=lambda x, w, b, t: TF.cross_entropy(torch.relu(TF.linear(x, w, b)) * 2 - 1, t))
case("chain_reuse", lambda x: (x * x.exp()).sum(1) / x.var(), Arg((3, 4)), ref=SAME)

import op_table_extra  # noqa: E402, F401  (the rarer functions of users' boilerplate)
import op_table_fns  # noqa: E402, F401  (the PyTorch functions added for users' code)
import op_table_linalg  # noqa: E402, F401  (npnn.linalg: solves, decompositions, norms)
import op_table_losses  # noqa: E402, F401  (margin, ranking, likelihood and CTC losses)
import op_table_more  # noqa: E402, F401  (registers the rest of the rows)
import op_table_padding  # noqa: E402, F401  (F.pad modes, conv padding="same")
import op_table_spatial  # noqa: E402, F401  (conv_transpose2d, interpolate, group norm, 1-D ops)
import op_table_tensor_api  # noqa: E402, F401  (sin/cos/tan, rsqrt, addcmul, in-place forms)
import op_table_vision  # noqa: E402, F401  (grid_sample, affine_grid, pixel shuffle, unfold, pools)

# ----- scatter: the gradient reaches input where nothing was written and src where it was read -----
case("scatter_dim1_src", lambda x, i, s: ops.scatter(x, 1, i, s), Arg((3, 4)), C([[0, 2], [3, 1], [2, 0]]),
     Arg((3, 2)), ref=lambda x, i, s: torch.scatter(x, 1, i, s))
case("scatter_dim0_larger_src", lambda x, i, s: x.scatter(0, i, s), Arg((3, 4)),
     C([[2, 0, 1, 1], [0, 1, 2, 0]]), Arg((3, 5)),
     ref=lambda x, i, s: x.scatter(0, i, s[:2, :4]))  # torch's backward fails for a larger src
case("scatter_value", lambda x, i: ops.scatter(x, 1, i, value=0.5), Arg((3, 4)), C([[1], [0], [3]]),
     ref=lambda x, i: torch.scatter(x, 1, i, value=0.5))
case("scatter_0d_src_dim_minus1", lambda x, i, s: ops.scatter(x, -1, i, s), Arg((2, 3)), C([[2], [0]]),
     Arg(()), ref=lambda x, i, s: torch.scatter(x, -1, i, s.expand(2, 1)))
case("scatter_1d_0d_index", lambda x: npnn.scatter(x, 0, npnn.tensor(3), value=1.0), Arg((5,)),
     ref=lambda x: torch.scatter(x, 0, torch.tensor([3]), value=1.0))

# ----- sort, topk, unbind, repeat (composites of gather, indexing, expand, reshape) -----
case("sort_values", lambda x: ops.sort(x, 1).values, Arg((3, 4), spaced),
     ref=lambda x: torch.sort(x, 1).values)
case("sort_descending_dim0", lambda x: x.sort(0, descending=True)[0], Arg((4, 3), spaced), ref=SAME)
case("topk_largest", lambda x: ops.topk(x, 2).values, Arg((3, 5), spaced),
     ref=lambda x: torch.topk(x, 2).values)
case("topk_smallest_dim0", lambda x: x.topk(2, dim=0, largest=False).values, Arg((4, 3), spaced),
     ref=SAME)
case("unbind_dim1", lambda x: ops.unbind(x, 1)[2] * 2 + ops.unbind(x, 1)[0], Arg((3, 4)),
     ref=lambda x: torch.unbind(x, 1)[2] * 2 + torch.unbind(x, 1)[0])
case("repeat_2d", lambda x: x.repeat(2, 3), Arg((2, 3)), ref=SAME)
case("repeat_new_dims", lambda x: x.repeat(2, 1, 2), Arg((3,)), ref=SAME)
