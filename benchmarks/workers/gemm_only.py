"""The matrix products alone: the gemms of forward and backward for the same shapes, per epoch.

Per batch of n rows and each layer (in, out): forward (n, in) @ (in, out); backward the weight
gradient (in, n) @ (n, out) and, below the top layer's input, (n, out) @ (out, in). This is the
BLAS time every framework must spend, so 1 - this / a framework's time is its time elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from common import Spec, batch_slices, load_data, measure, parse_spec


def trainer(spec: Spec, images: np.ndarray) -> Callable[[int], float]:
    rng = np.random.default_rng(spec.seed)
    sizes, batch = spec.sizes, spec.batch_size
    weights = [rng.standard_normal(shape, np.float32) / np.float32(np.sqrt(shape[0]))
               for shape in spec.layers]
    weight_grads = [np.empty_like(w) for w in weights]
    # real images in, normal values elsewhere: no zeros or subnormals to flatter the timing
    activations = [np.ascontiguousarray(images[:batch])]
    activations += [rng.standard_normal((batch, size), np.float32) for size in sizes[1:]]
    grads = [rng.standard_normal((batch, size), np.float32) for size in sizes]

    def epoch(_epoch: int) -> float:
        for rows in batch_slices(len(images), batch):
            n = rows.stop - rows.start
            for i, weight in enumerate(weights):
                np.matmul(activations[i][:n], weight, out=activations[i + 1][:n])
            for i in reversed(range(len(weights))):
                np.matmul(activations[i][:n].T, grads[i + 1][:n], out=weight_grads[i])
                if i > 0:
                    np.matmul(grads[i + 1][:n], weights[i].T, out=grads[i][:n])
        return float("nan")

    return epoch


def main() -> None:
    spec = parse_spec()
    images, _ = load_data(spec)
    measure(spec, trainer(spec, images))


if __name__ == "__main__":
    main()
