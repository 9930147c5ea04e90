"""torch.nn.utils.rnn's names: pad_sequence; the PackedSequence functions raise.

npnn's recurrent layers take padded (seq, batch, features) tensors only: a PackedSequence
(which lets PyTorch stop each sequence at its own length) is not supported. Pad the batch with
pad_sequence, run the full length, and read each sequence's last real step from the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from npnn import ops
from npnn._tensor import Tensor

_PACKED = ("{name}: PackedSequence is not supported in npnn; pad the batch with "
           "npnn.nn.utils.rnn.pad_sequence, run the full length and read each sequence's last real "
           "step from the output (output[lengths - 1, arange(batch)])")


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shape (L_i, *) into (max L, batch, *) (or (batch, max L, *)), padded."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(ops.pad(s, widths, value=padding_value) if extra else s)
    return ops.stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input: Any, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> Any:
    raise NotImplementedError(_PACKED.format(name="pack_padded_sequence"))


def pack_sequence(sequences: Any, enforce_sorted: bool = True) -> Any:
    raise NotImplementedError(_PACKED.format(name="pack_sequence"))


def pad_packed_sequence(sequence: Any, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> Any:
    raise NotImplementedError(_PACKED.format(name="pad_packed_sequence"))
