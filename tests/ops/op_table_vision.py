"""Op-table rows (registered by op_table.py) for the image layers of spatial transformers and
super-resolution nets: affine_grid, grid_sample, and the rearranging, patch and pooling ops."""

from __future__ import annotations

import numpy as np
from op_case import TF, Arg, case

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
