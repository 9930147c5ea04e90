"""Op-table rows (registered by op_table.py) for the image layers of spatial transformers and
super-resolution nets: affine_grid, grid_sample, and the rearranging, patch and pooling ops."""

from __future__ import annotations

import numpy as np
from op_case import TF, Arg, case, positive, spaced

from npnn.nn import functional as F


def grid_points(height: int, width: int, align_corners: bool):
    """Grid values whose pixel positions (inside and up to two pixels outside the image) are
    at least 0.15 from an integer and from a half: off bilinear's and nearest's kinks, and off
    the clip and reflection points, so finite differences apply."""

    def gen(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        sizes = np.array([width, height], dtype=float)
        whole = rng.integers(-2, sizes + 2, shape)
        fraction = rng.uniform(0.15, 0.35, shape) + 0.5 * rng.integers(0, 2, shape)
        pixel = whole + fraction
        if align_corners:
            return pixel / ((sizes - 1) / 2) - 1
        return (2 * pixel + 1) / sizes - 1

    return gen


# ----- grid_sample: every mode, padding mode and corner rule; gradients of input and grid -----
for mode in ("bilinear", "nearest"):
    for padding_mode in ("zeros", "border", "reflection"):
        for align_corners in (False, True):
            name = f"grid_sample_{mode}_{padding_mode}_{'align' if align_corners else 'centres'}"
            kwargs = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
            case(name, lambda x, g, k=kwargs: F.grid_sample(x, g, **k), Arg((2, 3, 4, 5)),
                 Arg((2, 3, 4, 2), grid_points(4, 5, align_corners), grad=mode == "bilinear"),
                 ref=lambda x, g, k=kwargs: TF.grid_sample(x, g, **k))
case("grid_sample_one_pixel_wide", lambda x, g: F.grid_sample(x, g, align_corners=False),
     Arg((1, 2, 3, 1)), Arg((1, 2, 2, 2), grid_points(3, 1, False)),
     ref=lambda x, g: TF.grid_sample(x, g, align_corners=False))
case("grid_sample_only_grid_grad",
     lambda x, g: F.grid_sample(x, g, padding_mode="border", align_corners=True),
     Arg((2, 1, 5, 4), grad=False), Arg((2, 6, 3, 2), grid_points(5, 4, True)),
     ref=lambda x, g: TF.grid_sample(x, g, padding_mode="border", align_corners=True))

# ----- affine_grid: the base grid times theta; then sampled, as a spatial transformer does -----
for align_corners in (False, True):
    case(f"affine_grid_{'align' if align_corners else 'centres'}",
         lambda t, a=align_corners: F.affine_grid(t, [2, 3, 4, 5], align_corners=a), Arg((2, 2, 3)),
         ref=lambda t, a=align_corners: TF.affine_grid(t, [2, 3, 4, 5], align_corners=a))
case("affine_grid_then_grid_sample",
     lambda x, t: F.grid_sample(x, F.affine_grid(t, [2, 3, 6, 5], align_corners=False), align_corners=False),
     Arg((2, 3, 4, 4)), Arg((2, 2, 3), lambda rng, shape: np.array([[[0.9, 0.1, 0.05], [-0.1, 0.8, 0.1]]] * 2)
                                + rng.uniform(-0.02, 0.02, shape)),
     ref=lambda x, t: TF.grid_sample(x, TF.affine_grid(t, [2, 3, 6, 5], align_corners=False),
                                     align_corners=False))

# ----- pixel and channel rearranging: a permutation, so the gradient is one too -----
case("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), Arg((2, 8, 3, 2)),
     ref=lambda x: TF.pixel_shuffle(x, 2))
case("pixel_shuffle_extra_batch_dims", lambda x: F.pixel_shuffle(x, 3), Arg((2, 1, 9, 2, 1)),
     ref=lambda x: TF.pixel_shuffle(x, 3))
case("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), Arg((2, 3, 4, 6)),
     ref=lambda x: TF.pixel_unshuffle(x, 2))
case("pixel_unshuffle_unbatched", lambda x: F.pixel_unshuffle(x, 3), Arg((1, 3, 6)),
     ref=lambda x: TF.pixel_unshuffle(x, 3))
case("channel_shuffle", lambda x: F.channel_shuffle(x, 2), Arg((2, 6, 2, 3)),
     ref=lambda x: TF.channel_shuffle(x, 2))
case("channel_shuffle_1d", lambda x: F.channel_shuffle(x, 3), Arg((2, 6, 4)),
     ref=lambda x: TF.channel_shuffle(x, 3))

# ----- unfold / fold: each the other's gradient; overlapping blocks add up -----
for name, kwargs in (("plain", {"kernel_size": 2}),
                     ("all_options", {"kernel_size": (3, 2), "dilation": (2, 1), "padding": (1, 2),
                                      "stride": (2, 3)}),
                     ("padded_3x3", {"kernel_size": 3, "padding": 1})):
    case(f"unfold_{name}", lambda x, k=kwargs: F.unfold(x, **k), Arg((2, 3, 7, 6)),
         ref=lambda x, k=kwargs: TF.unfold(x, **k))
    kernel = np.broadcast_to(kwargs["kernel_size"], 2)
    blocks = np.prod([(size + 2 * np.broadcast_to(kwargs.get("padding", 0), 2)[a]
                       - np.broadcast_to(kwargs.get("dilation", 1), 2)[a] * (kernel[a] - 1) - 1)
                      // np.broadcast_to(kwargs.get("stride", 1), 2)[a] + 1 for a, size in enumerate((7, 6))])
    channels = 2 * int(np.prod(kernel))
    case(f"fold_{name}", lambda x, k=kwargs: F.fold(x, (7, 6), **k), Arg((2, channels, int(blocks))),
         ref=lambda x, k=kwargs: TF.fold(x, (7, 6), **k))
case("unfold_unbatched", lambda x: F.unfold(x, 2, stride=2), Arg((2, 4, 4)),
     ref=lambda x: TF.unfold(x, 2, stride=2))
case("fold_unbatched", lambda x: F.fold(x, 4, 2, stride=2), Arg((8, 4)),
     ref=lambda x: TF.fold(x, 4, 2, stride=2))

# ----- adaptive max pooling: distinct values, so each window's maximum is unique -----
for name, out in (("even", (2, 3)), ("overlapping", (3, 4)), ("keep_height", (None, 2)), ("global", 1)):
    case(f"adaptive_max_pool2d_{name}", lambda x, o=out: F.adaptive_max_pool2d(x, o),
         Arg((2, 3, 5, 6), spaced), ref=lambda x, o=out: TF.adaptive_max_pool2d(x, o))
case("adaptive_max_pool2d_unbatched", lambda x: F.adaptive_max_pool2d(x, 2), Arg((3, 5, 5), spaced),
     ref=lambda x: TF.adaptive_max_pool2d(x, 2))
case("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 3), Arg((2, 3, 7), spaced),
     ref=lambda x: TF.adaptive_max_pool1d(x, 3))

# ----- composites: LRN, LP pooling, bilinear -----
for size in (1, 2, 3):
    case(f"local_response_norm_size{size}", lambda x, s=size: F.local_response_norm(x, s, 0.1, 0.75, 1.5),
         Arg((2, 5, 3, 2)), ref=lambda x, s=size: TF.local_response_norm(x, s, 0.1, 0.75, 1.5))
case("local_response_norm_3d", lambda x: F.local_response_norm(x, 4, 0.2), Arg((2, 6, 3)),
     ref=lambda x: TF.local_response_norm(x, 4, 0.2))
case("local_response_norm_5d", lambda x: F.local_response_norm(x, 3, 0.2), Arg((2, 4, 2, 2, 3)),
     ref=lambda x: TF.local_response_norm(x, 3, 0.2))
case("lp_pool2d", lambda x: F.lp_pool2d(x, 2, 2), Arg((2, 3, 4, 5), positive),
     ref=lambda x: TF.lp_pool2d(x, 2, 2))
case("lp_pool2d_options", lambda x: F.lp_pool2d(x, 1.5, (2, 3), 1, True), Arg((2, 2, 4, 5), positive),
     ref=lambda x: TF.lp_pool2d(x, 1.5, (2, 3), 1, True))
case("lp_pool1d", lambda x: F.lp_pool1d(x, 3, 3, 2, True), Arg((2, 3, 8), positive),
     ref=lambda x: TF.lp_pool1d(x, 3, 3, 2, True))
case("bilinear", F.bilinear, Arg((4, 3)), Arg((4, 5)), Arg((2, 3, 5)), Arg((2,)),
     ref=lambda a, b, w, c: TF.bilinear(a, b, w, c))
case("bilinear_batch_dims_no_bias", F.bilinear, Arg((2, 3, 3)), Arg((2, 3, 4)), Arg((5, 3, 4)),
     ref=lambda a, b, w: TF.bilinear(a, b, w))
