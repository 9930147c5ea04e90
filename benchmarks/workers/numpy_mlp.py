"""A hand-written NumPy MLP with no autograd: the floor an npnn step could reach in NumPy.

Written for this benchmark only (it imports nothing from npnn). What makes it fast:
- every array is allocated once; each step writes into views of those buffers (`out=`), the
  last, smaller batch into a leading slice of them;
- weights are stored (in, out), so the forward gemm is `x @ W` and the backward ones take
  transposed views, which BLAS reads without a copy;
- all parameters, gradients and optimizer moments are views of one flat float32 array each,
  so an optimizer step is a handful of whole-array ufunc calls, not a handful per parameter;
- Adam keeps m' = m/(1-b1) and v' = v/(1-b2), which saves the two scalings per step and
  folds the constants into one step size (the same update, reordered);
- subnormal floats, which make NumPy arithmetic several times slower, are avoided: logits
  are clamped at max - 80 before exp (a probability below e^-80 then reads 1.8e-35, still
  normal), and every 50 steps moments below float32's smallest normal are set to 0
  (they belong to units that stopped receiving gradient, such as dead ReLUs).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from common import Spec, batch_slices, epoch_order, load_data, measure, parse_spec

FLUSH_EVERY = 50
TINY = np.finfo(np.float32).tiny
LOGIT_FLOOR = -80.0


class FlatParameters:
    """Weights (in, out) and biases of every layer as views into one flat array, with grads alike."""

    def __init__(self, spec: Spec, rng: np.random.Generator) -> None:
        shapes = [shape for fan_in, fan_out in spec.layers for shape in ((fan_in, fan_out), (fan_out,))]
        total = sum(int(np.prod(shape)) for shape in shapes)
        self.flat = np.empty(total, np.float32)
        self.grad_flat = np.zeros(total, np.float32)
        self.values, self.grads = self._views(self.flat, shapes), self._views(self.grad_flat, shapes)
        for layer, (fan_in, _) in enumerate(spec.layers):  # PyTorch's default: U(±1/sqrt(fan_in))
            for value in self.values[2 * layer : 2 * layer + 2]:
                value[...] = rng.uniform(-1.0, 1.0, value.shape) / np.sqrt(fan_in)

    @staticmethod
    def _views(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
        views, offset = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            views.append(flat[offset:offset + size].reshape(shape))
            offset += size
        return views


class Network:
    """Forward, softmax cross-entropy and backward of a ReLU MLP into preallocated buffers."""

    def __init__(self, sizes: tuple[int, ...], batch_size: int, params: FlatParameters) -> None:
        self.params = params
        self.layers = len(sizes) - 1
        # outputs[i] is layer i's output (post-ReLU for hidden layers); inputs[0] is the batch
        self.inputs = [np.empty((batch_size, sizes[0]), np.float32)]
        self.outputs = [np.empty((batch_size, size), np.float32) for size in sizes[1:]]
        self.inputs += self.outputs[:-1]
        self.grad_outputs = [np.empty((batch_size, size), np.float32) for size in sizes[1:]]
        self.masks = [np.empty((batch_size, size), bool) for size in sizes[1:-1]]
        self.row = np.empty((batch_size, 1), np.float32)
        self.rows = np.arange(batch_size)

    def forward(self, n: int) -> None:
        for i in range(self.layers):
            weight, bias = self.params.values[2 * i], self.params.values[2 * i + 1]
            out = self.outputs[i][:n]
            np.matmul(self.inputs[i][:n], weight, out=out)
            out += bias
            if i < self.layers - 1:
                np.maximum(out, 0, out=out)

    def loss_and_grad(self, n: int, labels: np.ndarray) -> float:
        """Mean cross-entropy of the logits; leaves d(loss)/d(logits) in grad_outputs[-1]."""
        logits, row, grad = self.outputs[-1][:n], self.row[:n], self.grad_outputs[-1][:n]
        rows = self.rows[:n]
        np.max(logits, axis=1, keepdims=True, out=row)
        logits -= row  # subtract the row max for stability
        np.maximum(logits, LOGIT_FLOOR, out=logits)  # keeps exp() out of the subnormal range
        np.exp(logits, out=grad)
        np.sum(grad, axis=1, keepdims=True, out=row)
        picked = logits[rows, labels]
        loss = float(np.mean(np.log(row[:, 0]) - picked))
        grad /= row
        grad[rows, labels] -= 1
        grad *= np.float32(1.0 / n)
        return loss

    def backward(self, n: int) -> None:
        for i in reversed(range(self.layers)):
            grad_out = self.grad_outputs[i][:n]
            np.matmul(self.inputs[i][:n].T, grad_out, out=self.params.grads[2 * i])
            np.sum(grad_out, axis=0, out=self.params.grads[2 * i + 1])
            if i > 0:
                grad_in, mask = self.grad_outputs[i - 1][:n], self.masks[i - 1][:n]
                np.matmul(grad_out, self.params.values[2 * i].T, out=grad_in)
                np.greater(self.inputs[i][:n], 0, out=mask)
                np.multiply(grad_in, mask, out=grad_in)  # ReLU's derivative


class FlatOptimizer:
    """Base for in-place optimizers over one flat parameter array; subclasses write `update`."""

    def __init__(self, params: FlatParameters) -> None:
        self.param, self.grad = params.flat, params.grad_flat
        self.temp = np.empty_like(self.param)
        self.mask = np.empty(self.param.shape, bool)
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        self.update()
        if self.steps % FLUSH_EVERY == 0:
            for moment in self.moments():
                np.abs(moment, out=self.temp)
                np.less(self.temp, TINY, out=self.mask)
                np.copyto(moment, 0, where=self.mask)

    def update(self) -> None:
        raise NotImplementedError

    def moments(self) -> list[np.ndarray]:
        raise NotImplementedError


class Adam(FlatOptimizer):
    """PyTorch's Adam with m' = m/(1-b1), v' = v/(1-b2): the constants move into the step size."""

    def __init__(self, params: FlatParameters, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        super().__init__(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m, self.v = np.zeros_like(self.param), np.zeros_like(self.param)

    def update(self) -> None:
        beta1, beta2 = self.betas
        correction1, correction2 = 1 - beta1**self.steps, 1 - beta2**self.steps
        self.m *= beta1
        self.m += self.grad
        np.multiply(self.grad, self.grad, out=self.temp)
        self.v *= beta2
        self.v += self.temp
        # p -= lr/c1 * m / (sqrt(v/c2) + eps), rewritten in m' and v'
        scale = np.sqrt((1 - beta2) / correction2)
        step_size = self.lr * (1 - beta1) / correction1
        np.sqrt(self.v, out=self.temp)
        self.temp *= np.float32(scale / step_size)
        self.temp += np.float32(self.eps / step_size)
        np.divide(self.m, self.temp, out=self.temp)
        self.param -= self.temp

    def moments(self) -> list[np.ndarray]:
        return [self.m, self.v]


class SGD(FlatOptimizer):
    """SGD with PyTorch's momentum: b = mu*b + g, p -= lr*b."""

    def __init__(self, params: FlatParameters, lr: float, momentum: float) -> None:
        super().__init__(params)
        self.lr, self.momentum = lr, momentum
        self.buffer = np.zeros_like(self.param)

    def update(self) -> None:
        self.buffer *= np.float32(self.momentum)
        self.buffer += self.grad
        np.multiply(self.buffer, np.float32(self.lr), out=self.temp)
        self.param -= self.temp

    def moments(self) -> list[np.ndarray]:
        return [self.buffer]


def trainer(spec: Spec, images: np.ndarray, labels: np.ndarray) -> Callable[[int], float]:
    """The epoch function: shuffled gather into the input buffer, forward, backward, update."""
    params = FlatParameters(spec, np.random.default_rng(spec.seed))
    net = Network(spec.sizes, spec.batch_size, params)
    optimizer: FlatOptimizer = (Adam(params, spec.lr) if spec.optimizer == "adam"
                                else SGD(params, spec.lr, spec.momentum))

    def train_epoch(epoch: int) -> float:
        order = epoch_order(len(labels), spec.seed, epoch)
        total = 0.0
        for batch in batch_slices(len(labels), spec.batch_size):
            index = order[batch]
            n = len(index)
            np.take(images, index, axis=0, out=net.inputs[0][:n], mode="clip")  # 'raise' would buffer
            net.forward(n)
            total += net.loss_and_grad(n, labels[index]) * n
            net.backward(n)
            optimizer.step()
        return total / len(labels)

    return train_epoch


def main() -> None:
    spec = parse_spec()
    images, labels = load_data(spec)
    measure(spec, trainer(spec, images, labels))


if __name__ == "__main__":
    main()
