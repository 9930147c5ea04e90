"""Gradient clipping, parameter/vector conversion and rnn.pad_sequence (as torch.nn.utils)."""

from npnn.nn.utils import rnn
from npnn.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from npnn.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "rnn",
           "vector_to_parameters"]
