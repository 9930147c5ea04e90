"""`npnn.amp`: PyTorch's mixed-precision names, so `autocast` / `GradScaler` training loops run.

npnn computes in each tensor's own dtype and has no bfloat16, so it cannot autocast: an
enabled autocast to a 16-bit dtype is refused by name (convert the model with `.half()`
instead), while `enabled=False` and the cases PyTorch itself disables run as no-ops.
GradScaler does its real arithmetic (scale, unscale, skip steps with inf/NaN gradients,
grow/back off the scale), as PyTorch's on the CPU.
"""

from npnn.amp.autocast_mode import autocast, is_autocast_enabled
from npnn.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "is_autocast_enabled"]
