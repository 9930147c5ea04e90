"""Kernels split over threads give the very values of one thread, and the thread count is PyTorch's."""

import os
import subprocess
import sys

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn import parallel


@pytest.fixture
def threads():
    """Run with a given thread count, and restore the count the session had."""
    before = npnn.get_num_threads()
    yield npnn.set_num_threads
    npnn.set_num_threads(before)


def forward_backward(x, weight, batch_norm):
    x, weight = npnn.tensor(x, requires_grad=True), npnn.tensor(weight, requires_grad=True)
    hidden = F.conv2d(x, weight, padding=1)
    norm = npnn.nn.BatchNorm2d(weight.shape[0])
    if batch_norm:
        hidden = norm(hidden)
    hidden = F.max_pool2d(F.relu(hidden), 2)
    out = F.max_pool2d(hidden, 3, stride=2, padding=1)  # overlapping windows: the general backward
    weights = npnn.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape), dtype=npnn.float32)
    (out * weights).sum().backward()
    tensors = (out, x.grad, weight.grad) + ((norm.weight.grad, norm.running_var) if batch_norm else ())
    return [t.detach().numpy().copy() for t in tensors]


@pytest.mark.parametrize("batch_norm", [False, True])
def test_threads_give_the_values_of_one_thread(threads, batch_norm):
    """Bitwise for conv, ReLU and pooling; batch norm adds per-thread sums, so equal to rounding."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 30, 30), dtype=np.float32)
    weight = rng.standard_normal((16, 8, 3, 3), dtype=np.float32)
    threads(1)
    one = forward_backward(x, weight, batch_norm)
    threads(3)  # more threads than this machine may have: the split must not depend on cores
    for single, split in zip(one, forward_backward(x, weight, batch_norm), strict=True):
        if batch_norm:
            np.testing.assert_allclose(split, single, rtol=1e-3, atol=1e-5 * np.abs(single).max())
        else:
            np.testing.assert_array_equal(single, split)


def test_over_rows_covers_every_row_once_and_raises_a_parts_error(threads):
    threads(4)
    seen = np.zeros(10, dtype=int)

    def mark(part):
        seen[part] += 1

    parallel.over_rows(mark, 10, 10 * parallel.MIN_ELEMENTS_PER_THREAD)
    assert seen.tolist() == [1] * 10

    def fail(part):
        if part.start > 0:
            raise ValueError(f"part {part.start}")

    with pytest.raises(ValueError, match="part"):
        parallel.over_rows(fail, 10, 10 * parallel.MIN_ELEMENTS_PER_THREAD)


def test_thread_count_follows_pytorch(threads):
    threads(np.int64(2))  # any integer, as torch.set_num_threads takes
    assert npnn.get_num_threads() == 2
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="set_num_threads"):
            npnn.set_num_threads(bad)
    code = "import npnn; print(npnn.get_num_threads())"
    env = {**os.environ, "OMP_NUM_THREADS": "3"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "3"


def test_a_forked_child_starts_its_own_threads(threads):
    threads(2)
    x = np.random.default_rng(1).standard_normal((256, 16, 32, 32), dtype=np.float32)
    expected = F.relu(npnn.tensor(x)).numpy()  # the parent's pool is started
    pid = os.fork()
    if pid == 0:  # the child: its pool must work although the parent's threads are not in it
        ok = np.array_equal(F.relu(npnn.tensor(x)).numpy(), expected)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
