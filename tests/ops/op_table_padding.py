"""Op-table rows (registered by op_table.py) for F.pad's modes and the convolutions' string
padding: reflect, replicate and circular over 1-3 dims (their backward sums the border copies),
constant padding that crops, and conv1d/conv2d padding='same' (uneven for even kernels) and
'valid'."""

from __future__ import annotations

from op_case import TF, Arg, case

from npnn.nn import functional as F

# ----- the border modes: 1, 2 and 3 padded dims, batched and not, wider than half the size -----
for mode in ("reflect", "replicate", "circular"):
    for name, shape, pad in (("1d", (2, 3, 5), (2, 3)),
                             ("1d_unbatched", (3, 4), (3, 1)),
                             ("2d", (2, 2, 4, 5), (1, 2, 3, 0)),
                             ("2d_unbatched", (2, 3, 4), (2, 2, 1, 2)),
                             ("3d", (1, 2, 3, 4, 3), (1, 1, 0, 2, 2, 1)),
                             ("2d_crops_one_side", (2, 2, 4, 5), (-1, 2, 2, -2))):
        case(f"pad_{mode}_{name}", lambda x, p=pad, m=mode: F.pad(x, p, mode=m), Arg(shape),
             ref=lambda x, p=pad, m=mode: TF.pad(x, p, mode=m))
case("pad_replicate_wider_than_input", lambda x: F.pad(x, (6, 4), mode="replicate"), Arg((2, 3)),
     ref=lambda x: TF.pad(x, (6, 4), mode="replicate"))
case("pad_circular_whole_size", lambda x: F.pad(x, (4, 4, 3, 3), mode="circular"), Arg((1, 2, 3, 4)),
     ref=lambda x: TF.pad(x, (4, 4, 3, 3), mode="circular"))

# ----- constant padding: negative widths crop, as PyTorch's constant_pad_nd -----
case("pad_constant_crops", lambda x: F.pad(x, (-1, 2, 1, -2), value=0.5), Arg((2, 3, 4, 5)),
     ref=lambda x: TF.pad(x, (-1, 2, 1, -2), value=0.5))
case("pad_constant_crops_to_one", lambda x: F.pad(x, (-2, -2)), Arg((3, 5)),
     ref=lambda x: TF.pad(x, (-2, -2)))

# ----- conv padding='same' (half before, the odd rest after) and 'valid' -----
for name, kernel, dilation in (("odd", (3, 3), 1), ("even", (4, 2), 1), ("even_dilated", (2, 3), (3, 2))):
    case(f"conv2d_same_{name}", lambda x, w, b, d=dilation: F.conv2d(x, w, b, padding="same", dilation=d),
         Arg((2, 3, 5, 6)), Arg((4, 3, *kernel)), Arg((4,)),
         ref=lambda x, w, b, d=dilation: TF.conv2d(x, w, b, padding="same", dilation=d))
case("conv2d_valid", lambda x, w: F.conv2d(x, w, padding="valid"), Arg((2, 2, 5, 4)), Arg((3, 2, 2, 3)),
     ref=lambda x, w: TF.conv2d(x, w, padding="valid"))
case("conv1d_same_even", lambda x, w, b: F.conv1d(x, w, b, padding="same", dilation=3), Arg((2, 3, 7)),
     Arg((2, 3, 4)), Arg((2,)), ref=lambda x, w, b: TF.conv1d(x, w, b, padding="same", dilation=3))
case("conv1d_valid_unbatched", lambda x, w: F.conv1d(x, w, padding="valid"), Arg((3, 6)), Arg((2, 3, 3)),
     ref=lambda x, w: TF.conv1d(x, w, padding="valid"))
