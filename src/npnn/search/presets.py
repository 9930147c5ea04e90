"""Named search spaces: the original system's two grids, a wider search for the best MLP, and one
for the best CNN."""

from __future__ import annotations

from npnn.search.space import Param, SearchSpace, SpaceError

# What the original's grids left implicit: Adam, no dropout, plain NLL. The rest is npnn's
# training procedure: standardized pixels, shuffling, PyTorch's initialisation, no ReLU before
# LogSoftmax, and the cosine learning-rate decay per step (`--schedule constant` keeps the
# original's constant rate: on search 2 that gives 86.1% instead of 87.9% at best).
ORIGINAL_FIXED = {"optimizer": "adam", "dropout": 0.0, "label_smoothing": 0.0,
                  "schedule": "cosine", "standardize": True}


def _layouts(pairs: list[tuple[list[int], int]]) -> Param:
    """The original coupled each hidden layout with one batch size."""
    return Param("layout", tuple({"hidden": hidden, "batch_size": batch} for hidden, batch in pairs))


def _l2(strengths: list[float]) -> Param:
    none = {"regularization": "none", "reg_strength": 0.0}
    return Param("regularization", (none, *({"regularization": "l2", "reg_strength": s} for s in strengths)))


def _original_grid(pairs: list[tuple[list[int], int]], lrs: tuple[float, ...],
                   strengths: list[float], epochs: int, description: str) -> SearchSpace:
    """(layout, batch) pairs × learning rates × (none or L2 strengths), as the original's grids."""
    return SearchSpace(params=[_layouts(pairs), Param("lr", lrs), _l2(strengths)],
                       fixed={**ORIGINAL_FIXED, "epochs": epochs}, sampler="grid",
                       description=description)


def original_1() -> SearchSpace:
    """Search 1: mostly two hidden layers, 1 epoch per trial, 6 × 5 × 4 = 120 trials."""
    return _original_grid(
        [([512, 256], 2), ([256, 128], 4), ([256, 64], 8), ([128, 64], 8), ([256], 8), ([128], 16)],
        (0.002, 0.004, 0.006, 0.008, 0.010), [0.1, 0.01, 0.001], epochs=1,
        description="the original's search 1 (two hidden layers mostly, 1 epoch per trial)")


def original_2() -> SearchSpace:
    """Search 2: one hidden layer, 3 epochs per trial, 3 × 10 × 5 = 150 trials."""
    return _original_grid(
        [([384], 3), ([256], 8), ([128], 16)],
        (0.002, 0.004, 0.006, 0.008, 0.010, 0.012, 0.014, 0.016, 0.018, 0.020),
        [0.1, 0.01, 0.005, 0.001], epochs=3,
        description="the original's search 2 (one hidden layer, 3 epochs per trial)")


def wide() -> SearchSpace:
    """A TPE search over everything that matters for the best MLP (about 50 trials is useful)."""
    return SearchSpace(
        params=[
            Param("hidden", ([512, 256], [1024], [1024, 512], [1024, 1024], [2048, 1024],
                             [1024, 512, 256])),
            Param("lr", low=2e-4, high=3e-3, log=True),
            Param("batch_size", (64, 128, 256)),
            Param("dropout", low=0.0, high=0.5),
            Param("label_smoothing", (0.0, 0.05, 0.1)),
            Param("epochs", (20, 30, 40)),
            _l2([1e-5, 1e-4]),
        ],
        fixed={"optimizer": "adam", "schedule": "cosine", "standardize": True},
        sampler="tpe",
        description="a wide TPE search for the best MLP",
    )


def cnn() -> SearchSpace:
    """A TPE search over the CNN's shape, its augmentation and the optimization (about 30 trials;
    each trains a CNN, minutes apiece on NumPy)."""
    no_augment = {"augment": False}
    return SearchSpace(
        params=[
            Param("channels", ([16, 32], [32, 64], [32, 64, 128], [48, 96, 192], [64, 128])),
            Param("kernel_size", (3, 5)),
            Param("batch_norm", (True, False)),
            Param("cnn_hidden", ([128], [256], [256, 128])),
            Param("lr", low=3e-4, high=3e-3, log=True),
            Param("batch_size", (64, 128)),
            Param("dropout", low=0.0, high=0.5),
            Param("augmentation", (no_augment, {"augment": True, "augment_shift": 0, "augment_flip": True},
                                   {"augment": True, "augment_shift": 2},
                                   {"augment": True, "augment_shift": 2, "augment_erase": 0.5})),
            Param("epochs", (10, 15, 20)),
        ],
        fixed={"model": "cnn", "optimizer": "adam", "schedule": "cosine", "standardize": True},
        sampler="tpe",
        description="a TPE search for the best CNN",
    )


PRESETS = {"original-1": original_1, "original-2": original_2, "wide": wide, "cnn": cnn}


def preset(name: str) -> SearchSpace:
    if name not in PRESETS:
        raise SpaceError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return PRESETS[name]()
