"""state_dict keys and repr against PyTorch for the same architecture; loading torch weights."""

from __future__ import annotations

import numpy as np
import pytest

from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def build(lib, dtype=None):
    """The same architecture from npnn.nn or torch.nn."""
    return lib.Sequential(
        lib.Linear(5, 4, dtype=dtype), lib.ReLU(), lib.BatchNorm1d(4, dtype=dtype),
        lib.Sequential(lib.Linear(4, 3, bias=False, dtype=dtype), lib.Tanh()),
        lib.BatchNorm1d(3, affine=False, dtype=dtype), lib.Linear(3, 2, dtype=dtype),
    )


def test_state_dict_keys_equal_torch() -> None:
    ours, theirs = build(nn).state_dict(), build(torch.nn).state_dict()
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        assert ours[key].shape == tuple(value.shape), key
        assert ours[key].dtype == value.numpy().dtype, key


def test_named_parameters_and_buffers_equal_torch() -> None:
    ours, theirs = build(nn), build(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def shared_and_tied(lib):
    shared = lib.Linear(3, 3)
    model = lib.Sequential(shared, lib.ReLU(), shared, lib.Linear(3, 3), lib.Linear(3, 3))
    model[4].weight = model[3].weight
    return model


def test_shared_modules_and_tied_weights_list_like_torch() -> None:
    ours, theirs = shared_and_tied(nn), shared_and_tied(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours[4].weight.data, theirs[3].weight.detach().numpy())


def test_repr_equals_torch() -> None:
    assert repr(build(nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_model_with_torch_weights_matches_torch(train, dtype, rng, close, compare_with_torch) -> None:
    torch_dtype = getattr(torch, str(dtype))
    reference = build(torch.nn, torch_dtype)
    reference.train()
    with torch.no_grad():  # non-trivial running statistics
        reference(torch.from_numpy(rng.standard_normal((16, 5)).astype(dtype)))
    model = build(nn, dtype)
    model.train(train)
    reference.train(train)
    compare_with_torch(model, reference, [rng.standard_normal((8, 5)).astype(dtype)], dtype)
    for key, value in reference.state_dict().items():
        close(model.state_dict()[key], value.numpy(), dtype, key)


def test_torch_state_dict_with_wrong_architecture_is_reported() -> None:
    state = {k: v.numpy() for k, v in torch.nn.Sequential(torch.nn.Linear(5, 3)).state_dict().items()}
    with pytest.raises(RuntimeError, match=r"0.weight: checkpoint \(3, 5\) vs model \(4, 5\)"):
        build(nn).load_state_dict(state, strict=False)
