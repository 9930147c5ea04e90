"""`npnn.backends.mps`: Apple's Metal backend, which npnn does not have (always False).

On a Mac npnn runs on the CPU through NumPy; use `device = "cpu"`.
"""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
