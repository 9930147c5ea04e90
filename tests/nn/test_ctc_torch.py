"""CTCLoss / ctc_loss against PyTorch CPU: losses and gradients over random batches (lengths,
blanks, repeated labels, labels equal to the blank, empty targets and inputs, impossible
alignments), each reduction and zero_infinity, padded and concatenated targets, lengths as
tensors or tuples, unbatched input, a few SGD steps equal to torch's, and the error texts."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
TF = torch.nn.functional


def random_batch(rng: np.random.Generator) -> dict:
    steps, batch, classes = int(rng.integers(1, 9)), int(rng.integers(1, 5)), int(rng.integers(2, 6))
    blank = int(rng.integers(0, classes))
    longest = int(rng.integers(0, 5))
    targets = rng.integers(0, classes, (batch, longest))
    if rng.random() < 0.75:  # usually no target equals the blank
        targets = np.where(targets == blank, (blank + 1) % classes, targets)
    return {"logits": rng.standard_normal((steps, batch, classes)), "targets": targets,
            "input_lengths": rng.integers(0, steps + 1, batch),
            "target_lengths": rng.integers(0, longest + 1, batch), "blank": blank}


def same(ours, theirs, dtype, what: str) -> None:
    """Equal within the dtype's tolerance; inf and nan (impossible alignments) where torch has them."""
    rtol, atol = (1e-4, 1e-5) if dtype == np.float32 else (1e-9, 1e-10)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype


def concatenated(targets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([row[:n] for row, n in zip(targets, lengths, strict=True)] + [np.zeros(0, int)])


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated-tuples"])
def test_ctc_matches_torch(seed, reduction, zero_infinity, layout, dtype) -> None:
    case = random_batch(np.random.default_rng(seed))
    logits = case["logits"].astype(dtype)
    targets, input_lengths, target_lengths = case["targets"], case["input_lengths"], case["target_lengths"]
    if layout == "concatenated-tuples":
        targets = concatenated(targets, target_lengths)
        ours_lengths = (tuple(input_lengths.tolist()), tuple(target_lengths.tolist()))
    else:
        ours_lengths = (npnn.tensor(input_lengths), npnn.tensor(target_lengths))
    kwargs = {"blank": case["blank"], "reduction": reduction, "zero_infinity": zero_infinity}

    x = npnn.tensor(logits, requires_grad=True)
    log_probs = F.log_softmax(x, 2)
    log_probs.retain_grad()
    ours = F.ctc_loss(log_probs, npnn.tensor(targets), *ours_lengths, **kwargs)
    x_t = torch.tensor(logits, requires_grad=True)
    log_probs_t = TF.log_softmax(x_t, 2)
    log_probs_t.retain_grad()
    theirs = TF.ctc_loss(log_probs_t, torch.tensor(targets), torch.tensor(input_lengths),
                         torch.tensor(target_lengths), **kwargs)
    same(ours.numpy(), theirs.detach().numpy(), dtype, "loss")
    upstream = np.random.default_rng(seed + 100).standard_normal(theirs.shape).astype(dtype)
    ours.backward(npnn.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    # PyTorch's gradient for log_probs itself (exp(log_probs) - occupancy), and through log_softmax
    same(log_probs.grad.numpy(), log_probs_t.grad.numpy(), dtype, "gradient of log_probs")
    same(x.grad.numpy(), x_t.grad.numpy(), dtype, "gradient of the logits")


def test_ctc_edges_match_torch() -> None:
    """Impossible alignments (inf, or 0 with zero_infinity), an empty input and an empty target."""
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((4, 4, 3))
    targets = np.array([[1, 1, 1], [1, 2, 0], [2, 0, 0], [1, 2, 1]])
    input_lengths, target_lengths = np.array([4, 0, 0, 4]), np.array([3, 2, 0, 3])
    for zero_infinity in (False, True):
        x = npnn.tensor(logits, requires_grad=True)
        ours = F.ctc_loss(F.log_softmax(x, 2), npnn.tensor(targets), npnn.tensor(input_lengths),
                          npnn.tensor(target_lengths), reduction="none", zero_infinity=zero_infinity)
        x_t = torch.tensor(logits, requires_grad=True)
        theirs = TF.ctc_loss(TF.log_softmax(x_t, 2), torch.tensor(targets), torch.tensor(input_lengths),
                             torch.tensor(target_lengths), reduction="none", zero_infinity=zero_infinity)
        expected = theirs.detach().numpy()
        assert np.isinf(expected[:2]).all() != zero_infinity  # the case is what it claims to be
        same(ours.numpy(), expected, np.float64, "loss")
        ours.sum().backward()
        theirs.sum().backward()
        same(x.grad.numpy(), x_t.grad.numpy(), np.float64, "gradient")


def test_unbatched_input_and_the_module(close) -> None:
    rng = np.random.default_rng(5)
    log_probs = np.log(rng.dirichlet(np.ones(5), 7))  # (T, C)
    target = np.array([1, 3, 3, 2])
    for reduction in ("mean", "sum", "none"):
        ours = nn.CTCLoss(blank=0, reduction=reduction)(npnn.tensor(log_probs), npnn.tensor(target), 7, 4)
        theirs = torch.nn.CTCLoss(blank=0, reduction=reduction)(
            torch.tensor(log_probs), torch.tensor(target), torch.tensor(7), torch.tensor(4))
        assert ours.shape == tuple(theirs.shape) == ()
        close(ours.numpy(), theirs.numpy(), np.float64, reduction)


def test_int32_lengths_and_targets(close) -> None:
    rng = np.random.default_rng(6)
    log_probs = np.log(rng.dirichlet(np.ones(4), (6, 2))).astype(np.float32)
    args = (np.array([[1, 2, 3], [3, 3, 0]], np.int32), np.array([6, 5], np.int32),
            np.array([3, 2], np.int32))
    ours = F.ctc_loss(npnn.tensor(log_probs), *(npnn.tensor(a) for a in args))
    theirs = TF.ctc_loss(torch.tensor(log_probs), *(torch.tensor(a) for a in args))
    close(ours.numpy(), theirs.numpy(), np.float32, "loss")


def test_sgd_steps_equal_torch(close) -> None:
    """A linear frame classifier trained with CTCLoss: the same losses and weights as torch's."""
    rng = np.random.default_rng(8)
    frames = rng.standard_normal((12, 3, 6))  # (T, N, features)
    targets = np.array([[1, 2, 2, 3], [3, 1, 0, 0], [2, 2, 2, 0]])
    input_lengths, target_lengths = (12, 10, 9), (4, 2, 3)
    ours_model, theirs_model = nn.Linear(6, 4), torch.nn.Linear(6, 4).double()
    ours_model.load_state_dict({k: v.detach().numpy() for k, v in theirs_model.state_dict().items()})
    ours_model.double()
    ours_opt = npnn.optim.SGD(ours_model.parameters(), lr=0.5)
    theirs_opt = torch.optim.SGD(theirs_model.parameters(), lr=0.5)
    ours_loss, theirs_loss = nn.CTCLoss(), torch.nn.CTCLoss()
    losses = []
    for _ in range(5):
        ours_opt.zero_grad()
        theirs_opt.zero_grad()
        ours = ours_loss(F.log_softmax(ours_model(npnn.tensor(frames)), 2), npnn.tensor(targets),
                         input_lengths, target_lengths)
        theirs = theirs_loss(TF.log_softmax(theirs_model(torch.tensor(frames)), 2), torch.tensor(targets),
                             input_lengths, target_lengths)
        close(ours.numpy(), theirs.detach().numpy(), np.float64, "loss")
        ours.backward()
        theirs.backward()
        ours_opt.step()
        theirs_opt.step()
        losses.append(ours.item())
    assert losses[-1] < losses[0]  # it learns
    close(ours_model.weight.detach().numpy(), theirs_model.weight.detach().numpy(), np.float64, "weight")


def test_repr_and_state_dict_match_torch() -> None:
    for kwargs in ({}, {"blank": 2, "reduction": "sum", "zero_infinity": True}):
        assert repr(nn.CTCLoss(**kwargs)) == repr(torch.nn.CTCLoss(**kwargs)) == "CTCLoss()"
        assert not nn.CTCLoss(**kwargs).state_dict()


T, N, C = 5, 2, 4
LOG_PROBS = np.log(np.full((T, N, C), 0.25))
TARGETS = np.array([[1, 2, 2], [3, 1, 0]])


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((TARGETS, [6, 4], [3, 2]), {}, RuntimeError,
     "Expected input_lengths to have value at most 5, but got value 6"),
    ((TARGETS, [-1, 4], [3, 2]), {}, RuntimeError,
     "Expected input_lengths to have value at least 0, but got value -1"),
    ((TARGETS, [5, 4], [-1, 2]), {}, RuntimeError, "Expected target_lengths to have value at least 0"),
    ((TARGETS, [5, 4], [4, 2]), {}, RuntimeError,
     "Expected tensor to have size at least 4 at dimension 1, but got size 3"),
    ((TARGETS[:1], [5, 4], [3, 2]), {}, RuntimeError,
     "Expected tensor to have size 2 at dimension 0, but got size 1"),
    ((np.array([1, 2, 2, 3]), [5, 4], [3, 2]), {}, RuntimeError,
     "Expected tensor to have size 5 at dimension 0, but got size 4"),
    ((TARGETS, [5], [3, 2]), {}, RuntimeError, "input_lengths must be of size batch_size"),
    ((TARGETS, [5, 4], [3]), {}, RuntimeError, "target_lengths must be of size batch_size"),
    ((TARGETS, [5.0, 4.0], [3, 2]), {}, RuntimeError, "input_lengths must be integral"),
    ((TARGETS, [5, 4], [3, 2]), {"blank": 4}, RuntimeError, "blank must be in label range"),
    ((TARGETS, [5, 4], [3, 2]), {"blank": -1}, RuntimeError, "blank must be in label range"),
    ((TARGETS, [5, 4], [3, 2]), {"reduction": "avg"}, ValueError, "avg is not a valid value for reduction"),
    ((np.array([[1, 2, 7], [3, 1, 0]]), [5, 4], [3, 2]), {}, IndexError,
     r"target labels must be in \[0, 4\)"),
    ((TARGETS.astype(float), [5, 4], [3, 2]), {}, TypeError, "targets must be integer class indices"),
])
def test_misuse_is_refused_with_torch_texts(args, kwargs, error, match) -> None:
    targets, input_lengths, target_lengths = args
    with pytest.raises(error, match=match):
        F.ctc_loss(npnn.tensor(LOG_PROBS), npnn.tensor(targets), npnn.tensor(np.array(input_lengths)),
                   npnn.tensor(np.array(target_lengths)), **kwargs)


def test_wrong_log_probs_rank_is_refused() -> None:
    with pytest.raises(RuntimeError, match="Expected 3-dimensional tensor, but got 4-dimensional"):
        F.ctc_loss(npnn.tensor(LOG_PROBS[None]), npnn.tensor(TARGETS), (5, 4), (3, 2))
