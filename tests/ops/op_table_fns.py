"""Op-table rows for the PyTorch functions added for users' code (registered by op_table.py):
running totals, triangles and diagonals, logsumexp/prod/median, reordering, selection by
index, the fixed-rank products and einsum, and sign/trunc/frac/fmod/lerp/erf."""

from __future__ import annotations

import numpy as np
from op_case import SAME, Arg, C, away, case, const, positive, spaced, torch

import npnn

# ----- running totals -----
case("cumsum_dim1", lambda x: x.cumsum(1), Arg((3, 4)), ref=SAME)
case("cumsum_fn_neg_dim", lambda x: npnn.cumsum(x, -1), Arg((2, 3, 4)), ref=lambda x: torch.cumsum(x, -1))
case("cumsum_0d", lambda x: npnn.cumsum(x, 0), Arg(()), ref=lambda x: torch.cumsum(x, 0))
case("cumprod_dim0", lambda x: x.cumprod(0), Arg((4, 3), positive), ref=SAME)
case("cumprod_with_zeros", lambda x: npnn.cumprod(x, 1),
     Arg((2, 4), const([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 0.5]])),
     ref=lambda x: torch.cumprod(x, 1))
case("cummax_values", lambda x: npnn.cummax(x, 1).values, Arg((3, 5), spaced),
     ref=lambda x: torch.cummax(x, 1).values)
case("cummin_values", lambda x: x.cummin(0)[0], Arg((5, 2), spaced), ref=SAME)
case("diff_prepend", lambda x, y: npnn.diff(x, 2, 0, prepend=y), Arg((4, 3)), Arg((1, 3)),
     ref=lambda x, y: torch.diff(x, 2, 0, prepend=y))

# ----- triangles and diagonals -----
case("tril", lambda x: x.tril(), Arg((4, 5)), ref=SAME)
case("tril_batched_offset", lambda x: npnn.tril(x, -1), Arg((2, 3, 3)), ref=lambda x: torch.tril(x, -1))
case("triu_offset", lambda x: x.triu(1), Arg((4, 3)), ref=SAME)
case("diag_embed_vector", lambda x: npnn.diag(x, 1), Arg((3,)), ref=lambda x: torch.diag(x, 1))
case("diag_of_matrix", lambda x: x.diag(-1), Arg((4, 3)), ref=SAME)
case("diagonal_dims", lambda x: x.diagonal(1, 2, 0), Arg((3, 2, 4)), ref=SAME)

# ----- reductions -----
case("logsumexp_dim", lambda x: x.logsumexp(1), Arg((3, 4)), ref=SAME)
case("logsumexp_dims_keepdim", lambda x: npnn.logsumexp(x * 30, (0, 2), keepdim=True), Arg((2, 3, 4)),
     ref=lambda x: torch.logsumexp(x * 30, (0, 2), keepdim=True))
case("prod_all", lambda x: x.prod(), Arg((2, 3), positive), ref=SAME)
case("prod_dim_with_zero", lambda x: npnn.prod(x, 1, keepdim=True),
     Arg((3, 3), const([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [0.5, -2.0, 1.0]])),
     ref=lambda x: torch.prod(x, 1, keepdim=True))
case("nansum", lambda x: npnn.nansum(x, 1), Arg((2, 3), const([[0.5, np.nan, -1.2], [np.nan, 2.0, 0.3]])),
     ref=lambda x: torch.nansum(x, 1))
case("median_all", lambda x: x.median(), Arg((3, 4), spaced), ref=SAME)
case("median_dim", lambda x: npnn.median(x, 0).values, Arg((4, 3), spaced),
     ref=lambda x: torch.median(x, 0).values)
case("std_mean", lambda x: npnn.std_mean(x, 1)[0] + 2 * npnn.std_mean(x, 1)[1], Arg((3, 4)),
     ref=lambda x: torch.std_mean(x, 1)[0] + 2 * torch.std_mean(x, 1)[1])
case("var_mean_all", lambda x: npnn.var_mean(x, correction=0)[0] * npnn.var_mean(x)[1], Arg((3, 4)),
     ref=lambda x: torch.var_mean(x, correction=0)[0] * torch.var_mean(x)[1])

# ----- reordering and views -----
case("flip", lambda x: x.flip(0, 2), Arg((2, 3, 4)), ref=SAME)
case("flip_fn", lambda x: npnn.flip(x, [-1]), Arg((3, 4)), ref=lambda x: torch.flip(x, [-1]))
case("roll_dims", lambda x: x.roll((1, -2), (0, 1)), Arg((3, 4)), ref=SAME)
case("roll_flat", lambda x: npnn.roll(x, 5), Arg((3, 4)), ref=lambda x: torch.roll(x, 5))
case("movedim", lambda x: x.movedim((0, 1), (2, 0)), Arg((2, 3, 4)), ref=SAME)
case("swapaxes", lambda x: npnn.swapaxes(x, 0, 2), Arg((2, 3, 4)), ref=lambda x: torch.swapaxes(x, 0, 2))
case("narrow_negative_start", lambda x: x.narrow(1, -3, 2), Arg((2, 5)), ref=SAME)
case("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), Arg((3, 1)), ref=SAME)


def _times(pair):
    return pair[0] * pair[1]


case("broadcast_tensors", lambda x, y: _times(npnn.broadcast_tensors(x, y)), Arg((3, 1)), Arg((4,)),
     ref=lambda x, y: _times(torch.broadcast_tensors(x, y)))
case("expand_as", lambda x, y: x.expand_as(y) * y, Arg((1, 4)), Arg((3, 4)), ref=SAME)
case("view_as_reshape_as", lambda x, y: x.view_as(y) + x.reshape_as(y), Arg((2, 6)), Arg((3, 4), grad=False),
     ref=SAME)
case("contiguous_of_transpose", lambda x: x.t().contiguous() * 2, Arg((3, 4)), ref=SAME)
case("unflatten", lambda x: x.unflatten(1, (2, -1)), Arg((3, 6)), ref=SAME)
case("tile_pads_dims", lambda x: x.tile((2, 1, 2)), Arg((2, 3)), ref=SAME)
case("tensor_split_sections", lambda x: npnn.tensor_split(x, 3, 1)[0] * npnn.tensor_split(x, 3, 1)[2].sum(),
     Arg((2, 7)), ref=lambda x: torch.tensor_split(x, 3, 1)[0] * torch.tensor_split(x, 3, 1)[2].sum())
case("tensor_split_indices", lambda x: x.tensor_split([1, 4])[1], Arg((6, 2)), ref=SAME)
case("atleast_2d", lambda x: npnn.atleast_2d(x) * 2, Arg((3,)), ref=lambda x: torch.atleast_2d(x) * 2)
case("meshgrid_xy", lambda x, y: _times(npnn.meshgrid(x, y, indexing="xy")), Arg((3,)), Arg((4,)),
     ref=lambda x, y: _times(torch.meshgrid(x, y, indexing="xy")))

# ----- selection by index (repeated indices add up in backward) -----
case("index_select_repeats", lambda x: x.index_select(1, npnn.tensor([2, 0, 2])), Arg((3, 4)),
     ref=lambda x: x.index_select(1, torch.tensor([2, 0, 2])))
case("take_along_dim", lambda x, i: npnn.take_along_dim(x, i, 1), Arg((3, 4)),
     C(np.array([[0, 3], [1, 1], [2, 0]])), ref=lambda x, i: torch.take_along_dim(x, i, 1))
case("take_along_dim_flat", lambda x: x.take_along_dim(npnn.tensor([5, 0, 5])), Arg((2, 3)),
     ref=lambda x: x.take_along_dim(torch.tensor([5, 0, 5])))
case("repeat_interleave_tensor", lambda x: x.repeat_interleave(npnn.tensor([1, 0, 3]), dim=0), Arg((3, 2)),
     ref=lambda x: x.repeat_interleave(torch.tensor([1, 0, 3]), dim=0))
case("repeat_interleave_flat", lambda x: npnn.repeat_interleave(x, 2), Arg((2, 2)),
     ref=lambda x: torch.repeat_interleave(x, 2))
case("scatter_add", lambda x, s: x.scatter_add(1, npnn.tensor([[0, 0, 2], [1, 2, 1]]), s),
     Arg((2, 4)), Arg((2, 3)), ref=lambda x, s: x.scatter_add(1, torch.tensor([[0, 0, 2], [1, 2, 1]]), s))

# ----- products -----
case("mm", lambda a, b: npnn.mm(a, b), Arg((2, 3)), Arg((3, 4)), ref=lambda a, b: torch.mm(a, b))
case("bmm", lambda a, b: a.bmm(b), Arg((2, 3, 4)), Arg((2, 4, 5)), ref=SAME)
case("mv_dot", lambda a, v, w: a.mv(v).dot(w), Arg((2, 3)), Arg((3,)), Arg((2,)), ref=SAME)
case("outer", lambda a, b: npnn.outer(a, b), Arg((3,)), Arg((4,)), ref=lambda a, b: torch.outer(a, b))
case("addmm", lambda c, a, b: npnn.addmm(c, a, b, beta=0.5, alpha=2.0), Arg((4,)), Arg((2, 3)), Arg((3, 4)),
     ref=lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0))
case("addmv", lambda c, a, v: npnn.addmv(c, a, v, beta=0.5, alpha=2.0), Arg((2,)), Arg((2, 3)), Arg((3,)),
     ref=lambda c, a, v: torch.addmv(c, a, v, beta=0.5, alpha=2.0))
case("addmv_method", lambda c, a, v: c.addmv(a, v), Arg((2,)), Arg((2, 3)), Arg((3,)), ref=SAME)
case("addmm_method", lambda c, a, b: c.addmm(a, b), Arg((2, 4)), Arg((2, 3)), Arg((3, 4)), ref=SAME)
case("baddbmm", lambda c, a, b: npnn.baddbmm(c, a, b, alpha=0.5), Arg((1, 3, 1)), Arg((2, 3, 4)),
     Arg((2, 4, 2)), ref=lambda c, a, b: torch.baddbmm(c, a, b, alpha=0.5))
case("cdist", lambda a, b: npnn.cdist(a, b), Arg((3, 2)), Arg((4, 2)), ref=lambda a, b: torch.cdist(a, b))
case("cdist_p1_batched", lambda a, b: npnn.cdist(a, b, p=1), Arg((2, 3, 2), spaced), Arg((2, 2, 2), spaced),
     ref=lambda a, b: torch.cdist(a, b, p=1))

# ----- einsum -----
for name, equation, shapes in [
    ("matmul", "ij,jk->ik", [(2, 3), (3, 4)]),
    ("batched", "bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("attention", "bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("trace", "ii", [(3, 3)]),
    ("diagonal", "ii->i", [(3, 3)]),
    ("sum_out", "ij->", [(2, 3)]),
    ("only_in_first", "ij,j->j", [(2, 3), (3,)]),
    ("outer_implicit", "i,j", [(3,), (2,)]),
    ("transpose_implicit", "ba", [(2, 3)]),
    ("ellipsis", "...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("ellipsis_broadcast", "...i,...i->...", [(1, 3, 4), (2, 1, 4)]),
    ("three_operands", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
]:
    case(f"einsum_{name}", lambda *xs, eq=equation: npnn.einsum(eq, *xs), *(Arg(s) for s in shapes),
         ref=lambda *xs, eq=equation: torch.einsum(eq, *xs))
case("einsum_list_operands", lambda a, b: npnn.einsum("ij,ij->i", [a, b]), Arg((2, 3)), Arg((2, 3)),
     ref=lambda a, b: torch.einsum("ij,ij->i", [a, b]))

# ----- elementwise -----
case("sign_zero_grad", lambda x: x.sign() * x, Arg((3, 4), away(0.0)), ref=SAME)
case("sgn_fn", lambda x: npnn.sgn(x) + x, Arg((4,), away(0.0)), ref=lambda x: torch.sgn(x) + x)
case("trunc", lambda x: (x * 3).trunc() + x, Arg((3, 4), away(*np.arange(-4, 5) / 3, margin=0.02)), ref=SAME)
case("frac", lambda x: (x * 3).frac(), Arg((3, 4), away(*np.arange(-4, 5) / 3, margin=0.02)), ref=SAME)
case("fmod", lambda x, y: x.fmod(y), Arg((3, 4), positive), Arg((3, 4), const(np.full((3, 4), 0.7))),
     ref=SAME, smooth=False)
case("fmod_tensor_divisor", lambda x, y: npnn.fmod(x * 4, y), Arg((5,), const([1.3, -2.2, 3.1, -0.4, 0.9])),
     Arg((5,), const([0.7, 0.9, -1.1, 0.3, 2.0])), ref=lambda x, y: torch.fmod(x * 4, y))
case("lerp_scalar_weight", lambda a, b: a.lerp(b, 0.3), Arg((3, 4)), Arg((3, 4)), ref=SAME)
case("lerp_tensor_weight", lambda a, b, w: npnn.lerp(a, b, w), Arg((3, 4)), Arg((4,)), Arg((3, 1), positive),
     ref=lambda a, b, w: torch.lerp(a, b, w))
case("erf", lambda x: x.erf(), Arg((3, 4)), ref=SAME)
case("erfc_fn", lambda x: npnn.erfc(x * 2), Arg((3, 4)), ref=lambda x: torch.erfc(x * 2))
case("true_divide", lambda x, y: npnn.true_divide(x, y), Arg((3,)), Arg((3,), positive),
     ref=lambda x, y: torch.true_divide(x, y))
