"""Embedding, the new containers and small layers against PyTorch: outputs and gradients for the
same weights, state_dict keys for the same structure, and SGD training giving the same losses."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def test_embedding_forward_and_gradient_match_torch() -> None:
    ours = nn.Embedding(7, 3, padding_idx=-3)
    theirs = torch.nn.Embedding(7, 3, padding_idx=-3)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    indices = np.array([[4, 0, 4, 6], [1, 4, 2, 0]])
    out, ref = ours(npnn.tensor(indices)), theirs(torch.from_numpy(indices))
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    grad_output = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    out.backward(grad_output)
    ref.backward(torch.from_numpy(grad_output))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert ours.padding_idx == theirs.padding_idx and repr(ours) == repr(theirs)


def build(lib):
    """One structure of every new container and layer, from npnn.nn or torch.nn."""
    model = lib.Module()
    model.embed = lib.Embedding(10, 4, padding_idx=0)
    model.layers = lib.ModuleDict(OrderedDict([("hidden", lib.Linear(4, 8)), ("out", lib.Linear(8, 3))]))
    model.blocks = lib.ModuleList([lib.Sequential(lib.Linear(3, 3), lib.Unflatten(1, (3, 1)))])
    model.params = lib.ParameterList([lib.Parameter(lib_ones(lib, 8))])
    model.pdict = lib.ParameterDict({"shift": lib.Parameter(lib_ones(lib, 3)), "bias": lib_ones(lib, 8)})
    return model


def lib_ones(lib, n):
    return (npnn if lib is nn else torch).ones(n)


def forward(model, tanh, indices):
    hidden = model.embed(indices).mean(1)
    hidden = tanh(model.layers["hidden"](hidden) + model.pdict["bias"]) * model.params[0]
    return model.layers["out"](hidden) + model.pdict["shift"]


def test_state_dict_keys_and_repr_match_torch() -> None:
    ours, theirs = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert repr(ours).replace("npnn.", "") == repr(theirs).replace("torch.FloatTensor", "float32").replace(
        "torch.", "")


def test_training_with_sgd_gives_torch_losses() -> None:
    npnn.manual_seed(0)
    ours, theirs = build(nn), build(torch.nn)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(0)
    indices, labels = rng.integers(0, 10, (6, 5)), rng.integers(0, 3, 6)
    indices[:, -1] = 0  # padding at the end of each sequence
    ours_opt = npnn.optim.SGD(ours.parameters(), lr=0.5, momentum=0.9)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=0.5, momentum=0.9)
    ours_losses, theirs_losses = [], []
    for _ in range(5):
        ours_opt.zero_grad()
        loss = nn.functional.cross_entropy(forward(ours, npnn.nn.functional.tanh, npnn.tensor(indices)),
                                           npnn.tensor(labels))
        loss.backward()
        ours_opt.step()
        ours_losses.append(loss.item())
        theirs_opt.zero_grad()
        ref = torch.nn.functional.cross_entropy(forward(theirs, torch.tanh, torch.from_numpy(indices)),
                                                torch.from_numpy(labels))
        ref.backward()
        theirs_opt.step()
        theirs_losses.append(ref.item())
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=1e-5)
    assert ours_losses[-1] < ours_losses[0]
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=key)
    assert not ours.embed.weight.numpy()[0].any()


@pytest.mark.parametrize("name, args, shapes", [
    ("Unflatten", (1, (2, -1)), [(3, 6)]),
    ("ZeroPad2d", ((1, 2, 0, 3),), [(2, 3, 4)]),
    ("ConstantPad1d", (2, 1.5), [(2, 3)]),
    ("ConstantPad2d", ((0, 1, 2, 1), -0.5), [(1, 2, 3, 3)]),
    ("CosineSimilarity", (), [(4, 5), (4, 5)]),
    ("CosineSimilarity", (0, 1e-3), [(4, 5), (1, 5)]),
    ("PairwiseDistance", (), [(4, 5), (4, 5)]),
    ("PairwiseDistance", (3.0, 1e-4, True), [(4, 5), (5,)]),
])
def test_small_layers_match_torch(name, args, shapes) -> None:
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    ours_in = [npnn.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    out, ref = ours(*ours_in), theirs(*theirs_in)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10)
    grad_output = rng.standard_normal(out.shape)
    out.backward(grad_output)
    ref.backward(torch.from_numpy(grad_output))
    for mine, reference in zip(ours_in, theirs_in, strict=True):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cosine_similarity_gradient_flows_through_a_norm_below_eps_as_torch() -> None:
    """PyTorch clamps the norms in place under no_grad, so the gradient is the norm's own; npnn's
    clamp cut it below eps (review: x = [3e-9, 4e-9] gave another x.grad)."""
    grads = []
    pairs = ((npnn, nn.functional.cosine_similarity), (torch, torch.nn.functional.cosine_similarity))
    for lib, cosine in pairs:
        for values in ([[3e-9, 4e-9]], [[0.0, 0.0]]):
            x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
            y = lib.tensor([[1.0, 2.0]], dtype=lib.float64, requires_grad=True)
            cosine(x, y).sum().backward()
            grads.append(np.concatenate([np.asarray(x.grad.tolist()), np.asarray(y.grad.tolist())]))
    for mine, theirs in zip(grads[:2], grads[2:], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)
