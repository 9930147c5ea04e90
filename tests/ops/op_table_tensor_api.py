"""Op-table rows for the elementwise ops added for PyTorch users' code (sin/cos/tan,
rsqrt/reciprocal, floor/ceil/round, addcmul/addcdiv) and their in-place forms on a non-leaf."""

from __future__ import annotations

from op_case import SAME, Arg, away, case, normal, positive, probabilities, spaced, torch

import npnn

case("sin", npnn.sin, Arg((3, 4)), ref=torch.sin)
case("cos", npnn.cos, Arg((3, 4)), ref=torch.cos)
case("tan", npnn.tan, Arg((3, 4), lambda r, s: r.uniform(-1.2, 1.2, s)), ref=torch.tan)
case("rsqrt", npnn.rsqrt, Arg((3, 4), positive), ref=torch.rsqrt)
case("reciprocal", npnn.reciprocal, Arg((3, 4), away(0.0, margin=0.3)), ref=torch.reciprocal)
case("floor_ceil_round", lambda x: x.floor() + x.ceil() * x + x.round(decimals=1) * 2,
     Arg((3, 4), away(*[k / 2 for k in range(-8, 9)], margin=0.06)), ref=SAME)
case("addcmul_broadcast", lambda x, a, b: npnn.addcmul(x, a, b, value=0.5), Arg((3, 4)), Arg((1, 4)),
     Arg((3, 1)), ref=lambda x, a, b: torch.addcmul(x, a, b, value=0.5))
case("addcdiv_broadcast", lambda x, a, b: npnn.addcdiv(x, a, b, value=-2.0), Arg((3, 4)), Arg((4,)),
     Arg((3, 1), positive), ref=lambda x, a, b: torch.addcdiv(x, a, b, value=-2.0))
for name in ("exp_", "sin_", "cos_", "tan_", "neg_", "square_", "abs_", "frac_", "sigmoid_"):
    case(f"inplace_{name}", lambda x, n=name: getattr(x * 0.5, n)() * 3, Arg((2, 3), away(0.0)), ref=SAME)
case("inplace_log_sqrt_rsqrt_reciprocal",
     lambda x: (((x * 1).log1p_() * 1).sqrt_() * 1).rsqrt_() * 1 + ((x * 1).reciprocal_() * 1).log_(),
     Arg((2, 3), positive), ref=SAME)
case("inplace_pow_", lambda x, e: (x * 1).pow_(e), Arg((2, 3), positive), Arg(()), ref=SAME)
case("inplace_lerp_", lambda x, y, w: (x * 1).lerp_(y, w), Arg((2, 3)), Arg((2, 3)), Arg((3,)), ref=SAME)
case("inplace_addcmul_addcdiv_", lambda x, a, b: (x * 1).addcmul_(a, b, value=2).addcdiv_(a, b),
     Arg((2, 3)), Arg((2, 3), normal), Arg((2, 3), positive), ref=SAME)
case("clamp_tensor_bounds_broadcast", lambda x, lo, hi: npnn.clamp(x, lo, hi),
     Arg((3, 4), spaced), Arg((1, 4), lambda r, s: r.uniform(-0.9, -0.4, s) + 0.013),
     Arg((3, 1), lambda r, s: r.uniform(0.2, 0.6, s) + 0.017), ref=lambda x, lo, hi: torch.clamp(x, lo, hi))
case("clamp_tensor_min_only", lambda x, lo: npnn.clip(x, min=lo), Arg((3, 4), spaced),
     Arg((4,), lambda r, s: r.uniform(-0.3, 0.3, s) + 0.013), ref=lambda x, lo: torch.clip(x, min=lo))
case("clamp_tensor_max_only", lambda x, hi: x.clamp(max=hi), Arg((3, 4), spaced),
     Arg((3, 1), lambda r, s: r.uniform(-0.3, 0.3, s) + 0.013), ref=lambda x, hi: x.clamp(max=hi))
case("special_expm1", npnn.special.expm1, Arg((3, 4)), ref=torch.special.expm1)
case("special_exp2", npnn.special.exp2, Arg((3, 4)), ref=torch.special.exp2)
case("special_logit", npnn.special.logit, Arg((3, 4), probabilities), ref=torch.special.logit)
case("special_logit_eps", lambda p: npnn.special.logit(p, eps=0.2), Arg((3, 4), away(0.2, 0.8)),
     ref=lambda p: torch.special.logit(p, eps=0.2))
case("special_sinc", npnn.special.sinc, Arg((3, 4)), ref=torch.special.sinc)
case("special_entr", npnn.special.entr, Arg((3, 4), positive), ref=torch.special.entr)
case("special_ndtr", npnn.special.ndtr, Arg((3, 4)), ref=torch.special.ndtr)
case("special_xlog1py", npnn.special.xlog1py, Arg((3, 4)), Arg((3, 4), positive), ref=torch.special.xlog1py)
