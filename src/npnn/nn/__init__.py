"""Neural-network building blocks with PyTorch's names."""

from npnn.nn import functional, init, regularization, utils
from npnn.nn.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from npnn.nn.containers import ModuleList, Sequential
from npnn.nn.conv import Conv2d, MaxPool2d
from npnn.nn.layers import Dropout, Dropout2d, Flatten, Identity, LayerNorm, Linear
from npnn.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from npnn.nn.module import Module
from npnn.nn.normalization import BatchNorm1d, BatchNorm2d
from npnn.nn.parameter import Parameter
from npnn.nn.pooling import AdaptiveAvgPool2d, AvgPool2d

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d",
    "CELU", "Conv2d", "CrossEntropyLoss", "Dropout", "Dropout2d", "ELU", "Flatten", "GELU", "GLU",
    "Hardsigmoid", "Hardswish", "Hardtanh", "HuberLoss", "Identity", "KLDivLoss", "L1Loss",
    "LayerNorm", "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "MSELoss", "MaxPool2d", "Mish",
    "Module", "ModuleList", "NLLLoss", "PReLU", "Parameter", "ReLU", "ReLU6", "SELU", "Sequential",
    "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softmin", "Softplus", "Softsign", "Tanh",
    "Tanhshrink", "Threshold", "functional", "init", "regularization", "utils",
]
