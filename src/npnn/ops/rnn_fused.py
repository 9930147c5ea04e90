"""Fused recurrences: one graph node per layer and direction, with backpropagation through time
written by hand (a 28-step LSTM is one node, not ~400).

Each takes the projected input `gi` (seq, batch, gates·hidden) = x @ W_ih.T + b_ih, the initial
state(s) (batch, hidden), W_hh and optionally b_hh; `reverse=True` runs from the last step to
the first. The outputs are in time order. LSTMLayer returns one array of shape
(seq + 1, batch, hidden): the h of every step and, last, the final c (a Function has one output).
"""

from __future__ import annotations

from npnn import backend
from npnn.autograd.function import Function


def _order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _hidden_grads(node: Function, grad_gi, grad_gh, grad_h0, h_prev, w_shape, extra=()):
    """The gradients of (gi, h0, *extra, W_hh, b_hh) from the per-step gate gradients."""
    rows = w_shape[0]
    grad_w = grad_b = None
    if node.needs_input_grad[2 + len(extra)]:
        grad_w = grad_gh.reshape(-1, rows).T @ h_prev.reshape(-1, w_shape[1])
    if len(node.needs_input_grad) == 4 + len(extra) and node.needs_input_grad[-1]:
        grad_b = grad_gh.reshape(-1, rows).sum(axis=0)
    grads = (grad_gi, grad_h0, *extra, grad_w)
    return grads if len(node.needs_input_grad) == 3 + len(extra) else (*grads, grad_b)


class RNNLayer(Function):
    """h_t = act(gi_t + h_{t-1} W_hh.T + b_hh), act tanh or relu."""

    def forward(self, gi, h0, w_hh, b_hh=None, reverse=False, relu=False):
        xp = backend.get_array_module(gi)
        self.w_hh, self.reverse, self.relu = w_hh, reverse, relu
        self.outputs = xp.empty(gi.shape, dtype=gi.dtype)
        self.h_prev = xp.empty(gi.shape, dtype=gi.dtype)
        h, w_t = h0, w_hh.T
        for t in _order(gi.shape[0], reverse):
            self.h_prev[t] = h
            pre = gi[t] + h @ w_t
            if b_hh is not None:
                pre += b_hh
            h = self.outputs[t] = xp.maximum(pre, 0) if relu else xp.tanh(pre)
        return self.outputs

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad_gi = xp.empty_like(self.outputs)
        grad_h = xp.zeros_like(self.outputs[0])
        for t in _order(self.outputs.shape[0], not self.reverse):
            h = self.outputs[t]
            grad = grad_output[t] + grad_h
            da = grad_gi[t] = grad * (h > 0) if self.relu else grad * (1 - h * h)
            grad_h = da @ self.w_hh
        return _hidden_grads(self, grad_gi, grad_gi, grad_h, self.h_prev, self.w_hh.shape)


class LSTMLayer(Function):
    """Gates i, f, g, o: c_t = σ(f)c + σ(i)tanh(g), h_t = σ(o)tanh(c_t).

    A step's three sigmoids and its tanh are one tanh over all gates, σ(x) = (1 + tanh(x/2))/2,
    with the halving folded into the input and W_hh once (exact: a power of two). The backward
    computes every factor that does not depend on the incoming gradient for all steps at once,
    so its loop does a handful of array operations a step besides the product.
    """

    def forward(self, gi, h0, c0, w_hh, b_hh=None, reverse=False):
        xp = backend.get_array_module(gi)
        steps, batch, rows = gi.shape
        hidden = rows // 4
        self.w_hh, self.reverse = w_hh, reverse
        scale = xp.full(rows, 0.5, dtype=gi.dtype)
        scale[2 * hidden:3 * hidden] = 1
        offset = 0.5 * (scale != 1).astype(gi.dtype)
        gates = self.gates = (gi + b_hh) * scale if b_hh is not None else gi * scale
        w_t = (w_hh * scale[:, None]).T
        packed = xp.empty((steps + 1, batch, hidden), dtype=gi.dtype)
        self.h_prev = xp.empty((steps, batch, hidden), dtype=gi.dtype)
        self.c_prev, self.tanh_c = xp.empty_like(self.h_prev), xp.empty_like(self.h_prev)
        product = xp.empty((batch, rows), dtype=gi.dtype)
        h, c = h0, c0
        for t in _order(steps, reverse):
            self.h_prev[t], self.c_prev[t] = h, c
            a = gates[t]
            a += xp.matmul(h, w_t, out=product)
            xp.tanh(a, out=a)
            a *= scale
            a += offset
            i, f, g, o = (a[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = f * c + i * g
            tanh_c = self.tanh_c[t] = xp.tanh(c)
            h = packed[t] = o * tanh_c
        packed[steps] = c
        return packed

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        steps, batch, hidden = self.h_prev.shape
        gates, tanh_c = self.gates.reshape(steps, batch, 4, hidden), self.tanh_c
        i, f, g, o = (gates[:, :, k] for k in range(4))
        # the factors of the gates' gradients that do not depend on the incoming gradient
        grad_gates = xp.empty_like(gates)
        grad_gates[:, :, 0] = g * i * (1 - i)
        grad_gates[:, :, 1] = self.c_prev * f * (1 - f)
        grad_gates[:, :, 2] = i * (1 - g * g)
        grad_gates[:, :, 3] = tanh_c * o * (1 - o)
        dc_dh = o * (1 - tanh_c * tanh_c)
        grad_h = xp.zeros_like(self.h_prev[0])
        grad_c = grad_output[steps]
        w_hh = self.w_hh
        for t in _order(steps, not self.reverse):
            grad = grad_output[t] + grad_h
            grad_c = grad_c + grad * dc_dh[t]
            da = grad_gates[t]  # (batch, 4, hidden): now the gradients themselves
            da[:, :3] *= grad_c[:, None, :]
            da[:, 3] *= grad
            grad_c = grad_c * f[t]
            grad_h = da.reshape(batch, 4 * hidden) @ w_hh
        grad_gates = grad_gates.reshape(steps, batch, 4 * hidden)
        return _hidden_grads(self, grad_gates, grad_gates, grad_h, self.h_prev, w_hh.shape, (grad_c,))


class GRULayer(Function):
    """Gates r, z, n: n = tanh(gi_n + r (W_hn h + b_hn)), h_t = n + z (h - n).

    σ(x) = (1 + tanh(x/2))/2 with the halving folded into the r and z rows once, as in
    LSTMLayer; the backward computes the gradient-independent factors for all steps at once.
    """

    def forward(self, gi, h0, w_hh, b_hh=None, reverse=False):
        xp = backend.get_array_module(gi)
        steps, batch, rows = gi.shape
        hidden = rows // 3
        self.w_hh, self.reverse = w_hh, reverse
        scale = xp.full(rows, 0.5, dtype=gi.dtype)
        scale[2 * hidden:] = 1
        gi_scaled, w_t = gi * scale, (w_hh * scale[:, None]).T
        b_scaled = None if b_hh is None else b_hh * scale
        self.outputs = xp.empty((steps, batch, hidden), dtype=gi.dtype)
        self.h_prev = xp.empty_like(self.outputs)
        self.gates = xp.empty((steps, batch, 3, hidden), dtype=gi.dtype)  # r, z, n
        self.gh_n = xp.empty_like(self.outputs)
        gh = xp.empty((batch, rows), dtype=gi.dtype)
        h = h0
        for t in _order(steps, reverse):
            self.h_prev[t] = h
            xp.matmul(h, w_t, out=gh)
            if b_scaled is not None:
                gh += b_scaled
            rz = self.gates[t, :, :2].reshape(batch, 2 * hidden)
            xp.add(gi_scaled[t, :, :2 * hidden], gh[:, :2 * hidden], out=rz)
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            self.gh_n[t] = gh[:, 2 * hidden:]
            n = self.gates[t, :, 2]
            xp.multiply(rz[:, :hidden], gh[:, 2 * hidden:], out=n)
            n += gi[t, :, 2 * hidden:]
            xp.tanh(n, out=n)
            h = self.outputs[t] = n + rz[:, hidden:] * (h - n)
        return self.outputs

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        steps, batch, hidden = self.outputs.shape
        r, z, n = (self.gates[:, :, k] for k in range(3))
        grad_n = (1 - z) * (1 - n * n)  # d pre_n / d h_t
        grad_r = self.gh_n * r * (1 - r)  # d pre_r / d pre_n
        grad_z = (self.h_prev - n) * z * (1 - z)  # d pre_z / d h_t
        grad_gi = xp.empty((steps, batch, 3, hidden), dtype=self.outputs.dtype)
        grad_gh = xp.empty_like(grad_gi)
        grad_h = xp.zeros_like(self.outputs[0])
        for t in _order(steps, not self.reverse):
            grad = grad_output[t] + grad_h
            gi_t, gh_t = grad_gi[t], grad_gh[t]
            xp.multiply(grad, grad_n[t], out=gi_t[:, 2])
            xp.multiply(gi_t[:, 2], grad_r[t], out=gi_t[:, 0])
            xp.multiply(grad, grad_z[t], out=gi_t[:, 1])
            gh_t[:, :2] = gi_t[:, :2]
            xp.multiply(gi_t[:, 2], r[t], out=gh_t[:, 2])
            grad_h = grad * z[t]
            grad_h += gh_t.reshape(batch, 3 * hidden) @ self.w_hh
        grad_gi = grad_gi.reshape(steps, batch, 3 * hidden)
        grad_gh = grad_gh.reshape(steps, batch, 3 * hidden)
        return _hidden_grads(self, grad_gi, grad_gh, grad_h, self.h_prev, self.w_hh.shape)
