"""Op-table rows for the rarer PyTorch functions of users' boilerplate (registered by op_table.py):
clamp_min/clamp_max, index_add/index_copy/index_fill, masked_select/masked_scatter,
cross/kron/cartesian_prod/combinations/rot90/flipud/fliplr/trace, and nan_to_num, logaddexp,
xlogy, hypot, deg2rad, rad2deg."""

from __future__ import annotations

import numpy as np
from op_case import SAME, Arg, C, away, case, nonzero, positive, small, torch

import npnn

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])

# ----- bounds: a number, or a tensor (ties avoided: the gradient is split there) -----
case("clamp_min_number", lambda x: x.clamp_min(0.3), Arg((3, 4), away(0.3)), ref=SAME)
case("clamp_max_number_fn", lambda x: npnn.clamp_max(x, -0.2), Arg((3, 4), away(-0.2)),
     ref=lambda x: torch.clamp_max(x, -0.2))
case("clamp_min_tensor", lambda x, m: npnn.clamp_min(x, m), Arg((3, 4), nonzero), Arg((4,), small),
     ref=lambda x, m: torch.clamp_min(x, m))
case("clamp_max_tensor", lambda x, m: x.clamp_max(m), Arg((3, 4), nonzero), Arg((3, 1), small), ref=SAME)

# ----- index- and mask-driven copies -----
case("index_add_dim0", lambda x, i, s: x.index_add(0, i, s), Arg((4, 3)), C([2, 0, 2]), Arg((3, 3)),
     ref=SAME)
case("index_add_dim1_alpha", lambda x, i, s: npnn.index_add(x, 1, i, s, alpha=-2.5), Arg((2, 4, 3)),
     C([3, 1]), Arg((2, 2, 3)), ref=lambda x, i, s: torch.index_add(x, 1, i, s, alpha=-2.5))
case("index_add_negative_dim", lambda x, i, s: x.index_add(-1, i, s), Arg((2, 3)), C([2, 0]),
     Arg((2, 2)), ref=SAME)
case("index_copy_dim1", lambda x, i, s: x.index_copy(1, i, s), Arg((3, 5)), C([4, 0, 2]), Arg((3, 3)),
     ref=SAME)
case("index_fill_number", lambda x, i: x.index_fill(1, i, -1.5), Arg((3, 4)), C([0, 3]), ref=SAME)
case("index_fill_0d_tensor", lambda x, i, v: npnn.index_fill(x, 0, i, v), Arg((3, 4)), C([1]), Arg(()),
     ref=lambda x, i, v: torch.index_fill(x, 0, i, v))
case("masked_select", lambda x, m: x.masked_select(m), Arg((3, 4)), C(MASK), ref=SAME)
case("masked_select_broadcast", lambda x, m: npnn.masked_select(x, m), Arg((4,)), C(MASK),
     ref=lambda x, m: torch.masked_select(x, m))
case("masked_scatter", lambda x, m, s: x.masked_scatter(m, s), Arg((3, 4)), C(MASK), Arg((2, 5)),
     ref=SAME)
case("masked_scatter_broadcast_mask", lambda x, m, s: npnn.masked_scatter(x, m, s), Arg((3, 4)),
     C(MASK[1]), Arg((4,)), ref=lambda x, m, s: torch.masked_scatter(x, m, s))

# ----- products and rearrangements -----
case("cross_dim", lambda a, b: npnn.cross(a, b, dim=1), Arg((2, 3, 4)), Arg((2, 3, 4)),
     ref=lambda a, b: torch.cross(a, b, dim=1))
case("cross_broadcast_last", lambda a, b: a.cross(b, -1), Arg((4, 3)), Arg((1, 3)),
     ref=lambda a, b: torch.linalg.cross(a, b))
case("kron_2d", lambda a, b: npnn.kron(a, b), Arg((2, 3)), Arg((3, 2)), ref=lambda a, b: torch.kron(a, b))
case("kron_mixed_rank", lambda a, b: a.kron(b), Arg((2, 2, 3)), Arg((4,)), ref=SAME)
case("cartesian_prod", lambda a, b, c: npnn.cartesian_prod(a, b, c), Arg((2,)), Arg((3,)), Arg((2,)),
     ref=lambda a, b, c: torch.cartesian_prod(a, b, c))
case("combinations", lambda x: npnn.combinations(x, 3), Arg((5,)), ref=lambda x: torch.combinations(x, 3))
case("combinations_with_replacement", lambda x: npnn.combinations(x, with_replacement=True), Arg((4,)),
     ref=lambda x: torch.combinations(x, with_replacement=True))
for k in (1, 2, 3, -1, 4):
    case(f"rot90_k{k}".replace("-", "minus"), lambda x, k=k: x.rot90(k, [1, 2]), Arg((2, 3, 4)), ref=SAME)
case("flipud", lambda x: x.flipud(), Arg((3, 2)), ref=SAME)
case("fliplr_fn", lambda x: npnn.fliplr(x), Arg((2, 3, 2)), ref=lambda x: torch.fliplr(x))
case("trace", lambda x: x.trace(), Arg((3, 4)), ref=SAME)

# ----- elementwise extras -----
case("nan_to_num_finite", lambda x: x.nan_to_num(), Arg((3, 4)), ref=SAME)
case("logaddexp", lambda a, b: npnn.logaddexp(a, b), Arg((3, 4)), Arg((4,)),
     ref=lambda a, b: torch.logaddexp(a, b))
case("logaddexp_far_apart", lambda a, b: a.logaddexp(b * 40), Arg((5,)), Arg((5,)), ref=SAME)
case("xlogy", lambda x, y: npnn.xlogy(x, y), Arg((3, 4)), Arg((3, 4), positive),
     ref=lambda x, y: torch.xlogy(x, y))
case("xlogy_with_zeros", lambda x, y: x.xlogy(y), C([0.0, 1.5, 0.0, -2.0]), Arg((4,), positive), ref=SAME)
case("xlogy_number_first", lambda y: npnn.xlogy(2.0, y), Arg((3,), positive),
     ref=lambda y: torch.xlogy(2.0, y))
case("hypot", lambda a, b: a.hypot(b), Arg((3, 4), nonzero), Arg((4,), nonzero), ref=SAME)
case("deg2rad", lambda x: npnn.deg2rad(x * 90), Arg((3,)), ref=lambda x: torch.deg2rad(x * 90))
case("rad2deg", lambda x: x.rad2deg(), Arg((2, 2)), ref=SAME)
