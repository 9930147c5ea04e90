"""Small grids on a data subset, so that a whole search runs in seconds."""

from npnn.search.space import Param, SearchSpace

FIXED = {"hidden": [16], "batch_size": 100, "epochs": 1, "train_subset": 400, "dropout": 0.0,
         "label_smoothing": 0.0, "schedule": "constant"}


def small_space(extra_lr=()):
    """lr × regularization: 2 × 2 points, plus one per extra learning rate."""
    return SearchSpace([Param("lr", (0.003, 0.01, *extra_lr)),
                        Param("regularization", ({"regularization": "none", "reg_strength": 0.0},
                                                 {"regularization": "l2", "reg_strength": 0.01}))],
                       fixed=dict(FIXED), sampler="grid", description="test grid")
