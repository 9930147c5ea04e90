"""scikit-learn's MLPClassifier: one `partial_fit` call is one shuffled epoch of mini-batches.

float32 input keeps sklearn in float32; alpha=0 turns off its default L2 penalty, and SGD uses
plain (not Nesterov) momentum with a constant rate, so both optimizers match the other rows.
"""

from __future__ import annotations

import warnings

import numpy as np
from common import load_data, measure, parse_spec
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def main() -> None:
    spec = parse_spec()
    images, labels = load_data(spec)
    solver = {"solver": "adam"} if spec.optimizer == "adam" else {
        "solver": "sgd", "momentum": spec.momentum, "nesterovs_momentum": False, "learning_rate": "constant"}
    model = MLPClassifier(hidden_layer_sizes=spec.hidden, activation="relu", alpha=0.0,
                          batch_size=spec.batch_size, learning_rate_init=spec.lr, shuffle=True,
                          random_state=spec.seed, **solver)
    classes = np.arange(10)

    def train_epoch(epoch: int) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(images, labels, classes=classes)
        return float(model.loss_)

    measure(spec, train_epoch, lambda: {"dtype": str(model.coefs_[0].dtype)})  # float32 expected


if __name__ == "__main__":
    main()
