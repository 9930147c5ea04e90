"""Op-table rows (registered by op_table.py) for the layers of autoencoders, GANs and U-Nets:
transposed convolution, interpolation (nearest and bilinear), group and instance norm, and
the 1-D convolution and pooling built on the 2-D ones; grouped and depthwise convolutions."""

from __future__ import annotations

from op_case import TF, Arg, case, spaced

from npnn import ops
from npnn.nn import functional as F

# ----- conv_transpose2d: the forward is conv2d's input gradient; output_padding adds rows -----
case("conv_transpose2d", F.conv_transpose2d, Arg((2, 3, 4, 5)), Arg((3, 2, 3, 3)), Arg((2,)),
     ref=lambda x, w, b: TF.conv_transpose2d(x, w, b))
case("conv_transpose2d_stride_padding_output_padding",
     lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
     Arg((2, 4, 3, 4)), Arg((4, 3, 3, 3)), Arg((3,)),
     ref=lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1))
case("conv_transpose2d_dcgan_4x4_s2_p1", lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1),
     Arg((2, 5, 3, 3)), Arg((5, 4, 4, 4)),
     ref=lambda x, w: TF.conv_transpose2d(x, w, stride=2, padding=1))
case("conv_transpose2d_pairs_dilation",
     lambda x, w: F.conv_transpose2d(x, w, stride=(2, 1), padding=(1, 0), output_padding=(1, 1), dilation=2),
     Arg((1, 2, 4, 3)), Arg((2, 3, 2, 3)),
     ref=lambda x, w: TF.conv_transpose2d(x, w, stride=(2, 1), padding=(1, 0), output_padding=(1, 1),
                                          dilation=2))
case("conv_transpose2d_stride_beyond_kernel_one_channel",
     lambda x, w, b: F.conv_transpose2d(x, w, b, stride=3), Arg((2, 1, 3, 2)), Arg((1, 1, 2, 2)), Arg((1,)),
     ref=lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=3))
case("conv_transpose2d_unbatched", lambda x, w: F.conv_transpose2d(x, w, stride=2), Arg((3, 2, 3)),
     Arg((3, 2, 2, 2)), ref=lambda x, w: TF.conv_transpose2d(x, w, stride=2))
case("conv_transpose2d_only_weight_grad", F.conv_transpose2d, Arg((2, 3, 3, 3), grad=False),
     Arg((3, 2, 2, 2)), ref=lambda x, w: TF.conv_transpose2d(x, w))

# ----- interpolate: PyTorch's output-size and source-index rules, integer and not -----
for name, kwargs in (("nearest_x2", {"scale_factor": 2}),
                     ("nearest_x1_5", {"scale_factor": 1.5}),
                     ("nearest_pair_down_up", {"scale_factor": (0.7, 2.3)}),
                     ("nearest_size", {"size": (7, 3)}),
                     ("bilinear_x2", {"scale_factor": 2, "mode": "bilinear"}),
                     ("bilinear_x1_7", {"scale_factor": 1.7, "mode": "bilinear"}),
                     ("bilinear_recomputed", {"scale_factor": 1.7, "mode": "bilinear",
                                              "recompute_scale_factor": True}),
                     ("bilinear_size_down", {"size": (3, 2), "mode": "bilinear"}),
                     ("bilinear_align_corners", {"size": (7, 9), "mode": "bilinear", "align_corners": True}),
                     ("bilinear_align_corners_x2_5", {"scale_factor": 2.5, "mode": "bilinear",
                                                      "align_corners": True})):
    case(f"interpolate_{name}", lambda x, k=kwargs: F.interpolate(x, **k), Arg((2, 3, 4, 5)),
         ref=lambda x, k=kwargs: TF.interpolate(x, **k))

for name, kwargs in (("nearest_1d_x1_5", {"scale_factor": 1.5}), ("nearest_1d_size", {"size": 11}),
                     ("linear_1d_x2_5", {"scale_factor": 2.5, "mode": "linear"}),
                     ("linear_1d_align_corners", {"size": (4,), "mode": "linear", "align_corners": True})):
    case(f"interpolate_{name}", lambda x, k=kwargs: F.interpolate(x, **k), Arg((2, 3, 5)),
         ref=lambda x, k=kwargs: TF.interpolate(x, **k))

# ----- group and instance norm: statistics per sample -----
case("group_norm_affine", lambda x, w, b: F.group_norm(x, 2, w, b), Arg((3, 4, 3, 2)), Arg((4,)), Arg((4,)),
     ref=lambda x, w, b: TF.group_norm(x, 2, w, b))
case("group_norm_plain_3d", lambda x: F.group_norm(x, 3, eps=1e-3), Arg((2, 6, 5)),
     ref=lambda x: TF.group_norm(x, 3, eps=1e-3))
case("group_norm_one_group", lambda x, w: F.group_norm(x, 1, w), Arg((2, 3, 2, 2)), Arg((3,)),
     ref=lambda x, w: TF.group_norm(x, 1, w))
case("instance_norm", F.instance_norm, Arg((2, 3, 4, 3)), ref=lambda x: TF.instance_norm(x))
case("instance_norm_affine", lambda x, w, b: F.instance_norm(x, weight=w, bias=b), Arg((2, 3, 3, 3)),
     Arg((3,)), Arg((3,)), ref=lambda x, w, b: TF.instance_norm(x, weight=w, bias=b))

# ----- 1-D convolution and pooling: the 2-D ops on a height-1 image -----
case("conv1d", F.conv1d, Arg((2, 3, 7)), Arg((4, 3, 3)), Arg((4,)), ref=lambda x, w, b: TF.conv1d(x, w, b))
case("conv1d_stride_padding_dilation", lambda x, w: F.conv1d(x, w, stride=2, padding=2, dilation=2),
     Arg((2, 2, 9)), Arg((3, 2, 3)), ref=lambda x, w: TF.conv1d(x, w, stride=2, padding=2, dilation=2))
case("conv1d_unbatched", F.conv1d, Arg((3, 6)), Arg((2, 3, 2)), ref=lambda x, w: TF.conv1d(x, w))
case("max_pool1d", lambda x: F.max_pool1d(x, 2), Arg((2, 3, 7), spaced), ref=lambda x: TF.max_pool1d(x, 2))
case("max_pool1d_stride_padding", lambda x: F.max_pool1d(x, 3, 2, 1), Arg((2, 2, 8), spaced),
     ref=lambda x: TF.max_pool1d(x, 3, 2, 1))
case("avg_pool1d", lambda x: F.avg_pool1d(x, 2), Arg((2, 3, 7)), ref=lambda x: TF.avg_pool1d(x, 2))
case("avg_pool1d_ceil_exclude_pad", lambda x: F.avg_pool1d(x, 3, 2, 1, True, False), Arg((3, 8)),
     ref=lambda x: TF.avg_pool1d(x, 3, 2, 1, True, False))

# ----- groups: channel group g meets only output group g; depthwise (C/groups = 1) has its own kernel -----
for name, kwargs in (("groups2", {"groups": 2}),
                     ("groups2_stride_padding", {"groups": 2, "stride": 2, "padding": 1}),
                     ("groups4_depthwise", {"groups": 4}),
                     ("depthwise_stride_padding_dilation", {"groups": 4, "stride": (2, 1), "padding": 2,
                                                            "dilation": (1, 2)})):
    size = 4 // kwargs["groups"]
    case(f"conv2d_{name}", lambda x, w, b, k=kwargs: ops.conv2d(x, w, b, **k), Arg((2, 4, 6, 5)),
         Arg((6 if size == 2 else 4, size, 3, 2)), Arg((6 if size == 2 else 4,)),
         ref=lambda x, w, b, k=kwargs: TF.conv2d(x, w, b, **k))
case("conv2d_depthwise_multiplier2_no_bias", lambda x, w: ops.conv2d(x, w, padding=1, groups=3),
     Arg((2, 3, 5, 4)), Arg((6, 1, 3, 3)), ref=lambda x, w: TF.conv2d(x, w, padding=1, groups=3))
case("conv2d_depthwise_only_weight_grad", lambda x, w: ops.conv2d(x, w, stride=2, groups=2),
     Arg((2, 2, 5, 5), grad=False), Arg((2, 1, 3, 3)), ref=lambda x, w: TF.conv2d(x, w, stride=2, groups=2))
case("conv2d_groups3_only_input_grad", lambda x, w: ops.conv2d(x, w, padding=1, groups=3),
     Arg((1, 6, 4, 4)), Arg((3, 2, 3, 3), grad=False), ref=lambda x, w: TF.conv2d(x, w, padding=1, groups=3))
case("conv1d_groups2", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2), Arg((2, 4, 9)),
     Arg((6, 2, 3)), Arg((6,)), ref=lambda x, w, b: TF.conv1d(x, w, b, stride=2, padding=1, groups=2))
case("conv1d_depthwise_multiplier2", lambda x, w: F.conv1d(x, w, dilation=2, groups=3), Arg((2, 3, 9)),
     Arg((6, 1, 3)), ref=lambda x, w: TF.conv1d(x, w, dilation=2, groups=3))
case("conv_transpose2d_groups2", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                                    output_padding=1, groups=2),
     Arg((2, 4, 3, 4)), Arg((4, 3, 3, 3)), Arg((6,)),
     ref=lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2))
case("conv_transpose2d_depthwise_dilation", lambda x, w: F.conv_transpose2d(x, w, groups=3, dilation=2),
     Arg((2, 3, 3, 3)), Arg((3, 2, 2, 2)), ref=lambda x, w: TF.conv_transpose2d(x, w, groups=3, dilation=2))
case("conv_transpose2d_groups2_unbatched", lambda x, w: F.conv_transpose2d(x, w, groups=2), Arg((4, 3, 2)),
     Arg((4, 1, 2, 3)), ref=lambda x, w: TF.conv_transpose2d(x, w, groups=2))
