"""More op-table rows (registered by op_table.py): pow's fast exponents and its gradients
at 0, PyTorch's dtype promotion with 0-d tensors, reductions over dim=(), the binary
max/min, the fused sum of squares, the class-index fast path of cross-entropy, GELU tails,
the smaller PyTorch API (square, log1p, norm, masked_fill, gather, split, chunk, t), and the
activations and losses added for PyTorch users (relu6 ... prelu, smooth L1, Huber, KL)."""

from __future__ import annotations

from op_case import (
    SAME,
    TF,
    Arg,
    C,
    away,
    case,
    const,
    distribution,
    labels,
    normal,
    positive,
    small,
    spaced,
    torch,
)

import npnn
from npnn import ops

# ----- pow: constant scalar exponents with a fast form; gradients where the base or exponent is 0 -----
for exponent, gen in ((1, normal), (2, normal), (3, normal), (2.0, normal), (0.5, positive),
                      (-1, away(0.0, margin=0.3)), (-1.0, positive)):
    label = str(exponent).replace("-", "minus").replace(".", "_")
    case(f"pow_fast_{label}", lambda x, e=exponent: x**e, Arg((3, 4), gen), ref=SAME)
    case(f"pow_fast_{label}_0d_tensor_exponent",
         lambda x, e=exponent: x ** npnn.tensor(e, dtype=x.dtype), Arg((2, 3), gen),
         ref=lambda x, e=exponent: x ** torch.tensor(e, dtype=x.dtype))
case("pow_0d_exponent_needs_grad", lambda x, e: x**e, Arg((3,), positive), Arg(()), ref=SAME)
case("pow_zero_exponent_at_zero", lambda x: x**0, Arg((4,), const([0.0, 1.5, -2.0, 0.0])), ref=SAME)
case("pow_zero_tensor_exponent_at_zero", lambda x, e: x**e, Arg((3,), const([0.0, 0.0, 2.0])),
     C([0.0, 1.0, 0.0]), ref=SAME)
case("rpow_zero_base", lambda e: 0.0**e, Arg((2, 3), positive), ref=SAME)
case("pow_zero_base_tensor", lambda x, e: x**e, C([0.0, 1.5, 0.0]), Arg((3,), positive), ref=SAME)
case("square", ops.square, Arg((2, 3)), ref=lambda x: torch.square(x))
case("square_method", lambda x: x.square(), Arg((4,)), ref=SAME)

# ----- dtype promotion: a 0-d tensor never raises the dtype of a dimensioned one of its kind -----
case("mul_0d_float64_constant", lambda x: x * npnn.tensor(2.0, dtype=npnn.float64), Arg((3,)),
     ref=lambda x: x * torch.tensor(2.0, dtype=torch.float64))
case("where_0d_float64_branch", lambda x: ops.where(x > 0, x, npnn.tensor(0.5, dtype=npnn.float64)),
     Arg((3, 4), away(0.0)), ref=lambda x: torch.where(x > 0, x, torch.tensor(0.5, dtype=torch.float64)))
case("int64_dims_times_0d_float", lambda x: npnn.arange(3) * x, Arg(()),
     ref=lambda x: torch.arange(3) * x)

# ----- reductions over dim=() (all dims, as PyTorch) and the binary forms of max/min -----
# the reference names the dims: torch's own var/std backward with dim=() gives inf (a torch bug)
for op in ("sum", "mean", "var", "std", "amax", "amin"):
    for keepdim in (False, True):
        case(f"{op}_dim_empty_keep{int(keepdim)}",
             lambda x, op=op, k=keepdim: getattr(ops, op)(x, (), k),
             Arg((2, 3, 4), spaced if op in ("amax", "amin") else normal),
             ref=lambda x, op=op, k=keepdim: getattr(torch, op)(x, (0, 1, 2), keepdim=k))
case("sum_dim_empty_list_method", lambda x: x.sum([]), Arg((2, 3)), ref=SAME)
case("max_binary", lambda x, y: ops.max(x, y), Arg((3, 4), spaced), Arg((3, 4), spaced),
     ref=lambda x, y: torch.max(x, y))
case("min_binary_method", lambda x, y: x.min(y), Arg((3, 4), spaced), Arg((4,), spaced), ref=SAME)
case("npnn_max_binary_toplevel", lambda x, y: npnn.max(x, y), Arg((2, 3), spaced),
     Arg((2, 3), spaced), ref=lambda x, y: torch.max(x, y))

# ----- the fused sum of squares (L2 penalty) -----
case("sum_of_squares", ops.sum_of_squares, Arg((3, 4)), ref=lambda x: (x * x).sum())
case("sum_of_squares_0d", ops.sum_of_squares, Arg(()), ref=lambda x: (x * x).sum())
case("sum_of_squares_empty", ops.sum_of_squares, Arg((0, 3)), ref=lambda x: (x * x).sum())
case("sum_of_squares_transposed", lambda x: ops.sum_of_squares(x.T), Arg((3, 4)),
     ref=lambda x: (x.T * x.T).sum())

# ----- cross-entropy: class indices without weight/smoothing/ignored targets take a fast path -----
case("cross_entropy_ignore_index_absent", lambda x, t: ops.cross_entropy(x, t, ignore_index=2),
     Arg((4, 5)), C([0, 1, 3, 4]), ref=lambda x, t: TF.cross_entropy(x, t, ignore_index=2))
case("cross_entropy_ignore_index_present", lambda x, t: ops.cross_entropy(x, t, ignore_index=2),
     Arg((6, 5)), C([2, 0, 2, 4, 1, 3]), ref=lambda x, t: TF.cross_entropy(x, t, ignore_index=2))
case("nll_loss_ignore_index_present_sum",
     lambda x, t: ops.nll_loss(x, t, ignore_index=0, reduction="sum"),
     Arg((5, 4)), C([0, 1, 0, 3, 2]), ref=lambda x, t: TF.nll_loss(x, t, ignore_index=0, reduction="sum"))
case("cross_entropy_fast_large", ops.cross_entropy, Arg((32, 10)), Arg((32,), labels(10)),
     ref=lambda x, t: TF.cross_entropy(x, t))

# ----- exact GELU in the tails (|x| up to ~15), where erfc takes its other branches -----
case("gelu_tails", lambda x: ops.gelu(x * 6), Arg((4, 5)), ref=lambda x: TF.gelu(x * 6))

# ----- smaller PyTorch API -----
case("log1p", ops.log1p, Arg((2, 3), positive), ref=lambda x: torch.log1p(x))
case("log1p_method_small", lambda x: (x * 1e-3).log1p(), Arg((4,)), ref=SAME)
for p in ("fro", 2, 1, 3, float("inf"), float("-inf")):
    case(f"norm_p{p}", lambda x, p=p: ops.norm(x, p), Arg((3, 4), away(0.0)),
         ref=lambda x, p=p: torch.norm(x, p))
case("norm_dim_keepdim", lambda x: x.norm(dim=1, keepdim=True), Arg((3, 4)), ref=SAME)
case("norm_dims_tuple", lambda x: x.norm(2, (0, 2)), Arg((2, 3, 4)), ref=SAME)
case("norm_zero_row", lambda x: x.norm(dim=1), Arg((2, 3), const([[0.0, 0.0, 0.0], [1.0, 2.0, -2.0]])),
     ref=SAME)
MASK = [[True, False, True, False], [False, False, True, True], [True, True, False, False]]
case("masked_fill", lambda x, m: x.masked_fill(m, 0.5), Arg((3, 4)), C(MASK), ref=SAME)
case("masked_fill_bcast", lambda x, m: ops.masked_fill(x, m, -1.0), Arg((3, 4)),
     C([True, False, False, True]), ref=lambda x, m: torch.masked_fill(x, m, -1.0))
case("gather_dim1_repeats", lambda x, i: x.gather(1, i), Arg((3, 4)),
     C([[0, 3, 0], [1, 1, 1], [2, 0, 3]]), ref=SAME)
case("gather_dim0_smaller", lambda x, i: ops.gather(x, 0, i), Arg((3, 4)), C([[2, 0], [1, 2]]),
     ref=lambda x, i: torch.gather(x, 0, i))


def _weighted_cat(parts, cat):  # distinct weights, so each piece's gradient is checked
    return cat([part * (i + 1) for i, part in enumerate(parts)], 1)


case("split_size", lambda x: _weighted_cat(x.split(2, 1), ops.cat), Arg((2, 5)),
     ref=lambda x: _weighted_cat(x.split(2, 1), torch.cat))
case("split_sections", lambda x: _weighted_cat(ops.split(x, [1, 3, 1], 1), ops.cat), Arg((2, 5)),
     ref=lambda x: _weighted_cat(torch.split(x, [1, 3, 1], 1), torch.cat))
case("chunk", lambda x: _weighted_cat(x.chunk(3, 1), ops.cat), Arg((2, 7)),
     ref=lambda x: _weighted_cat(x.chunk(3, 1), torch.cat))
case("t_2d", lambda x: x.t(), Arg((2, 3)), ref=SAME)
case("t_1d", lambda x: x.t(), Arg((3,)), ref=SAME)


# ----- nn.functional composites added for PyTorch users -----
F = npnn.nn.functional
case("silu", F.silu, Arg((3, 4)), ref=lambda x: TF.silu(x))
case("softplus", F.softplus, Arg((3, 4)), ref=lambda x: TF.softplus(x))
case("softplus_beta_threshold_linear_part", lambda x: F.softplus(x * 4, beta=2.0, threshold=3.0),
     Arg((3, 4), away(0.375)), ref=lambda x: TF.softplus(x * 4, beta=2.0, threshold=3.0))
case("softplus_wide", lambda x: F.softplus(x * 40), Arg((3, 4), away(0.5, -0.5, margin=0.05)),
     ref=lambda x: TF.softplus(x * 40))
case("layer_norm_affine", lambda x, w, b: F.layer_norm(x, (4,), w, b), Arg((3, 4)), Arg((4,)),
     Arg((4,)), ref=lambda x, w, b: TF.layer_norm(x, (4,), w, b))
case("layer_norm_two_dims", lambda x: F.layer_norm(x, (3, 4)), Arg((2, 3, 4)),
     ref=lambda x: TF.layer_norm(x, (3, 4)))
case("normalize", F.normalize, Arg((3, 4)), ref=lambda x: TF.normalize(x))
case("normalize_p1_dim0", lambda x: F.normalize(x, 1.0, 0), Arg((3, 4), away(0.0)),
     ref=lambda x: TF.normalize(x, 1.0, 0))


# ----- convolution and pooling over (N, C, H, W) -----
case("conv2d", ops.conv2d, Arg((2, 3, 6, 5)), Arg((4, 3, 3, 2)), Arg((4,)),
     ref=lambda x, w, b: TF.conv2d(x, w, b))
case("conv2d_no_bias", ops.conv2d, Arg((2, 2, 5, 5)), Arg((3, 2, 3, 3)), ref=lambda x, w: TF.conv2d(x, w))
case("conv2d_stride_padding", lambda x, w, b: ops.conv2d(x, w, b, stride=2, padding=1),
     Arg((2, 3, 7, 6)), Arg((4, 3, 3, 3)), Arg((4,)),
     ref=lambda x, w, b: TF.conv2d(x, w, b, stride=2, padding=1))
case("conv2d_dilation_pairs", lambda x, w: ops.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=2),
     Arg((1, 2, 9, 8)), Arg((3, 2, 3, 3)),
     ref=lambda x, w: TF.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=2))
case("conv2d_1x1", ops.conv2d, Arg((2, 4, 3, 3)), Arg((2, 4, 1, 1)), ref=lambda x, w: TF.conv2d(x, w))
case("conv2d_only_weight_grad", ops.conv2d, Arg((2, 1, 5, 5), grad=False), Arg((2, 1, 3, 3)),
     ref=lambda x, w: TF.conv2d(x, w))
case("max_pool2d", lambda x: ops.max_pool2d(x, 2), Arg((2, 3, 6, 6)), ref=lambda x: TF.max_pool2d(x, 2))
case("max_pool2d_stride_padding", lambda x: ops.max_pool2d(x, 3, stride=2, padding=1), Arg((2, 2, 7, 9)),
     ref=lambda x: TF.max_pool2d(x, 3, stride=2, padding=1))
case("max_pool2d_overlapping_dilated", lambda x: ops.max_pool2d(x, (2, 3), stride=1, dilation=2),
     Arg((1, 2, 7, 8)), ref=lambda x: TF.max_pool2d(x, (2, 3), stride=1, dilation=2))
case("max_pool2d_odd_size_drops_the_edge", lambda x: ops.max_pool2d(x, 2), Arg((1, 1, 5, 7)),
     ref=lambda x: TF.max_pool2d(x, 2))


# ----- in-place updates recorded in the graph (the same code runs on torch's tensors) -----
def _iadd_imul(x, y):
    z = x * 1.5
    z += y
    z *= y
    return z


def _methods_with_alpha(x, y):
    z = x + 0
    return z.sub_(y, alpha=0.5).div_(y).add_(x, alpha=2.0)


def _row_update(x, v):
    z = x * 2
    z[1].mul_(v)
    z[0] = z[0] + v * v
    return z * x


def _copy_and_fill(x, v):
    z = x * 1
    z[:, 0].copy_(v)
    z[1].fill_(0.5)
    return z.exp()


case("inplace_iadd_imul", _iadd_imul, Arg((3, 4)), Arg((3, 4)), ref=SAME)
case("inplace_methods_with_alpha", _methods_with_alpha, Arg((3, 4)), Arg((3, 4), away(0.0)), ref=SAME)
case("inplace_row_update", _row_update, Arg((2, 3)), Arg((3,)), ref=SAME)
case("inplace_copy_and_fill", _copy_and_fill, Arg((2, 3)), Arg((2,)), ref=SAME)


# ----- batch norm over (N, C, *), average pooling, channel dropout (the CNN layers) -----
RUNNING_MEAN, RUNNING_VAR = [0.5, -1.0, 0.25], [1.5, 0.5, 2.0]
case("batch_norm_train_4d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     Arg((4, 3, 3, 2)), Arg((3,)), Arg((3,)),
     ref=lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True))
case("batch_norm_train_running_stats_momentum_eps",
     lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b, True, 0.3, 1e-3),
     Arg((3, 3, 2, 2)), Arg((3,)), Arg((3,)), C(RUNNING_MEAN), C(RUNNING_VAR),
     ref=lambda x, w, b, m, v: TF.batch_norm(x, m, v, w, b, True, 0.3, 1e-3))
case("batch_norm_train_no_affine_3d", lambda x: F.batch_norm(x, None, None, training=True),
     Arg((4, 3, 5)), ref=lambda x: TF.batch_norm(x, None, None, training=True))
case("batch_norm_train_2d_weight_only", lambda x, w: F.batch_norm(x, None, None, w, training=True),
     Arg((6, 3)), Arg((3,)), ref=lambda x, w: TF.batch_norm(x, None, None, w, training=True))
case("batch_norm_train_constant_weight", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     Arg((2, 3, 2, 3)), Arg((3,), grad=False), Arg((3,)),
     ref=lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True))
case("batch_norm_eval_4d", lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b),
     Arg((2, 3, 3, 2)), Arg((3,)), Arg((3,)), C(RUNNING_MEAN), C(RUNNING_VAR),
     ref=lambda x, w, b, m, v: TF.batch_norm(x, m, v, w, b))
case("batch_norm_eval_bias_only", lambda x, b, m, v: F.batch_norm(x, m, v, None, b, eps=0.1),
     Arg((2, 3, 4)), Arg((3,)), C(RUNNING_MEAN), C(RUNNING_VAR),
     ref=lambda x, b, m, v: TF.batch_norm(x, m, v, None, b, eps=0.1))
case("avg_pool2d", lambda x: F.avg_pool2d(x, 2), Arg((2, 3, 6, 5)), ref=lambda x: TF.avg_pool2d(x, 2))
case("avg_pool2d_stride_padding", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), Arg((2, 2, 7, 8)),
     ref=lambda x: TF.avg_pool2d(x, 3, stride=2, padding=1))
case("avg_pool2d_ceil_exclude_pad", lambda x: F.avg_pool2d(x, (3, 2), (2, 1), 1, True, False),
     Arg((1, 2, 8, 5)), ref=lambda x: TF.avg_pool2d(x, (3, 2), (2, 1), 1, True, False))
case("avg_pool2d_divisor_override_3d_input", lambda x: F.avg_pool2d(x, 2, 1, divisor_override=3),
     Arg((2, 4, 5)), ref=lambda x: TF.avg_pool2d(x, 2, 1, divisor_override=3))
case("adaptive_avg_pool2d_global", lambda x: F.adaptive_avg_pool2d(x, 1), Arg((2, 3, 4, 5)),
     ref=lambda x: TF.adaptive_avg_pool2d(x, 1))
case("adaptive_avg_pool2d_divides", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), Arg((2, 2, 6, 6)),
     ref=lambda x: TF.adaptive_avg_pool2d(x, (2, 3)))
case("adaptive_avg_pool2d_uneven_windows", lambda x: F.adaptive_avg_pool2d(x, (3, None)), Arg((1, 2, 7, 5)),
     ref=lambda x: TF.adaptive_avg_pool2d(x, (3, None)))
case("adaptive_avg_pool2d_larger_than_input", lambda x: F.adaptive_avg_pool2d(x, (5, 4)), Arg((1, 2, 3, 3)),
     ref=lambda x: TF.adaptive_avg_pool2d(x, (5, 4)))


def _seeded_dropout2d(x: npnn.Tensor) -> npnn.Tensor:  # reseeded: finite differences see one mask
    npnn.manual_seed(1234)
    return F.dropout2d(x, 0.4)


case("dropout2d", _seeded_dropout2d, Arg((3, 4, 2, 2)))
case("dropout2d_eval", lambda x: F.dropout2d(x, 0.5, training=False), Arg((2, 3, 2, 2)),
     ref=lambda x: TF.dropout2d(x, 0.5, training=False))


# ----- embedding lookups (repeated indices accumulate), cosine similarity, pairwise distance -----
case("embedding_repeated_indices", lambda w, i: F.embedding(i, w), Arg((5, 3)),
     C([[0, 2, 0], [4, 1, 0]]), ref=lambda w, i: TF.embedding(i, w))
case("embedding_0d_index", lambda w, i: ops.embedding(i, w), Arg((4, 2)), C(3),
     ref=lambda w, i: TF.embedding(i, w))
# the padding row is read but gets no gradient, so finite differences do not apply there
case("embedding_padding_idx", lambda w, i: F.embedding(i, w, padding_idx=-2), Arg((5, 3)),
     C([[3, 1], [3, 0]]), ref=lambda w, i: TF.embedding(i, w, padding_idx=-2), smooth=False)
case("cosine_similarity", F.cosine_similarity, Arg((4, 3)), Arg((4, 3)),
     ref=lambda a, b: TF.cosine_similarity(a, b))
case("cosine_similarity_dim_broadcast", lambda a, b: F.cosine_similarity(a, b, dim=-1),
     Arg((2, 3, 4)), Arg((3, 4)), ref=lambda a, b: TF.cosine_similarity(a, b, dim=-1))
# b repeated along dim is a multiple of ones there, so its exact gradient is 0 (only noise to compare)
case("cosine_similarity_broadcast_along_dim", lambda a, b: F.cosine_similarity(a, b, dim=0),
     Arg((4, 5)), Arg((1, 5), grad=False), ref=lambda a, b: TF.cosine_similarity(a, b, dim=0))
case("cosine_similarity_zero_vector", F.cosine_similarity,
     Arg((2, 3), const([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])), Arg((2, 3)),
     ref=lambda a, b: TF.cosine_similarity(a, b), smooth=False)
case("pairwise_distance", F.pairwise_distance, Arg((4, 3)), Arg((4, 3)),
     ref=lambda a, b: TF.pairwise_distance(a, b))
case("pairwise_distance_p1_keepdim", lambda a, b: F.pairwise_distance(a, b, 1.0, keepdim=True),
     Arg((3, 5), away(0.0, margin=0.2)), C([[0.5] * 5] * 3),
     ref=lambda a, b: TF.pairwise_distance(a, b, 1.0, keepdim=True))
case("pairwise_distance_1d", F.pairwise_distance, Arg((4,)), Arg((4,)),
     ref=lambda a, b: TF.pairwise_distance(a, b))

# ----- activations and losses added for PyTorch users; samples keep away from each kink -----
case("relu6", lambda x: F.relu6(x * 4), Arg((3, 4), away(0.0, 1.5)), ref=lambda x: TF.relu6(x * 4))
case("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.0), Arg((3, 4), away(-0.5, 1.0)),
     ref=lambda x: TF.hardtanh(x, -0.5, 1.0))
case("logsigmoid_wide", lambda x: F.logsigmoid(x * 10), Arg((3, 4)), ref=lambda x: TF.logsigmoid(x * 10))
case("softmin", lambda x: F.softmin(x, 1), Arg((3, 4)), ref=lambda x: TF.softmin(x, 1))
case("selu", F.selu, Arg((3, 4), away(0.0)), ref=lambda x: TF.selu(x))
case("celu_alpha", lambda x: F.celu(x, 0.5), Arg((3, 4), away(0.0)), ref=lambda x: TF.celu(x, 0.5))
case("mish_wide", lambda x: F.mish(x * 4), Arg((3, 4)), ref=lambda x: TF.mish(x * 4))
case("hardswish", lambda x: F.hardswish(x * 3), Arg((3, 4), away(-1.0, 1.0)),
     ref=lambda x: TF.hardswish(x * 3))
# the reference spells it out: torch's float64 hardsigmoid gradient is 1/6 rounded to float32
case("hardsigmoid", lambda x: F.hardsigmoid(x * 3), Arg((3, 4), away(-1.0, 1.0)),
     ref=lambda x: torch.clamp(x * 3 + 3, 0, 6) / 6)
case("softsign", F.softsign, Arg((3, 4)), ref=lambda x: TF.softsign(x))
case("tanhshrink", F.tanhshrink, Arg((3, 4)), ref=lambda x: TF.tanhshrink(x))
case("threshold", lambda x: F.threshold(x, 0.2, -1.0), Arg((3, 4), away(0.2)),
     ref=lambda x: TF.threshold(x, 0.2, -1.0))
case("glu_dim1", lambda x: F.glu(x, 1), Arg((3, 4)), ref=lambda x: TF.glu(x, 1))
case("glu_last", F.glu, Arg((2, 3, 6)), ref=lambda x: TF.glu(x))
case("prelu_per_channel", F.prelu, Arg((2, 3, 4), away(0.0)), Arg((3,)), ref=lambda x, w: TF.prelu(x, w))
case("prelu_shared", F.prelu, Arg((4, 3), away(0.0)), Arg((1,)), ref=lambda x, w: TF.prelu(x, w))
for reduction in ("mean", "sum", "none"):
    case(f"smooth_l1_loss_{reduction}", lambda x, y, r=reduction: F.smooth_l1_loss(x, y, r, beta=0.5),
         Arg((3, 4), away(-0.5, 0.5)), Arg((3, 4), small),
         ref=lambda x, y, r=reduction: TF.smooth_l1_loss(x, y, reduction=r, beta=0.5))
    case(f"huber_loss_{reduction}", lambda x, y, r=reduction: F.huber_loss(x, y, r, delta=0.5),
         Arg((3, 4), away(-0.5, 0.5)), Arg((3, 4), small),
         ref=lambda x, y, r=reduction: TF.huber_loss(x, y, reduction=r, delta=0.5))
for reduction in ("batchmean", "sum", "none"):
    case(f"kl_div_{reduction}", lambda x, q, r=reduction: F.kl_div(x, q, r), Arg((3, 4)),
         Arg((3, 4), distribution()), ref=lambda x, q, r=reduction: TF.kl_div(x, q, reduction=r))
    case(f"kl_div_log_target_{reduction}", lambda x, t, r=reduction: F.kl_div(x, t, r, log_target=True),
         Arg((3, 4)), Arg((3, 4)),
         ref=lambda x, t, r=reduction: TF.kl_div(x, t, reduction=r, log_target=True))
