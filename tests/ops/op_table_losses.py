"""Op-table rows (registered by op_table.py) for the margin, ranking, likelihood and CTC losses:
finite-difference gradients of every float input and PyTorch's values and gradients."""

from __future__ import annotations

import numpy as np
from op_case import TF, Arg, C, case, positive, torch

import npnn.nn.functional as F

SIGNS = [1.0, -1.0, -1.0, 1.0, 1.0, -1.0]
ROW_SIGNS = [[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, 1.0]]


def multilabel_targets() -> np.ndarray:
    return np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 2, 0, 1, 3], [-1, 0, 1, 2, 3]])


def _cosine_distance(functional):
    return lambda a, b: 1.0 - functional.cosine_similarity(a, b)


for reduction in ("mean", "sum", "none"):
    r = reduction
    case(f"margin_ranking_loss_{r}", lambda a, b, y, r=r: F.margin_ranking_loss(a, b, y, 0.3, r),
         Arg((6,)), Arg((6,)), Arg((6,), lambda rng, shape: np.array(SIGNS)),
         ref=lambda a, b, y, r=r: TF.margin_ranking_loss(a, b, y, 0.3, reduction=r))
    case(f"hinge_embedding_loss_{r}", lambda x, y, r=r: F.hinge_embedding_loss(x, y, 1.5, r),
         Arg((3, 4)), C(ROW_SIGNS), ref=lambda x, y, r=r: TF.hinge_embedding_loss(x, y, 1.5, reduction=r))
    case(f"soft_margin_loss_{r}", lambda x, y, r=r: F.soft_margin_loss(x, y, r), Arg((3, 4)), C(ROW_SIGNS),
         ref=lambda x, y, r=r: TF.soft_margin_loss(x, y, reduction=r))
    case(f"cosine_embedding_loss_{r}", lambda a, b, y, r=r: F.cosine_embedding_loss(a, b, y, -0.2, r),
         Arg((6, 3)), Arg((6, 3)), C(SIGNS),
         ref=lambda a, b, y, r=r: TF.cosine_embedding_loss(a, b, y, -0.2, reduction=r))
    case(f"multilabel_soft_margin_loss_{r}",
         lambda x, t, w, r=r: F.multilabel_soft_margin_loss(x, t, w, r), Arg((3, 4)),
         Arg((3, 4), lambda rng, shape: rng.integers(0, 2, shape).astype(float)), C([0.5, 1.0, 2.0, 1.5]),
         ref=lambda x, t, w, r=r: TF.multilabel_soft_margin_loss(x, t, w, reduction=r))
    case(f"multilabel_margin_loss_{r}", lambda x, t, r=r: F.multilabel_margin_loss(x, t, r),
         Arg((4, 5)), C(multilabel_targets()),
         ref=lambda x, t, r=r: TF.multilabel_margin_loss(x, t, reduction=r))
    case(f"multi_margin_loss_{r}", lambda x, t, w, r=r: F.multi_margin_loss(x, t, 2, 0.8, w, r),
         Arg((4, 5)), C([0, 3, 4, 1]), C([1.0, 0.5, 2.0, 1.0, 0.3]),
         ref=lambda x, t, w, r=r: TF.multi_margin_loss(x, t, 2, 0.8, w, reduction=r))
    case(f"poisson_nll_loss_full_{r}", lambda x, y, r=r: F.poisson_nll_loss(x, y, full=True, reduction=r),
         Arg((3, 4)), Arg((3, 4), lambda rng, shape: rng.uniform(1.2, 4.0, shape)),
         ref=lambda x, y, r=r: TF.poisson_nll_loss(x, y, full=True, reduction=r))
    case(f"poisson_nll_loss_rates_{r}",
         lambda x, y, r=r: F.poisson_nll_loss(x, y, log_input=False, reduction=r), Arg((3, 4), positive),
         Arg((3, 4), positive), ref=lambda x, y, r=r: TF.poisson_nll_loss(x, y, log_input=False, reduction=r))
    case(f"gaussian_nll_loss_{r}", lambda x, y, v, r=r: F.gaussian_nll_loss(x, y, v, True, reduction=r),
         Arg((3, 4)), Arg((3, 4)), Arg((3, 1), positive),
         ref=lambda x, y, v, r=r: TF.gaussian_nll_loss(x, y, v, True, reduction=r))
    case(f"triplet_margin_loss_{r}", lambda a, p, n, r=r: F.triplet_margin_loss(a, p, n, 2.0, 3, swap=True,
                                                                               reduction=r),
         Arg((5, 3)), Arg((5, 3)), Arg((5, 3)),
         ref=lambda a, p, n, r=r: TF.triplet_margin_loss(a, p, n, 2.0, 3, swap=True, reduction=r))
    case(f"triplet_margin_with_distance_loss_{r}",
         lambda a, p, n, r=r: F.triplet_margin_with_distance_loss(
             a, p, n, distance_function=_cosine_distance(F), margin=1.5, reduction=r),
         Arg((5, 3)), Arg((5, 3)), Arg((5, 3)),
         ref=lambda a, p, n, r=r: TF.triplet_margin_with_distance_loss(
             a, p, n, distance_function=_cosine_distance(TF), margin=1.5, reduction=r))
    # CTC's gradient is PyTorch's (with respect to the logits under log_softmax), so rows go through it
    case(f"ctc_loss_{r}", lambda x, r=r: F.ctc_loss(F.log_softmax(x, 2), [[1, 2, 2], [3, 1, 0], [2, 2, 1]],
                                                     (6, 5, 6), (3, 2, 3), reduction=r),
         Arg((6, 3, 4)),
         ref=lambda x, r=r: TF.ctc_loss(TF.log_softmax(x, 2), torch.tensor([[1, 2, 2], [3, 1, 0], [2, 2, 1]]),
                                        (6, 5, 6), (3, 2, 3), reduction=r))
case("ctc_loss_blank_concatenated_zero_infinity",
     lambda x: F.ctc_loss(F.log_softmax(x, 2), [0, 0, 1, 2, 1, 1], (5, 2, 4), (2, 3, 1), blank=3,
                          zero_infinity=True),
     Arg((5, 3, 4)),
     ref=lambda x: TF.ctc_loss(TF.log_softmax(x, 2), torch.tensor([0, 0, 1, 2, 1, 1]),
                               (5, 2, 4), (2, 3, 1), blank=3, zero_infinity=True))
