"""nn.Embedding and the small layers added with it (Unflatten, padding, distances): behaviour
without PyTorch (init, padding row, gradient accumulation, errors)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F


def test_init_is_standard_normal_and_padding_row_is_zero() -> None:
    npnn.manual_seed(0)
    layer = nn.Embedding(2000, 50, padding_idx=3)
    weight = layer.weight.numpy()
    assert weight.shape == (2000, 50) and weight.dtype == np.float32 and layer.weight.requires_grad
    assert not weight[3].any()
    others = np.delete(weight, 3, axis=0)
    assert abs(others.mean()) < 0.01 and abs(others.std() - 1.0) < 0.01


def test_any_index_shape_gives_rows_and_repeats_accumulate() -> None:
    layer = nn.Embedding(6, 4, padding_idx=1)
    indices = npnn.tensor(np.array([[[0, 1], [5, 0]], [[0, 2], [1, 1]]]))
    out = layer(indices)
    assert out.shape == (2, 2, 2, 4)
    np.testing.assert_array_equal(out.numpy(), layer.weight.numpy()[indices.numpy()])
    out.sum().backward()
    counts = np.bincount(indices.numpy().ravel(), minlength=6).astype(np.float32)
    counts[1] = 0  # the padding row gets no gradient
    np.testing.assert_array_equal(layer.weight.grad.numpy(), np.repeat(counts[:, None], 4, axis=1))


def test_padding_row_stays_put_under_training() -> None:
    layer = nn.Embedding(4, 2, padding_idx=0)
    optimizer = npnn.optim.SGD(layer.parameters(), lr=1.0)
    for _ in range(3):
        optimizer.zero_grad()
        (layer(npnn.tensor([0, 2, 0])) ** 2).sum().backward()
        optimizer.step()
    assert not layer.weight.numpy()[0].any() and layer.weight.numpy()[2].any()


def test_misuse_raises_naming_the_problem() -> None:
    layer = nn.Embedding(3, 2)
    with pytest.raises(IndexError, match=r"index 3 is out of range.*\[0, 3\)"):
        layer(npnn.tensor([0, 3]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        layer(npnn.tensor([-1]))
    with pytest.raises(TypeError, match="integer"):
        layer(npnn.tensor([1.0]))
    for option in ({"max_norm": 1.0}, {"scale_grad_by_freq": True}, {"sparse": True}):
        (name,) = option
        with pytest.raises(NotImplementedError, match=name):
            nn.Embedding(3, 2, **option)
        with pytest.raises(NotImplementedError, match=name):
            F.embedding(npnn.tensor([0]), layer.weight, **option)
    with pytest.raises(ValueError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(npnn.zeros(3))


def test_from_pretrained_shares_memory_and_freezes() -> None:
    table = npnn.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    frozen = nn.Embedding.from_pretrained(table, padding_idx=1)
    assert not frozen.weight.requires_grad and frozen.padding_idx == 1
    np.testing.assert_array_equal(frozen(npnn.tensor([1])).numpy(), [[3.0, 4.0]])  # not zeroed
    table.array[0, 0] = 9.0
    assert frozen.weight.numpy()[0, 0] == 9.0
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    assert trainable.weight.requires_grad and repr(trainable) == "Embedding(3, 2)"


def test_unflatten_and_padding_layers() -> None:
    x = npnn.arange(24).reshape(2, 12).float()
    assert nn.Unflatten(1, (3, -1))(x).shape == (2, 3, 4)
    assert nn.Unflatten(-1, [2, 2, 3])(x).shape == (2, 2, 2, 3)
    with pytest.raises(RuntimeError, match="don't multiply up to the size of dim 1"):
        nn.Unflatten(1, (5, 2))(x)
    with pytest.raises(TypeError, match="element of type float at pos 1"):
        nn.Unflatten(1, (3, 4.0))
    padded = nn.ConstantPad1d((1, 2), 7.0)(npnn.ones(1, 2))
    np.testing.assert_array_equal(padded.numpy(), [[7.0, 1.0, 1.0, 7.0, 7.0]])
    assert nn.ZeroPad2d((1, 0, 2, 3))(npnn.ones(1, 2, 2)).shape == (1, 7, 3)
    assert nn.ConstantPad2d(1, -1.0)(npnn.ones(2, 2)).numpy().sum() == 4 - 12
    with pytest.raises(ValueError, match="tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))


def test_distances_on_known_vectors() -> None:
    a, b = npnn.tensor([[3.0, 4.0], [0.0, 0.0]]), npnn.tensor([[6.0, 8.0], [1.0, 0.0]])
    np.testing.assert_allclose(nn.CosineSimilarity()(a, b).numpy(), [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(nn.PairwiseDistance(eps=0.0)(a, b).numpy(), [5.0, 1.0], rtol=1e-6)
    assert nn.PairwiseDistance(keepdim=True)(a, b).shape == (2, 1)


def test_changing_the_index_tensor_after_the_forward_does_not_move_the_gradient() -> None:
    """The op kept the caller's index array: changed before backward (a reused loader buffer),
    the gradient silently went to other rows. npnn keeps a copy (PyTorch refuses the backward)."""
    layer = nn.Embedding.from_pretrained(npnn.ones(5, 2), freeze=False)
    index = npnn.tensor([1, 2])
    out = layer(index)
    index[0] = 3
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy()[:, 0], [0, 1, 1, 0, 0])
