"""`npnn.backends.cudnn`: the cuDNN switches that training scripts set (`deterministic`,
`benchmark`). npnn does not use cuDNN, so they are plain attributes that change nothing:
npnn's ops give the same results run after run whatever they hold.
"""

deterministic: bool = False
benchmark: bool = False
enabled: bool = True
allow_tf32: bool = True


def is_available() -> bool:
    """False: npnn never calls cuDNN (as a CPU build of PyTorch)."""
    return False


def version() -> None:
    """None: no cuDNN is loaded (as a CPU build of PyTorch)."""
    return None
